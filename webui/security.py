"""Response headers, session cookies and CSRF checks for the pages."""

import hmac

from fastapi import Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vault.errors import N_

SECURE_COOKIE = "__Host-coffre"
PLAIN_COOKIE = "coffre_session"
FORM_COOKIE = "coffre_form"
MFA_COOKIE = "coffre_mfa"
DEVICE_COOKIE = "coffre_device"

EXPIRED = N_("Cette page a expiré. Revenez en arrière, rechargez la page et recommencez.")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'self'"
)
_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Content-Security-Policy", _CSP),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_name(request: Request, base: str = PLAIN_COOKIE) -> str:
    # The __Host- prefix is only accepted by browsers on a Secure cookie, i.e. over HTTPS.
    if not is_https(request):
        return base
    return SECURE_COOKIE if base == PLAIN_COOKIE else f"__Host-{base}"


def session_cookie_name(request: Request) -> str:
    return cookie_name(request)


def set_cookie(
    request: Request, response: Response, base: str, value: str, max_age: int | None = None
) -> None:
    """HttpOnly, SameSite=Strict, Secure over HTTPS; a session cookie unless `max_age`."""
    response.set_cookie(
        cookie_name(request, base),
        value,
        max_age=max_age,
        httponly=True,
        secure=is_https(request),
        samesite="strict",
        path="/",
    )


def clear_cookie(request: Request, response: Response, base: str) -> None:
    response.delete_cookie(
        cookie_name(request, base), path="/", secure=is_https(request), samesite="strict"
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    set_cookie(request, response, PLAIN_COOKIE, token)


def clear_session_cookie(request: Request, response: Response) -> None:
    clear_cookie(request, response, PLAIN_COOKIE)


def same_origin(request: Request) -> bool:
    """A state-changing page request must come from our own pages."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        expected = f"{request.url.scheme}://{request.url.netloc}"
        return origin == expected
    return origin != "null"


def csrf_ok(request: Request, expected: str, submitted: str | None) -> bool:
    return (
        same_origin(request)
        and submitted is not None
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


class SecurityHeaders:
    """Every response: no caching of anything personal, no framing, no sniffing, strict CSP.

    A plain ASGI middleware, so uploads and downloads stream through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not static:
                    headers["Cache-Control"] = "no-store"
                for name, value in _HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
