"""Past COFFRE_MAX_REQUESTS requests in the app at once, the next is answered at once: 503 with
Retry-After and the app's words, in the person's language (review finding: uvicorn's own limit
answered « Service Unavailable » in plain English, without Retry-After)."""

import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import httpx
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from vault.runtime import Runtime
from webui.app import create_app
from webui.busy import AtMostRequests

T = TypeVar("T")


def run_apart(function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`anyio.run` in a thread of its own: the test's thread may already run an event loop."""
    results: list[T] = []
    runner = threading.Thread(target=lambda: results.append(anyio.run(function, *args)))
    runner.start()
    runner.join(timeout=60)
    return results[0]


def app_holding_one(rt: Runtime, release: anyio.Event, entered: anyio.Event) -> FastAPI:
    """The real app, at most one request at once, and a route that holds its request."""

    async def held(_request: Request) -> PlainTextResponse:
        entered.set()
        await release.wait()
        return PlainTextResponse("fini")

    rt.settings.max_requests = 1
    app = create_app(runtime=rt)
    app.router.add_route("/api/v1/lent", held)
    return app


async def one_held_then(
    rt: Runtime, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, int]:
    release, entered = anyio.Event(), anyio.Event()
    transport = httpx.ASGITransport(app=app_holding_one(rt, release, entered))
    async with httpx.AsyncClient(transport=transport, base_url="http://coffre.test") as client:
        statuses: list[int] = []

        async def first() -> None:
            statuses.append((await client.get("/api/v1/lent")).status_code)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(first)
            await entered.wait()
            refused = await client.get(path, headers=headers)
            release.set()
        return refused, statuses[0]


def test_the_api_gets_its_error_body_and_retry_after(rt: Runtime) -> None:
    refused, first = run_apart(one_held_then, rt, "/api/v1/me", {})
    assert first == 200
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert refused.headers["cache-control"] == "no-store"
    assert refused.headers["x-request-id"]
    assert refused.json() == {
        "detail": "Le service est très demandé en ce moment. Réessayez dans un instant.",
        "field": None,
    }


def test_a_page_speaks_the_persons_language(rt: Runtime) -> None:
    refused, _first = run_apart(one_held_then, rt, "/papiers", {"Accept-Language": "ar"})
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert 'lang="ar" dir="rtl"' in refused.text
    assert "الخدمة مشغولة جدًا الآن" in refused.text
    assert 'href="/papiers"' in refused.text


def test_the_count_goes_down_once_a_request_ends() -> None:
    async def two_in_a_row() -> list[int]:
        async def quick(_request: Request) -> PlainTextResponse:
            return PlainTextResponse("ok")

        app = AtMostRequests(Starlette(routes=[Route("/", quick)]), limit=1)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://coffre.test") as c:
            return [(await c.get("/")).status_code for _ in range(3)]

    assert run_apart(two_in_a_row) == [200, 200, 200]


def test_the_retry_link_stays_on_this_site(rt: Runtime) -> None:
    """Review finding: the decoded path went into the link: `/%5Cevil.example` gave
    `href="/\\evil.example"`, which browsers read as another site."""
    for path in ("/%5Cevil.example", "/%0A/evil.example"):
        refused, _first = run_apart(one_held_then, rt, path, {})
        assert refused.status_code == 503
        assert 'href="/"' in refused.text
    kept, _first = run_apart(one_held_then, rt, "/papiers/ajouter?coffre=abc", {})
    assert 'href="/papiers/ajouter?coffre=abc"' in kept.text
