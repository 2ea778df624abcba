"""In a real browser: Amina sends a marked copy of a paper with a code; an office with no
account opens the link, sees nothing of the paper until it types the code, then downloads a
copy that carries the marking; Amina stops the link, the office is told it is no longer valid,
and Amina sees the opening in her history. Both browse with JavaScript, then both without it."""

import io
from pathlib import Path

import pypdfium2
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.people import add_paper, amina_with_a_safe, sign_in
from tests.samples import changed_pixels, pdf
from vault.accounts.accounts import vault_of
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser


def test_send_a_copy_with_a_code_then_stop_it(
    page: Page, other_page: Page, live_url: str, rt: Runtime
) -> None:
    with transaction(rt.sessions) as db:
        amina = amina_with_a_safe(db, rt)
        vault = vault_of(db, amina.id)
        assert vault is not None
        vault_id = vault.id
    add_paper(rt, amina, vault_id, "Attestation CAF")

    sign_in(page, live_url, "amina.diallo")
    page.get_by_role("link", name="Attestation CAF").click()
    page.get_by_role("link", name="Envoyer une copie").click()
    expect(
        page.get_by_text("Le service verra une copie marquée, pas votre papier.")
    ).to_be_visible()
    page.get_by_label("À qui ?").fill("CAF du Loiret")
    page.get_by_label("Pour quoi ?").fill("Dossier RSA")
    page.get_by_label("1 jour", exact=True).check()
    page.get_by_label("Un code à donner au service (si vous voulez)").fill("soleil-42")
    page.get_by_role("button", name="Faire le lien").click()
    expect(page.get_by_role("heading", name="Le lien est prêt")).to_be_visible()
    link = page.get_by_label("Le lien").input_value()
    assert link.startswith(live_url + "/s/")

    counter = other_page
    counter.goto(link)
    expect(counter.get_by_role("heading", name="Une copie pour vous")).to_be_visible()
    # Nothing about the paper before the code: not its title, not who sends it.
    expect(counter.get_by_label("Le code donné avec le lien")).to_be_visible()
    expect(counter.get_by_text("Attestation CAF")).to_have_count(0)
    expect(counter.get_by_text("Amina Diallo")).to_have_count(0)
    expect(counter.get_by_role("button", name="Télécharger la copie")).to_have_count(0)
    counter.get_by_label("Le code donné avec le lien").fill("soleil-42")
    counter.get_by_role("button", name="Continuer").click()
    expect(counter.get_by_text("Attestation CAF")).to_be_visible()
    expect(counter.get_by_text("Amina Diallo")).to_be_visible()
    expect(counter.get_by_text("Le lien marche jusqu'au")).to_be_visible()
    # The code typed once is enough for the download.
    with counter.expect_download() as download_info:
        counter.get_by_role("button", name="Télécharger la copie").click()
    copy = Path(download_info.value.path()).read_bytes()
    marked = pypdfium2.PdfDocument(copy)[0].render(scale=1).to_pil()
    plain = pypdfium2.PdfDocument(pdf("Attestation CAF"))[0].render(scale=1).to_pil()
    assert changed_pixels(plain, marked) > 500
    metadata = PdfReader(io.BytesIO(copy)).metadata
    assert metadata is not None
    assert str(metadata["/Subject"]).startswith("Copie pour CAF du Loiret — ")

    page.get_by_role("link", name="Voir les liens de ce papier").click()
    expect(page.get_by_text("Pour CAF du Loiret")).to_be_visible()
    page.get_by_role("button", name="Arrêter ce lien").click()
    expect(page.get_by_text("Le lien est arrêté. Il ne marche plus.")).to_be_visible()

    counter.goto(link)
    expect(counter.get_by_role("heading", name="Ce lien n'est plus valable.")).to_be_visible()

    page.goto(live_url + "/historique")
    expect(
        page.get_by_text("CAF du Loiret a téléchargé la copie de « Attestation CAF ».")
    ).to_be_visible()
