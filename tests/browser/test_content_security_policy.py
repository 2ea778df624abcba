"""The pages, and /api/docs, work under the strict CSP in a real Chromium: nothing refused, no
inline script needed. The header's no-referrer does not stop a form sent after the end of a
session from leading back to its page (the pages ask for same-origin)."""

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.browser.people import amina_with_a_safe, sign_in
from tests.browser.test_idle_sign_out import amina_with_a_paper
from vault.db import transaction
from vault.runtime import Runtime

pytestmark = pytest.mark.browser

# Every violation, as the page's own event reports it (Playwright's init script runs outside
# the page's CSP).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@dataclass
class Watched:
    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        seen: list[str] = self.page.evaluate("window.__violations")
        refused = [text for text in self.console if "Content Security Policy" in text]
        return seen + refused


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(15_000)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    seen = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        seen.console.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    yield seen
    context.close()


def test_api_docs_lists_the_operations(watched: Watched, live_url: str) -> None:
    page = watched.page
    answer = page.goto(f"{live_url}/api/docs")
    assert answer is not None
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "server" not in answer.headers
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 20
    expect(page.get_by_text("/api/v1/session", exact=True).first).to_be_visible()
    operations.first.locator(".opblock-summary").click()  # opens without a violation either
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert watched.violations() == []
    assert watched.errors == []


def test_the_pages_run_under_the_policy(watched: Watched, live_url: str, rt: Runtime) -> None:
    page = watched.page
    document_id = amina_with_a_paper(rt)
    sign_in(page, live_url, "amina.diallo")
    for path in (
        "/papiers",
        "/papiers/ajouter",  # photos.js
        f"/papiers/{document_id}",
        f"/papiers/{document_id}/voir",
        "/compte",
        "/historique",
        "/aide",
    ):
        answer = page.goto(f"{live_url}{path}")
        assert answer is not None
        assert answer.ok, path
        assert answer.headers["referrer-policy"] == "no-referrer"
    expect(page.get_by_role("button", name="Quitter")).to_be_visible()
    assert watched.violations() == []
    assert watched.errors == []


def test_a_form_sent_after_the_end_still_leads_back_to_its_page(
    browser: Browser, live_url: str, rt: Runtime
) -> None:
    with transaction(rt.sessions) as db:
        amina_with_a_safe(db, rt)
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_url, "amina.diallo")
    page.goto(f"{live_url}/compte")
    rt.settings.session_idle_minutes = 0
    page.locator('form[action="/compte/infos"] button[type="submit"]').click()
    rt.settings.session_idle_minutes = 15
    expect(page.get_by_role("heading", name="Votre coffre s'est fermé")).to_be_visible()
    back = page.get_by_role("link", name="Ouvrir mon coffre")
    assert "suite=%2Fcompte" in (back.get_attribute("href") or "")
    context.close()
