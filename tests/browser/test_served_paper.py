"""In a real browser: a PDF served sandboxed (webui/served.py) still opens in Chromium's PDF
viewer, inside the paper's page and on its own."""

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.browser.people import add_paper, amina_with_a_safe, sign_in
from tests.samples import pdf
from vault.accounts.accounts import vault_of
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser

PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"


def viewer_frames(page: Page) -> list[Frame]:
    return [frame for frame in page.frames if frame.url.startswith(PDF_VIEWER)]


def test_a_sandboxed_pdf_opens_in_the_viewer(page: Page, live_url: str, rt: Runtime) -> None:
    with transaction(rt.sessions) as db:
        amina = amina_with_a_safe(db, rt)
        vault = vault_of(db, amina.id)
        assert vault is not None
        vault_id = vault.id
    document_id = add_paper(rt, amina, vault_id, "Avis d'impôt", content=pdf("impots"))

    sign_in(page, live_url, "amina.diallo")
    with page.expect_response(f"{live_url}/papiers/{document_id}/fichier") as served:
        page.goto(f"{live_url}/papiers/{document_id}/voir")
    policy = served.value.header_value("content-security-policy")
    assert policy is not None
    assert policy.startswith("sandbox;")
    expect(page.get_by_role("heading", name="Avis d'impôt")).to_be_visible()
    page.wait_for_timeout(500)  # the viewer starts in a frame of its own
    assert viewer_frames(page), [frame.url for frame in page.frames]

    page.goto(f"{live_url}/papiers/{document_id}/fichier")
    page.wait_for_timeout(500)
    assert viewer_frames(page), [frame.url for frame in page.frames]
