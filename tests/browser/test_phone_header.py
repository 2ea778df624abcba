"""On a 320 px phone, every signed-in page keeps its header on one compact row, « Quitter »
always visible, no sideways scrolling; the menu opens without JavaScript; a skip link leads to
the content; focus shows clearly. Screenshots go to $COFFRE_TEST_SCREENSHOTS (or the test's
own folder)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.people import amina_with_a_safe, claire_of_the_ccas, sign_in
from tests.browser.screenshots import save_screenshot
from vault.accounts.recovery import new_recovery_codes
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 320, "height": 640}
TRUST_PAGES = ("/protection", "/qui-gere", "/aide")
PERSON_PAGES = ("/papiers", "/papiers/ajouter", "/acces", "/historique", "/compte", *TRUST_PAGES)
COUNSELLOR_PAGES = ("/personnes", "/personnes/demande", "/personnes/nouvelle", "/compte")


def people(rt: Runtime) -> None:
    with transaction(rt.sessions) as db:
        amina = amina_with_a_safe(db, rt)
        new_recovery_codes(db, amina)
        claire_of_the_ccas(db, rt)


WIDER_THAN_THE_SCREEN = """(width) => [...document.querySelectorAll('body *')]
    .map(e => [e, e.getBoundingClientRect().right])
    .filter(([e, right]) => right > width + 0.5)
    .map(([e, right]) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(right)}`)"""


def fits_the_phone(page: Page, shots: Path, name: str) -> None:
    too_wide = page.evaluate(WIDER_THAN_THE_SCREEN, PHONE["width"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (name, too_wide)
    header = page.locator("header.top").bounding_box()
    assert header is not None
    assert header["height"] <= 70, f"{name}: the header takes {header['height']} px"
    quit_button = page.get_by_role("button", name="Quitter").bounding_box()
    assert quit_button is not None
    assert quit_button["x"] >= 0
    assert quit_button["x"] + quit_button["width"] <= PHONE["width"], name
    assert quit_button["height"] >= 44
    save_screenshot(page, shots / f"phone{name.replace('/', '-')}.png")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_signed_in_pages_fit_a_320px_phone(
    browser: Browser, live_url: str, rt: Runtime, tmp_path: Path, javascript: bool
) -> None:
    shots = Path(os.environ.get("COFFRE_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    people(rt)
    for login, pages in (("amina.diallo", PERSON_PAGES), ("claire.martin", COUNSELLOR_PAGES)):
        context = browser.new_context(
            viewport=PHONE, locale="fr-FR", java_script_enabled=javascript
        )
        page = context.new_page()
        sign_in(page, live_url, login)
        for path in pages:
            page.goto(f"{live_url}{path}")
            fits_the_phone(page, shots, f"-{login}{path}-{'js' if javascript else 'nojs'}")
        # The menu is a disclosure: closed, then opened by a tap, with or without JavaScript.
        account = page.get_by_role("link", name="Mon compte")
        expect(account).to_be_hidden()
        page.locator("summary", has_text="Menu").click()
        expect(account).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        account.click()
        expect(page.get_by_role("heading", name="Mon compte")).to_be_visible()
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_signed_out_trust_pages_fit_a_320px_phone(
    browser: Browser, live_url: str, tmp_path: Path, javascript: bool
) -> None:
    """Before sign-in too: the trust pages and the footer that leads to them, without sideways
    scrolling, each footer link a 44 px target."""
    shots = Path(os.environ.get("COFFRE_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE, locale="fr-FR", java_script_enabled=javascript)
    page = context.new_page()
    for path in ("/connexion", *TRUST_PAGES):
        page.goto(f"{live_url}{path}")
        too_wide = page.evaluate(WIDER_THAN_THE_SCREEN, PHONE["width"])
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], too_wide
        links = page.locator("footer.foot a")
        expect(links).to_have_count(3)
        for link in links.all():
            box = link.bounding_box()
            assert box is not None
            assert box["height"] >= 44, path
        save_screenshot(page, shots / f"phone-signed-out{path.replace('/', '-')}.png")
    page.locator("footer.foot").get_by_role("link", name="Aide").click()
    expect(page.get_by_role("heading", name="Aide", exact=True)).to_be_visible()
    context.close()


def test_skip_link_and_focus_ring(page: Page, live_url: str, rt: Runtime) -> None:
    people(rt)
    sign_in(page, live_url, "amina.diallo")
    page.goto(f"{live_url}/papiers")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    page.keyboard.press("Tab")
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineColor, s.outlineWidth]; })()"
    )
    assert ring == ["solid", "rgb(11, 12, 12)", "3px"]


def test_the_menu_shows_inline_on_a_wide_screen(page: Page, live_url: str, rt: Runtime) -> None:
    people(rt)
    sign_in(page, live_url, "amina.diallo")
    expect(page.get_by_role("link", name="Mon compte")).to_be_visible()
    expect(page.locator("summary", has_text="Menu")).to_be_hidden()
