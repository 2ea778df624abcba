"""In a real browser: a counsellor creates an account with the person present and adds a paper
for them; the person sees who added it and who opened it, and ends the access; the counsellor
then gets nothing. Both browse with JavaScript, then both without it."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.app_fixtures import PASSWORD
from tests.browser.people import claire_of_the_ccas, sign_in
from tests.samples import pdf
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser

PERSON_PASSWORD = "le mot de passe de moussa"


def test_counsellor_helps_then_the_person_ends_the_access(
    page: Page, other_page: Page, live_url: str, rt: Runtime, tmp_path: Path
) -> None:
    with transaction(rt.sessions) as db:
        claire_of_the_ccas(db, rt)
    paper = tmp_path / "attestation.pdf"
    paper.write_bytes(pdf("caf"))

    sign_in(page, live_url, "claire.martin", PASSWORD)
    expect(page.get_by_role("heading", name="Les personnes que j'aide")).to_be_visible()
    page.get_by_role("link", name="Créer un coffre avec la personne").click()
    page.get_by_label("Son nom").fill("Moussa Traoré")
    page.get_by_label("Son identifiant").fill("moussa.traore")
    page.get_by_label("Son mot de passe (tapé par la personne)").fill(PERSON_PASSWORD)
    page.get_by_label("La personne est d'accord").check()
    page.get_by_role("button", name="Créer le coffre").click()
    # The codes are for the person, with their login, ready to print; then back to them.
    expect(
        page.get_by_role("heading", name="Les codes de secours de Moussa Traoré")
    ).to_be_visible()
    expect(page.get_by_text("moussa.traore", exact=True)).to_be_visible()
    page.get_by_role("link", name="C'est imprimé : retour à Moussa Traoré").click()
    page.get_by_role("link", name="Ajouter un papier pour cette personne").click()
    page.get_by_label("Quel papier ?").select_option(label="Revenus et aides")
    page.get_by_label("Son nom").fill("Attestation CAF")
    page.get_by_label("Le fichier").set_input_files(str(paper))
    page.get_by_role("button", name="Ajouter").click()
    expect(page.get_by_text("Le papier est dans le coffre de Moussa Traoré.")).to_be_visible()
    expect(page.get_by_role("link", name="Retour à Moussa Traoré")).to_be_visible()
    paper_url = page.url.split("?")[0]
    with page.expect_response(lambda response: "/fichier" in response.url) as shown:
        page.get_by_role("link", name="Voir le papier").click()
    # Chromium hands a PDF to its viewer: the answer's headers tell what was served.
    assert shown.value.status == 200
    assert shown.value.headers["content-type"] == "application/pdf"
    page.goto(f"{live_url}/personnes")
    page.get_by_role("button", name="Quitter").click()

    person = other_page
    sign_in(person, live_url, "moussa.traore", PERSON_PASSWORD)
    expect(person.get_by_role("heading", name="Mes papiers")).to_be_visible()
    expect(person.get_by_text("par Claire Martin")).to_be_visible()
    person.get_by_role("link", name="Historique").click()
    expect(
        person.get_by_text("Claire Martin, CCAS d'Orléans, a ouvert « Attestation CAF ».")
    ).to_be_visible()
    person.get_by_role("link", name="Qui voit mes papiers").click()
    expect(person.get_by_text("Vous avez dit oui en personne.")).to_be_visible()
    person.get_by_role("button", name="Arrêter cet accès").click()
    expect(person.get_by_text("Personne n'a d'accès en ce moment.")).to_be_visible()

    sign_in(page, live_url, "claire.martin", PASSWORD)
    expect(page.get_by_text("Personne ne vous a encore donné accès à ses papiers.")).to_be_visible()
    gone = page.goto(paper_url)
    assert gone is not None
    assert gone.status == 404
