"""A real coffre served over HTTP on localhost, and Debian's Chromium driven by Playwright."""

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from tests.collection import keep_only
from tests.ports import free_port
from vault.runtime import Runtime
from webui.app import create_app
from webui.logs import log_config

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = os.path.dirname(__file__)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A page behaves the same whatever stores the papers: each journey runs with and without
    JavaScript on the embedded default, and once more with JavaScript on PostgreSQL and S3; the
    KMS keyring, which pages never see, is left to the integration tests."""
    keep_only(config, items, lambda item: not (str(item.path).startswith(HERE) and redundant(item)))


def redundant(item: pytest.Item) -> bool:
    params = (
        item.callspec.params
        if isinstance(item, pytest.Function) and hasattr(item, "callspec")
        else {}
    )
    backend, javascript = params.get("settings"), params.get("page")
    return backend == "kms" or (backend == "server" and javascript is False)


def chromium_path() -> str:
    path = os.environ.get("COFFRE_TEST_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.skip("no Chromium: run bash scripts/test.sh")
    return path


@contextmanager
def serve(rt: Runtime) -> Iterator[str]:
    """The coffre of `rt` over HTTP on a free local port, for as long as the block lasts."""
    port = free_port()
    # As `coffre serve` starts it: no Server header, coffre's own log configuration.
    config = uvicorn.Config(
        create_app(runtime=rt),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        log_config=log_config(),
        server_header=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def live_url(rt: Runtime) -> Iterator[str]:
    with serve(rt) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """Every journey runs twice: with JavaScript, and without it, as on an old phone."""
    context = browser.new_context(
        locale="fr-FR", accept_downloads=True, java_script_enabled=request.param
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def other_page(browser: Browser, page: Page, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A second person's browser in a journey (the person after the counsellor, the office
    after the sender), browsing as `page` does: with JavaScript, or without it."""
    context = browser.new_context(
        locale="fr-FR",
        accept_downloads=True,
        java_script_enabled=bool(request.node.callspec.params["page"]),
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
