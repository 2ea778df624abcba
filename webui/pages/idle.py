"""Idle sign-out on the pages, without `meta refresh`: the server ends an idle session (see
vault.accounts.sessions); with JavaScript, webui/static/idle.js warns a minute before and offers to
stay; without it, the style sheet below covers the page when the session has ended."""

from fastapi import APIRouter, Response

from vault.config import Settings
from webui.deps import PAGE_CSRF, RuntimeDep, SignedInPage

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])

# A few seconds after the server's limit: by then the session is over, whatever the clock drift.
MARGIN_SECONDS = 5


def seconds_to_the_curtain(settings: Settings) -> int:
    """From a page's answer to the moment its session is surely over."""
    return round(settings.session_idle_minutes * 60) + MARGIN_SECONDS


@router.get("/inactivite.css")
def idle_curtain(rt: RuntimeDep) -> Response:
    """Hides the page and shows « Votre coffre s'est fermé » once the idle time has passed.
    A style sheet rather than an inline style, which the CSP forbids."""
    delay = seconds_to_the_curtain(rt.settings)
    css = (
        f".idle-curtain-on main, .idle-curtain-on .top .menu, .idle-curtain-on .top .quit "
        f"{{ animation: coffre-idle-hide 0s linear {delay}s forwards; }}\n"
        f".idle-curtain-on .idle-curtain "
        f"{{ animation: coffre-idle-show 0s linear {delay}s forwards; }}\n"
        "@keyframes coffre-idle-hide { to { visibility: hidden; } }\n"
        "@keyframes coffre-idle-show { to { visibility: visible; } }\n"
    )
    return Response(css, media_type="text/css")


@router.post("/rester-connecte")
def stay_signed_in(_me: SignedInPage) -> Response:
    """« Rester connecté »: reaching a signed-in route is what keeps the session alive."""
    return Response(status_code=204)
