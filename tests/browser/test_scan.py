"""In a real browser: two photos of one paper (one taken sideways, one with a GPS position) make
one paper, a PDF of two upright pages without EXIF. With JavaScript the person sees the pages
and can change their order; without it, the pages keep the order they were chosen in."""

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.people import amina_with_a_safe, sign_in
from tests.samples import phone_photo
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser


def pages_of(content: bytes) -> list[Image.Image]:
    pictures: list[Image.Image] = []
    for page in PdfReader(io.BytesIO(content)).pages:
        (embedded,) = page.images
        pictures.append(Image.open(io.BytesIO(embedded.data)))
    return pictures


def fits_the_screen(page: Page) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def with_javascript(request: pytest.FixtureRequest) -> bool:
    return bool(request.node.callspec.params["page"])


def test_two_photos_become_one_pdf(
    page: Page, live_url: str, rt: Runtime, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with transaction(rt.sessions) as db:
        amina_with_a_safe(db, rt)
    sideways = tmp_path / "recto.jpg"
    sideways.write_bytes(phone_photo(400, 200, orientation=6))
    located = tmp_path / "verso.jpg"
    located.write_bytes(phone_photo(300, 150, gps=True, colours=("blue", "red")))

    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_url, "amina.diallo")
    page.goto(f"{live_url}/papiers/ajouter")
    page.get_by_label("Quel papier ?").select_option(label="Identité")
    page.get_by_label("Son nom").fill("Carte d'identité")
    expected_sizes = [(200, 400), (300, 150)]
    if with_javascript(request):
        # As with a phone's camera: one photo, then « Une autre page » for the next one.
        page.get_by_label("Le fichier").set_input_files(str(sideways))
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="Une autre page").click()
        chooser.value.set_files(str(located))
        expect(page.locator(".photo")).to_have_count(2)
        expect(page.get_by_role("status")).to_contain_text("2 fichiers")
        assert fits_the_screen(page)
        page.get_by_role("button", name="Plus tôt").nth(1).click()
        expect(page.locator(".photo-caption").first).to_have_text("Page 1")
        expected_sizes.reverse()
    else:
        page.get_by_label("Le fichier").set_input_files([str(sideways), str(located)])
    page.get_by_role("button", name="Ajouter", exact=True).click()
    expect(page.get_by_text("Le papier est bien dans votre coffre.")).to_be_visible()

    document_id = page.url.split("/papiers/")[1].split("?")[0]
    content = page.request.get(f"{live_url}/papiers/{document_id}/fichier").body()
    pictures = pages_of(content)
    assert [p.size for p in pictures] == expected_sizes
    for picture in pictures:
        assert not picture.getexif()
    assert b"Exif" not in content

    page.goto(f"{live_url}/papiers")
    thumbnail = page.locator(f'img[src="/papiers/{document_id}/vignette"]')
    expect(thumbnail).to_be_visible()
    small = page.request.get(f"{live_url}/papiers/{document_id}/vignette")
    assert small.status == 200
    assert small.headers["content-type"] == "image/jpeg"


def test_the_pages_in_arabic_at_320_px(
    page: Page, live_url: str, rt: Runtime, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if not with_javascript(request):
        pytest.skip("the list of pages is drawn by JavaScript")
    with transaction(rt.sessions) as db:
        amina_with_a_safe(db, rt)
    recto = tmp_path / "recto.jpg"
    recto.write_bytes(phone_photo(1200, 800))
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_url, "amina.diallo")
    page.goto(f"{live_url}/langue/ar")
    page.goto(f"{live_url}/papiers/ajouter")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.locator("#file").set_input_files([str(recto), str(recto)])
    expect(page.locator(".photo")).to_have_count(2)
    assert fits_the_screen(page)
    # Its third button takes the first page out (the words come from the Arabic catalogue).
    page.locator(".photo-actions").first.locator("button").nth(2).click()
    expect(page.locator(".photo")).to_have_count(1)
    assert page.evaluate("document.getElementById('file').files.length") == 1
