"""In a real browser: a refused file on « Ajouter un papier » keeps what was typed and the
chosen « Quel papier ? »; the file is chosen again, and the paper goes in."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.people import amina_with_a_safe, sign_in
from tests.samples import pdf
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser


def fill_the_form(page: Page, file: Path) -> None:
    page.get_by_label("Quel papier ?").select_option(label="Banque")
    page.get_by_label("Son nom").fill("Relevé de mars")
    page.get_by_label("Fin de validité").fill("2031-03-31")
    page.get_by_label("Le fichier").set_input_files(str(file))
    page.get_by_role("button", name="Ajouter").click()


def expect_kept(page: Page, message: str) -> None:
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=message)).to_have_attribute("href", "#file")
    expect(page.get_by_label("Quel papier ?")).to_have_value("bank")
    expect(page.get_by_label("Son nom")).to_have_value("Relevé de mars")
    expect(page.get_by_label("Fin de validité")).to_have_value("2031-03-31")
    expect(page.get_by_label("Le fichier")).to_have_value("")


def test_a_refused_file_keeps_what_was_typed(
    page: Page, live_url: str, rt: Runtime, tmp_path: Path
) -> None:
    with transaction(rt.sessions) as db:
        amina_with_a_safe(db, rt)
    not_a_paper = tmp_path / "releve.pdf"
    not_a_paper.write_bytes(b"<html>pas un papier</html>")
    too_big = tmp_path / "gros.pdf"
    too_big.write_bytes(pdf(padding=3 * 1024 * 1024))
    paper = tmp_path / "vrai.pdf"
    paper.write_bytes(pdf("mars"))
    rt.settings.max_upload_bytes = 1024 * 1024

    sign_in(page, live_url, "amina.diallo")
    page.goto(f"{live_url}/papiers/ajouter")
    fill_the_form(page, not_a_paper)
    expect_kept(page, "Le fichier doit être un JPG, PNG ou PDF.")

    fill_the_form(page, too_big)
    expect_kept(page, "Le fichier doit faire moins de 1 Mo.")

    page.get_by_label("Le fichier").set_input_files(str(paper))
    page.get_by_role("button", name="Ajouter").click()
    expect(page.get_by_text("Le papier est bien dans votre coffre.")).to_be_visible()
    expect(page.get_by_role("heading", name="Relevé de mars")).to_be_visible()
    expect(page.get_by_text("Banque")).to_be_visible()
