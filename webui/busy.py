"""At most COFFRE_MAX_REQUESTS requests in the app at once: past that, a request is answered
at once with 503, `Retry-After` and the app's own words (the API's error body, a page in the
person's language), where uvicorn's own limit answered « Service Unavailable » in plain English,
without `Retry-After`, and counted idle kept-alive connections as requests."""

from html import escape

from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from vault.errors import N_
from webui import i18n
from webui.navigation import own_page

BUSY = N_("Le service est très demandé en ce moment. Réessayez dans un instant.")
TRY_AGAIN = N_("Réessayer")
RETRY_AFTER_SECONDS = 2


class AtMostRequests:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        # One event loop per process: no lock needed between the check and the count.
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await busy(scope)(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


def busy(scope: Scope) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    message = i18n.gettext(BUSY)
    path: str = scope.get("path", "/")
    if path.startswith("/api/"):
        return JSONResponse({"detail": message, "field": None}, 503, headers)
    query = scope.get("query_string", b"").decode("latin-1")
    asked = f"{path}?{query}" if query else path
    # Only a path of this site (a decoded `/\\host` leads elsewhere), and only to ask again
    # what a GET asked.
    again = escape((own_page(asked) if scope.get("method") == "GET" else None) or "/", quote=True)
    page = (
        f'<!doctype html><html lang="{i18n.current()}" dir="{i18n.direction()}">'
        '<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(message)}</title><link rel="stylesheet" href="/static/style.css"></head>'
        f'<body><main><p class="lead">{escape(message)}</p>'
        f'<p><a class="button" href="{again}">{escape(i18n.gettext(TRY_AGAIN))}</a></p>'
        "</main></body></html>"
    )
    return HTMLResponse(page, 503, headers)
