"""Screenshots for people to open: a capture the browser could not take is taken again."""

from pathlib import Path

from playwright.sync_api import Error, Page

ATTEMPTS = 3


def save_screenshot(page: Page, path: Path, *, full_page: bool = True) -> None:
    """Save what `page` shows at `path`.

    Headless Chromium now and then answers « Unable to capture screenshot » while its compositor
    is busy (two browsers and the servers on two cores): the page itself is fine, so the capture
    is tried again a moment later; any other error, or the last attempt's, is the test's."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            page.screenshot(path=str(path), full_page=full_page)
            return
        except Error as error:
            if "Unable to capture screenshot" not in error.message or attempt == ATTEMPTS:
                raise
            page.wait_for_timeout(250 * attempt)
