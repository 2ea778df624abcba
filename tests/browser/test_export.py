"""In a real browser: the person takes everything from their account page, and the ZIP holds
their two papers byte for byte."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.people import add_paper, amina_with_a_safe, sign_in
from tests.samples import pdf, png
from vault.accounts.accounts import vault_of
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser


def test_take_everything_from_the_account_page(page: Page, live_url: str, rt: Runtime) -> None:
    card, photo = pdf("carte"), png(30, 20)
    with transaction(rt.sessions) as db:
        amina = amina_with_a_safe(db, rt)
        vault = vault_of(db, amina.id)
        assert vault is not None
    add_paper(rt, amina, vault.id, "Carte d'identité", content=card)
    add_paper(rt, amina, vault.id, "Photo", content=photo)

    sign_in(page, live_url, "amina.diallo")
    page.goto(f"{live_url}/compte")
    expect(page.get_by_role("heading", name="Prendre tous mes papiers")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger tous mes papiers").click()
    download = download_info.value
    assert download.suggested_filename.startswith("coffre-")
    assert download.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    manifest = json.loads(archive.read("manifest.json"))
    contents = {p["title"]: archive.read(p["path"]) for p in manifest["papers"]}
    assert contents == {"Carte d'identité": card, "Photo": photo}
    assert "journal.csv" in archive.namelist()
