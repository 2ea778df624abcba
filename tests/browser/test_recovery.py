"""In a real browser: sign up, keep the recovery codes, sign out, recover with a code, sign in
with the new password; the used code no longer works."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_first_paper import sign_up

pytestmark = pytest.mark.browser

NEW_PASSWORD = "ma nouvelle phrase secrete"


def test_recover_with_a_printed_code(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/inscription")
    codes = sign_up(page, "Moussa Traoré")
    assert len(codes) == 10
    assert all(len(code) == 14 for code in codes)
    page.emulate_media(media="print")
    expect(page.locator(".codes")).to_be_visible()
    expect(page.get_by_role("button", name="Quitter")).to_be_hidden()
    page.emulate_media(media="screen")
    page.get_by_role("button", name="Quitter").click()
    expect(page.get_by_role("heading", name="Votre coffre est fermé")).to_be_visible()

    page.goto(f"{live_url}/connexion")
    page.get_by_role("link", name="J'ai oublié mon mot de passe").click()
    page.get_by_label("Mon identifiant").fill("moussa.traore")
    page.get_by_label("Mon code").fill(codes[3].lower())
    page.get_by_label("Mon nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer mon mot de passe").click()
    expect(page.get_by_text("Votre mot de passe est changé.")).to_be_visible()

    page.get_by_label("Mon identifiant").fill("moussa.traore")
    page.get_by_label("Mon mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Ouvrir", exact=True).click()
    expect(page.get_by_role("heading", name="Mes papiers")).to_be_visible()
    page.get_by_role("link", name="Mon compte").click()
    expect(page.get_by_text("Il vous reste 9 codes de secours.")).to_be_visible()
    page.get_by_role("button", name="Quitter").click()

    page.goto(f"{live_url}/mot-de-passe-oublie")
    page.get_by_label("Mon identifiant").fill("moussa.traore")
    page.get_by_label("Mon code").fill(codes[3])
    page.get_by_label("Mon nouveau mot de passe").fill("encore une autre phrase")
    page.get_by_role("button", name="Changer mon mot de passe").click()
    expect(page.get_by_text("Ce code ne marche pas.")).to_have_count(2)
