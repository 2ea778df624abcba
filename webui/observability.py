"""Every request gets an id and is measured: the id comes from the client's X-Request-ID when it
is a plain token (else a new one), goes back on every answer (errors and 500 included) and into
every log line written while the request runs; its route, status, duration and bytes are
counted for /metrics and, in JSON logs, written in one line.

Only the route's template is named (/api/v1/documents/{document_id}), never the path itself nor
its query: they carry ids of people and papers, a share's token, a name typed for a login."""

import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webui.metrics import REQUEST_DURATION, REQUESTS

log = logging.getLogger("coffre.requests")

HEADER = "x-request-id"
# What a proxy or client may give as an id: ids of the usual kinds (uuid, 32 hex digits of
# nginx's $request_id), nothing that could forge or break a log line.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
# A path no route answers: named by this, never by itself.
UNMATCHED = "unmatched"
# A client that went away before its answer began, as nginx counts it.
CLIENT_GONE = 499

_request_id: ContextVar[str | None] = ContextVar("coffre_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def request_id_from(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == HEADER.encode():
            given = bytes(value).decode("latin-1")
            if _SANE_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


def route_templates(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[int, str]]:
    """(id of the route object, its full template) for every route, those of included routers
    with their prefixes: the router puts the route that answered in scope["route"]. A mount
    is known by its app, which the router puts in scope["endpoint"]."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from route_templates(
                included.routes, prefix + (getattr(context, "prefix", "") or "")
            )
        elif isinstance(route, Mount):
            yield id(route.app), f"{prefix}{route.path}/{{path}}"
        else:
            path = getattr(route, "path", None)
            if isinstance(path, str):
                yield id(route), prefix + path


class Observe:
    """Pure ASGI: an upload or a download streams through untouched, only counted."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.templates = dict(route_templates(routes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        # Not reset when the request ends: the server's own report of a failure (its traceback)
        # is written after, in the same task, and names the request too. Each request runs in a
        # task of its own, started without it.
        _request_id.set(request_id)
        started = time.perf_counter()
        # The last byte of the answer: work done after it (background tasks) is not its time.
        ended: float | None = None
        status: int | None = None
        sent = received = 0
        complete = gone = False

        async def counting_receive() -> Message:
            nonlocal received, gone
            message = await receive()
            received += len(message.get("body", b""))
            gone = gone or (message["type"] == "http.disconnect" and status is None)
            return message

        async def tagging_send(message: Message) -> None:
            nonlocal status, sent, ended
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                message = {**message, "headers": [*headers, (HEADER.encode(), request_id.encode())]}
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
                if not message.get("more_body", False):
                    ended = time.perf_counter()
            await send(message)

        try:
            await self.app(scope, counting_receive, tagging_send)
            complete = True
        finally:
            # Gone before its answer began: whatever was then sent went to nobody. Nothing
            # answered otherwise: a failure went up to the server, which answers 500.
            answered = CLIENT_GONE if gone else status if status is not None else 500
            seconds = (ended or time.perf_counter()) - started
            self._record(scope, answered, seconds, sent, received, complete)

    def _record(
        self, scope: Scope, status: int, seconds: float, sent: int, received: int, complete: bool
    ) -> None:
        route = self.templates.get(id(scope.get("route"))) or self.templates.get(
            id(scope.get("endpoint")), UNMATCHED
        )
        method = scope["method"]
        status_class = f"{status // 100}xx"
        REQUESTS.labels(method, route, status_class).inc()
        REQUEST_DURATION.labels(method, route, status_class).observe(seconds)
        fields: dict[str, object] = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "bytes_sent": sent,
            "bytes_received": received,
        }
        if not complete:
            fields["complete"] = False
        log.info("%s %s %s", method, route, status, extra={"fields": fields})
