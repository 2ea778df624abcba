"""Response headers, session cookies and CSRF checks for the pages."""

import hmac

from fastapi import Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vault.config import Settings
from vault.errors import N_
from webui.proxies import came_over_https

SECURE_COOKIE = "__Host-coffre"
PLAIN_COOKIE = "coffre_session"
FORM_COOKIE = "coffre_form"
MFA_COOKIE = "coffre_mfa"
DEVICE_COOKIE = "coffre_device"
# « Not my computer », chosen at the last sign-in: until the browser closes, the sign-in page
# comes back in that variant (after the idle sign-out too).
SHARED_COOKIE = "coffre_shared"

EXPIRED = N_("Cette page a expiré. Revenez en arrière, rechargez la page et recommencez.")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Scripts and styles from our own files only: no inline script, handler or style attribute.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Powerful features coffre never uses, denied to its pages and to anything they might embed.
# The phone scan takes pictures through a file input, which needs none of them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
# A year; only sent over HTTPS (browsers ignore it over HTTP). Not includeSubDomains: the
# operator's other hosts are not ours to decide for.
HSTS = "max-age=31536000"
_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    # Pages relax it to same-origin (base.html): a form sent after the session ended leads back
    # to its page. Nothing ever goes to another site.
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", CSP),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def is_https(request: Request) -> bool:
    settings: Settings = request.app.state.runtime.settings
    return came_over_https(request.scope, settings.trusted_proxy_networks())


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
        scheme = "https" if is_https(request) else request.url.scheme
        expected = f"{scheme}://{request.url.netloc}"
        return origin == expected
    return origin != "null"


def csrf_ok(request: Request, expected: str, submitted: str | None) -> bool:
    return (
        same_origin(request)
        and submitted is not None
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


def frame_options(headers: MutableHeaders) -> str:
    """For browsers older than CSP's frame-ancestors: DENY where the answer's CSP says 'none';
    SAMEORIGIN where a route set a CSP of its own (a served paper, shown in a frame of our own
    page), so that the two never disagree."""
    policy = headers.get("Content-Security-Policy", "")
    return "DENY" if "frame-ancestors 'none'" in policy else "SAMEORIGIN"


class SecurityHeaders:
    """Every response, errors included: no caching of anything personal, no framing, no
    sniffing, strict CSP, no referrer, no powerful features, HSTS over HTTPS. A header a route
    set itself is kept (a served paper's own CSP, say).

    A plain ASGI middleware, so uploads and downloads stream through untouched. It wraps the
    whole app, Starlette's ServerErrorMiddleware included (see webui.app.App)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        https = came_over_https(scope, self.settings.trusted_proxy_networks())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not static:
                    headers["Cache-Control"] = "no-store"
                for name, value in _HEADERS:
                    headers.setdefault(name, value)
                headers.setdefault("X-Frame-Options", frame_options(headers))
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
