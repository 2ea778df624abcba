"""The FastAPI application: pages, JSON API under /api/v1, static files, health probes."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib.resources import files

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from vault.config import Settings, get_settings
from vault.runtime import Runtime
from vault.wiring import build_runtime
from webui import api_docs, health, metrics
from webui.allocator import give_big_blocks_back
from webui.api import (
    account,
    consent,
    documents,
    export,
    organisations,
    people,
    session,
    shares,
)
from webui.api import bin as bin_api
from webui.bodies import BoundedBodies
from webui.busy import AtMostRequests
from webui.errors import install_error_handlers
from webui.faults import QuietFaults
from webui.i18n import ChooseLanguage
from webui.observability import Observe
from webui.openapi import install_contract
from webui.pages import account as account_pages
from webui.pages import admin as admin_pages
from webui.pages import auth as auth_pages
from webui.pages import bin as bin_pages
from webui.pages import consent as consent_pages
from webui.pages import export as export_pages
from webui.pages import first_password as first_password_pages
from webui.pages import hold as hold_pages
from webui.pages import idle as idle_pages
from webui.pages import language as language_pages
from webui.pages import paper_upload
from webui.pages import papers as paper_pages
from webui.pages import shares as share_pages
from webui.pages import team as team_pages
from webui.pages import trust as trust_pages
from webui.security import SecurityHeaders


def enough_threads(
    requests: int,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A worker thread for every request in flight. A route's transaction ends after FastAPI has
    validated its answer in another worker thread: if every thread were taken by requests
    waiting for that transaction's lock (SQLite's write lock, a row), it would never end."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, requests + 1)
        yield

    return lifespan


class App(FastAPI):
    """The request's id and measures, the headers and the quiet faults wrap everything,
    Starlette's ServerErrorMiddleware included: its 500 answer gets the headers too."""

    def build_middleware_stack(self) -> ASGIApp:
        return Observe(
            SecurityHeaders(
                QuietFaults(super().build_middleware_stack()), self.state.runtime.settings
            ),
            self.routes,
        )


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or build_runtime(settings or get_settings())
    app = App(
        lifespan=enough_threads(runtime.settings.max_requests),
        title="coffre",
        version="1",
        description="Coffre-fort numérique : API v1",
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    api = APIRouter(prefix="/api/v1")
    for router in (
        session.router,
        account.router,
        people.router,
        organisations.router,
        consent.router,
        documents.router,
        bin_api.router,
        export.router,
        shares.router,
    ):
        api.include_router(router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(api_docs.router)
    for pages in (
        auth_pages,
        account_pages,
        admin_pages,
        consent_pages,
        export_pages,
        first_password_pages,
        hold_pages,
        idle_pages,
        language_pages,
        paper_upload,
        paper_pages,
        bin_pages,
        share_pages,
        team_pages,
        trust_pages,
    ):
        app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(files("webui") / "static")), name="static")
    install_error_handlers(app)
    install_contract(app)
    app.add_middleware(BoundedBodies)
    app.add_middleware(AtMostRequests, limit=runtime.settings.max_requests)
    app.add_middleware(ChooseLanguage)
    return app


def worker_app() -> FastAPI:
    """The app of one process of `coffre serve --workers N`: the command checked the schema
    before starting them; each worker only checks it again."""
    give_big_blocks_back()
    return create_app(runtime=build_runtime(get_settings()))
