"""In a real browser: the person deletes a paper, finds it in « Corbeille » and puts it back;
it opens as before."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.people import add_paper, amina_with_a_safe, sign_in
from tests.samples import pdf
from vault.accounts.accounts import vault_of
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser


def test_a_deleted_paper_comes_back_from_the_bin(page: Page, live_url: str, rt: Runtime) -> None:
    with transaction(rt.sessions) as db:
        amina = amina_with_a_safe(db, rt)
        vault = vault_of(db, amina.id)
        assert vault is not None
        vault_id = vault.id
    add_paper(rt, amina, vault_id, "Attestation CAF", content=pdf("caf"))

    sign_in(page, live_url, "amina.diallo")
    page.get_by_role("link", name="Attestation CAF").click()
    page.get_by_role("link", name="Supprimer").click()
    expect(page.get_by_text("« Attestation CAF » va dans la corbeille.")).to_be_visible()
    page.get_by_role("button", name="Oui, supprimer").click()
    expect(page.get_by_text("Le papier est dans la corbeille.")).to_be_visible()
    expect(page.get_by_role("link", name="Attestation CAF")).to_have_count(0)

    page.get_by_role("link", name="Corbeille").click()
    expect(page.get_by_role("heading", name="Corbeille")).to_be_visible()
    expect(page.get_by_text("Attestation CAF")).to_be_visible()
    page.get_by_role("button", name="Remettre dans mes papiers").click()
    expect(page.get_by_text("Le papier est revenu dans vos papiers.")).to_be_visible()
    page.get_by_role("link", name="Attestation CAF").click()
    expect(page.get_by_role("heading", name="Attestation CAF")).to_be_visible()
