"""In a real browser: a person who lost everything (password and printed codes) goes to the
counsellor they trust; the counsellor, signed in, opens the person's page (which shows the
person's login), chooses « Aider au mot de passe » and changes the password with them, the
person typing it on that screen. The person then signs in, is told who helped and when, sees
it in their history, and finds their private paper closed until they enter a recovery code
(found later at home), after which it opens. Both browse with JavaScript, then both without
it.

Screenshots go to $COFFRE_TEST_SCREENSHOTS (or the test's own folder)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.app_fixtures import PASSWORD
from tests.browser.people import add_paper, claire_of_the_ccas, sign_in
from tests.browser.screenshots import save_screenshot
from vault.accounts.accounts import create_person
from vault.accounts.recovery import new_recovery_codes
from vault.consent.grants import GrantTerms, create_grant
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser

NEW_PASSWORD = "le soleil se leve sur la loire"
OWN_PASSWORD = "la lune se couche sur le cher"


def test_counsellor_changes_the_password_with_the_person(
    page: Page, other_page: Page, live_url: str, rt: Runtime, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("COFFRE_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with transaction(rt.sessions) as db:
        claire = claire_of_the_ccas(db, rt)
        moussa = create_person(
            db,
            rt.master_keys,
            login="moussa.traore",
            display_name="Moussa Traoré",
            password="un ancien mot de passe oublie",
            role="beneficiary",
        )
        codes = new_recovery_codes(db, moussa)
        grant = create_grant(
            db, rt, moussa, GrantTerms(["view", "recover"], ["identity"]), counsellor_id=claire.id
        )
        vault_id = grant.vault_id
    add_paper(rt, moussa, vault_id, "Carte d'identité")
    add_paper(rt, moussa, vault_id, "Lettre de l'avocat", private=True)

    # The counsellor, signed in, changes the password with the person beside her.
    sign_in(page, live_url, "claire.martin", PASSWORD)
    page.get_by_role("link", name="Moussa Traoré").click()
    expect(page.get_by_text("Son identifiant : moussa.traore")).to_be_visible()
    page.get_by_role("link", name="Aider au mot de passe").click()
    expect(
        page.get_by_role("heading", name="Aider Moussa Traoré pour son mot de passe")
    ).to_be_visible()
    expect(page.get_by_text("D'abord, vous écrivez votre mot de passe.")).to_be_visible()
    save_screenshot(page, shots / "1-counsellor-form.png")
    # Her own password first: her session alone changes no one's password.
    together = page.locator("form[action$='/mot-de-passe']")
    together.get_by_label("Votre mot de passe à vous").fill(PASSWORD)
    page.get_by_label("Nouveau mot de passe (tapé par la personne)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.get_by_text("Le mot de passe est changé.")).to_be_visible()
    expect(page.get_by_text("restent fermés 3 jours")).to_be_visible()
    save_screenshot(page, shots / "2-counsellor-done.png")
    page.get_by_role("button", name="Quitter").click()

    # The person signs in: first, who changed the password and when.
    person = other_page
    sign_in(person, live_url, "moussa.traore", NEW_PASSWORD)
    expect(person.get_by_role("heading", name="Votre mot de passe a changé")).to_be_visible()
    expect(
        person.get_by_text("Claire Martin (CCAS d'Orléans) a changé votre mot de passe avec vous")
    ).to_be_visible()
    save_screenshot(person, shots / "3-person-notice.png")

    # The private paper is closed; the identity paper the counsellor may see is open.
    person.get_by_role("link", name="Voir mes papiers").click()
    expect(person.get_by_role("heading", name="Mes papiers")).to_be_visible()
    expect(person.get_by_text("Certains papiers sont fermés jusqu'au")).to_be_visible()
    closed = person.locator(".card", has_text="Fermé")
    expect(closed).to_have_count(1)
    expect(person.get_by_text("Lettre de l'avocat")).to_have_count(0)
    expect(person.get_by_text("Carte d'identité")).to_be_visible()
    save_screenshot(person, shots / "4-person-papers-closed.png")

    person.get_by_role("link", name="Historique").click()
    expect(
        person.get_by_text("Claire Martin, CCAS d'Orléans, a changé votre mot de passe avec vous.")
    ).to_be_visible()
    save_screenshot(person, shots / "5-person-history.png")

    # At home, the person finds a printed recovery code and opens their papers.
    person.get_by_role("link", name="Les ouvrir avec un code de secours").click()
    expect(person.get_by_role("heading", name="Ouvrir mes papiers")).to_be_visible()
    person.get_by_label("Mon code de secours").fill("AAAA-BBBB-CCCC")
    person.get_by_label("Mon nouveau mot de passe").fill(OWN_PASSWORD)
    person.get_by_role("button", name="Ouvrir mes papiers").click()
    expect(person.get_by_text("Ce code ne marche pas.").first).to_be_visible()
    person.get_by_label("Mon code de secours").fill(codes[0].lower())
    # The password typed at the counsellor's goes: she chooses her own as she opens them.
    person.get_by_label("Mon nouveau mot de passe").fill(OWN_PASSWORD)
    save_screenshot(person, shots / "6-person-unlock.png")
    person.get_by_role("button", name="Ouvrir mes papiers").click()
    expect(person.get_by_text("Vos papiers sont ouverts.")).to_be_visible()
    expect(person.get_by_text("Certains papiers sont fermés")).to_have_count(0)
    person.get_by_role("link", name="Lettre de l'avocat").click()
    with person.expect_response(lambda response: "/fichier" in response.url) as shown:
        person.get_by_role("link", name="Voir le papier").click()
    assert shown.value.status == 200
    assert shown.value.headers["content-type"] == "application/pdf"
    person.goto(f"{live_url}/papiers")
    save_screenshot(person, shots / "7-person-papers-open.png")
