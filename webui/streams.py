"""A paper found damaged while its bytes are already on their way (a download, an export): the
status has been sent, so the only honest answer left is to cut the connection short. Its one log
line is written where it was found (vault/documents/unreadable.py, vault/export/service.py); the
server then closes the connection with a line of its own, no traceback."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vault.errors import UnreadableError
from vault.export.service import ExportStoppedError


class CutDamagedStreams:
    """A plain ASGI middleware: what it does not catch streams through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if not (started and _damaged(exc)):
                raise


def _damaged(exc: BaseException) -> bool:
    """A damaged paper met while streaming. Starlette turns an error it has a handler for
    (UnreadableError is a VaultError) into a RuntimeError caused by it once the answer started."""
    return isinstance(exc, _DAMAGED) or isinstance(exc.__cause__, _DAMAGED)


_DAMAGED = (UnreadableError, ExportStoppedError)
