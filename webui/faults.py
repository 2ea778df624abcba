"""Faults that are not bugs, in one log line each, never a traceback: a client that went away in
the middle of its request, a paper whose bytes fail their check (or a store that fails) after
the first bytes of the answer have left. Anything else still goes up with its traceback."""

import logging
from collections.abc import Iterator

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from keys.errors import CryptoError
from storage.base import BlobStoreError
from vault.documents.export.service import ExportStoppedError
from vault.errors import UnreadableError
from webui.logs import private_path, told

log = logging.getLogger("coffre")

# What each fault is called in the log; the handlers in webui/errors.py log the same faults in
# the same words when they happen before the answer has started.
CUT_SHORT = {CryptoError: "integrity failure", BlobStoreError: "blob store failure"}
# Faults the code that raised them has logged already, in one line that names the paper
# (vault/documents/unreadable.py, vault/documents/export/service.py): the connection is cut, no
# traceback.
ALREADY_TOLD = (ExportStoppedError, UnreadableError)


class QuietFaults:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch_start)
        except Exception as exc:
            where = f"{scope['method']} {private_path(scope['path'])}"
            causes = list(chain_of(exc))
            if any(isinstance(cause, ClientDisconnect) for cause in causes):
                # Nothing to answer: nobody is listening.
                log.info("client went away during %s", where)
                return
            if not started:
                raise
            if any(isinstance(cause, ALREADY_TOLD) for cause in causes):
                told(exc)
                raise
            fault = next((cause for cause in causes if isinstance(cause, tuple(CUT_SHORT))), None)
            if fault is None:
                raise
            kind = next(name for cls, name in CUT_SHORT.items() if isinstance(fault, cls))
            log.error("%s on %s after the answer started: %s", kind, where, type(fault).__name__)
            told(exc)
            raise


def chain_of(exc: BaseException) -> Iterator[BaseException]:
    """The exception and those it was raised from or while handling."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
