"""Request bodies: the length a request declares, and the bound of every body but an upload's.

A JSON body or a page's form is read whole before it is judged: without a bound, 100 MiB sent
to POST /api/v1/session was held in memory to be refused. An upload's body streams through its
own reader, which bounds it by the instance's setting (webui/multipart.py)."""

from fastapi import HTTPException, Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vault.errors import N_

# Far above any form or JSON body of coffre (the longest fields are a few KiB).
MAX_BODY = 1024 * 1024
# Nineteen digits already say more than any body could hold; int() refuses more than 4,300.
MAX_LENGTH_DIGITS = 19
BEYOND_ANY_BODY = 10**MAX_LENGTH_DIGITS
# Set by a reader that bounds the body it reads.
_OWN_BOUND = "coffre.body_bounded_by_its_reader"

# Shown on the error page (webui/errors.py), in the person's language.
TOO_BIG = N_("Le contenu envoyé est trop gros.")


def declared_length(headers: Headers) -> int | None:
    """Content-Length as HTTP writes it (ASCII digits, RFC 9110), or None when there is none
    or it is no such number: « ² » is a digit to str.isdigit(), yet int() refuses it."""
    declared = headers.get("content-length", "")
    if not (declared.isascii() and declared.isdigit()):
        return None
    significant = declared.lstrip("0") or "0"
    return int(significant) if len(significant) <= MAX_LENGTH_DIGITS else BEYOND_ANY_BODY


def bounded_by_its_reader(request: Request) -> None:
    """Lift MAX_BODY from this request: the caller reads the body with a bound of its own."""
    request.scope[_OWN_BOUND] = True


class BoundedBodies:
    """A body past MAX_BODY is refused with 413, in the shape of every refusal (JSON for the
    API, the error page for a page), and nothing of it is read on: refused before its first
    byte when its Content-Length says so, or once past it when it comes without one (chunked).

    The refusal is raised where the route reads the body, so the app's error handlers answer
    it. Once the answer has started, the body is no longer being read: what asks the server
    for news then (a streamed answer waiting for a disconnection) is left alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(Headers(scope=scope))
        received = 0
        answering = False

        async def receive_bounded() -> Message:
            nonlocal received
            if answering or scope.get(_OWN_BOUND):
                return await receive()
            if declared is not None and declared > MAX_BODY:
                raise HTTPException(status_code=413, detail=TOO_BIG)
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY:
                raise HTTPException(status_code=413, detail=TOO_BIG)
            return message

        async def send_noting_the_answer(message: Message) -> None:
            nonlocal answering
            answering = answering or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, receive_bounded, send_noting_the_answer)
