"""Idle sign-out while a paper is open, as on a shared computer. With JavaScript: a warning a
minute before, « Rester connecté », then the coffre closes itself and the paper is gone (the
page's clock is Playwright's, so minutes pass at once). Without JavaScript: the style sheet
covers the paper when the session ends (Chromium's animation clock sped up through DevTools),
and the next click lands on the sign-in page that says why, then back on the paper."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.app_fixtures import PASSWORD
from tests.browser.people import add_paper, amina_with_a_safe, sign_in
from tests.browser.screenshots import save_screenshot
from tests.samples import pdf, png
from vault.accounts.accounts import vault_of
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser


def amina_with_a_paper(rt: Runtime) -> str:
    with transaction(rt.sessions) as db:
        amina = amina_with_a_safe(db, rt)
        vault = vault_of(db, amina.id)
        assert vault is not None
        vault_id = vault.id
    return add_paper(rt, amina, vault_id, "Titre de séjour", content=png(400, 250))


def shots_folder(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("COFFRE_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def test_with_javascript_a_warning_then_the_paper_is_gone(
    browser: Browser, live_url: str, rt: Runtime, tmp_path: Path
) -> None:
    document_id = amina_with_a_paper(rt)
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.clock.install()
    sign_in(page, live_url, "amina.diallo")
    page.goto(f"{live_url}/papiers/{document_id}/voir")
    paper = page.get_by_role("img", name="Titre de séjour")
    expect(paper).to_be_visible()
    idle_ms = rt.settings.session_idle_minutes * 60_000

    page.clock.run_for(idle_ms - 59_000)
    expect(page.get_by_text("Votre coffre va se fermer dans une minute")).to_be_visible()
    save_screenshot(page, shots_folder(tmp_path) / "idle-warning.png", full_page=False)
    with page.expect_response(lambda answer: "/rester-connecte" in answer.url) as kept:
        page.get_by_role("button", name="Rester connecté").click()
    assert kept.value.status == 204
    expect(page.get_by_text("Votre coffre va se fermer dans une minute")).to_be_hidden()

    page.clock.run_for(idle_ms - 30_000)
    expect(paper).to_be_visible()
    page.clock.run_for(30_000)
    expect(page.get_by_role("heading", name="Votre coffre est fermé")).to_be_visible()
    expect(page.get_by_text("Il s'est fermé tout seul")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Ouvrir mon coffre")).to_be_visible()
    expect(page.get_by_role("img", name="Titre de séjour")).to_have_count(0)
    context.close()


def test_without_javascript_the_page_is_covered_then_back_after_sign_in(
    browser: Browser, live_url: str, rt: Runtime, tmp_path: Path
) -> None:
    document_id = amina_with_a_paper(rt)
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_url, "amina.diallo")
    paper_url = f"{live_url}/papiers/{document_id}/voir"
    page.goto(paper_url)
    paper = page.get_by_role("img", name="Titre de séjour")
    expect(paper).to_be_visible()
    curtain = page.get_by_text("Votre coffre s'est fermé, pour votre sécurité.")
    expect(curtain).to_be_hidden()

    # The server ends the session; the page's style sheet covers the paper at the same time.
    rt.settings.session_idle_minutes = 0
    devtools = context.new_cdp_session(page)
    devtools.send("Animation.enable")
    devtools.send("Animation.setPlaybackRate", {"playbackRate": 5000})
    expect(curtain).to_be_visible()
    expect(paper).to_be_hidden()
    expect(page.get_by_role("button", name="Quitter")).to_be_hidden()
    save_screenshot(page, shots_folder(tmp_path) / "idle-curtain-no-js.png", full_page=False)

    # The sped-up clock stays with the tab: back to real time, or the next page's curtain would
    # fall 15 minutes / 5000 = 0.18 s after it loads, before a busy machine looks at the paper.
    devtools.send("Animation.setPlaybackRate", {"playbackRate": 1})
    page.get_by_role("link", name="Ouvrir mon coffre").click()
    rt.settings.session_idle_minutes = 15
    expect(page.get_by_text("Votre coffre s'est fermé, pour votre sécurité")).to_be_visible()
    page.get_by_label("Mon identifiant").fill("amina.diallo")
    page.get_by_label("Mon mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Ouvrir", exact=True).click()
    # Her papers, not the one paper: whoever signs in there next may be someone else.
    assert page.url == f"{live_url}/papiers"
    expect(page.get_by_text("Titre de séjour")).to_be_visible()
    context.close()


def test_a_pdf_opened_on_its_own_leaves_the_screen_when_the_coffre_closes(
    browser: Browser, live_url: str, rt: Runtime
) -> None:
    """« Ouvrir le PDF en grand » shows the bare file, a page with no script nor style sheet of
    ours: the file's answer itself brings the paper's page back once the idle time is over,
    where the ended session leads to the sign-in page."""
    with transaction(rt.sessions) as db:
        amina = amina_with_a_safe(db, rt)
        vault = vault_of(db, amina.id)
        assert vault is not None
        vault_id = vault.id
    document_id = add_paper(rt, amina, vault_id, "Avis d'impôt", content=pdf("impots"))
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_url, "amina.diallo")
    page.goto(f"{live_url}/papiers/{document_id}/voir")
    # A few seconds of idle time (the setting is read as the answer is made), so that the
    # browser's own clock, which Playwright does not drive, gets there in the test's time.
    rt.settings.session_idle_minutes = 0.1  # type: ignore[assignment]
    # Followed as a typed address would be: a click on the link, beside the frame where
    # Chromium's PDF viewer was loading the same file, sometimes started no navigation at all
    # (CI twice, once here in two runs: the page stayed on /voir for 30 s).
    link = page.get_by_role("link", name="Ouvrir le PDF en grand").get_attribute("href")
    assert link == f"/papiers/{document_id}/fichier"
    page.goto(f"{live_url}{link}")
    expect(page).to_have_url(f"{live_url}{link}")
    expect(page.get_by_role("heading", name="Ouvrir mon coffre")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Votre coffre s'est fermé, pour votre sécurité")).to_be_visible()
    assert "/fichier" not in page.url
    context.close()


def test_not_my_computer_is_kept_through_the_idle_sign_out(
    browser: Browser, live_url: str, rt: Runtime
) -> None:
    """The script's sign-out sends Clear-Site-Data, which takes the cookie that kept « not my
    computer »: the goodbye page's way back in carries the choice instead."""
    with transaction(rt.sessions) as db:
        amina_with_a_safe(db, rt)
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.clock.install()
    page.goto(f"{live_url}/connexion?partage=1")
    page.get_by_label("Mon identifiant").fill("amina.diallo")
    page.get_by_label("Mon mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Ouvrir", exact=True).click()
    expect(page.locator("form.quit")).to_have_count(1)
    page.clock.run_for(rt.settings.session_idle_minutes * 60_000)
    expect(page.get_by_role("heading", name="Votre coffre est fermé")).to_be_visible()
    assert context.cookies() == []
    page.get_by_role("link", name="Ouvrir mon coffre").click()
    expect(page.locator('input[name="shared"][value="1"]')).to_have_count(1)
    expect(page.locator("#login")).to_have_attribute("autocomplete", "off")
    context.close()
