"""In a real browser: sign up, add a paper, see it listed, open it and get the same bytes."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.app_fixtures import PASSWORD
from tests.samples import pdf, png

pytestmark = pytest.mark.browser


def sign_up(page: Page, name: str, password: str = PASSWORD) -> list[str]:
    """The two sign-up steps; returns the recovery codes shown at the end."""
    page.get_by_label("Mon nom").fill(name)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Mon mot de passe").fill(password)
    page.get_by_role("button", name="Créer mon coffre").click()
    expect(page.get_by_role("heading", name="Mes codes de secours")).to_be_visible()
    return page.locator(".codes code").all_inner_texts()


def test_sign_up_add_open(page: Page, live_url: str, tmp_path: Path) -> None:
    paper = tmp_path / "attestation.pdf"
    paper.write_bytes(pdf("navigateur"))
    photo = tmp_path / "carte.png"
    photo.write_bytes(png(64, 40))

    page.goto(live_url)
    expect(page.get_by_role("heading", name="Ouvrir mon coffre")).to_be_visible()
    page.get_by_role("link", name="Créer mon coffre").click()
    sign_up(page, "Amina Diallo")
    page.get_by_role("link", name="J'ai gardé mes codes").click()
    expect(page.get_by_role("heading", name="Mes papiers")).to_be_visible()

    for path, title, category in (
        (paper, "Attestation CAF", "Revenus et aides"),
        (photo, "Carte d'identité", "Identité"),
    ):
        page.get_by_role("link", name="Ajouter un papier").click()
        file_input = page.get_by_label("Le fichier")
        # No `capture`: it would forbid choosing a file; the phone still offers its camera.
        assert file_input.get_attribute("capture") is None
        assert file_input.get_attribute("multiple") is not None
        assert file_input.get_attribute("accept") == "image/*,application/pdf"
        page.get_by_label("Quel papier ?").select_option(label=category)
        page.get_by_label("Son nom").fill(title)
        file_input.set_input_files(str(path))
        page.get_by_role("button", name="Ajouter").click()
        expect(page.get_by_text("Le papier est bien dans votre coffre.")).to_be_visible()
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        page.get_by_role("link", name="Retour à mes papiers").click()

    expect(page.get_by_role("link", name="Attestation CAF")).to_be_visible()
    page.get_by_role("link", name="Attestation CAF").click()
    page.get_by_role("link", name="Télécharger").click()
    expect(page.get_by_text("Le fichier restera sur cet appareil.")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger quand même").click()
    downloaded = download_info.value.path()
    assert Path(downloaded).read_bytes() == paper.read_bytes()

    page.get_by_role("link", name="Retour", exact=True).click()
    page.get_by_role("link", name="Retour à mes papiers").click()
    page.get_by_role("link", name="Carte d'identité").click()
    with page.expect_response(lambda response: "/fichier" in response.url) as shown_info:
        page.get_by_role("link", name="Voir le papier").click()
    shown = shown_info.value
    assert shown.body() == photo.read_bytes()
    assert shown.headers["cache-control"] == "no-store"
    expect(page.get_by_role("img", name="Carte d'identité")).to_be_visible()
    expect(page.get_by_role("button", name="Quitter")).to_be_visible()
    page.get_by_role("link", name="Retour", exact=True).click()

    page.get_by_role("button", name="Quitter").click()
    expect(page.get_by_role("heading", name="Votre coffre est fermé")).to_be_visible()
    page.goto(f"{live_url}/papiers")
    expect(page.get_by_role("heading", name="Ouvrir mon coffre")).to_be_visible()
