"""What every page router needs: redirects, CSRF checks (with or without a session), the
fields that ask again who is there."""

import secrets
from typing import Annotated, Any

from fastapi import Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from vault.accounts.sessions import SignedIn
from vault.errors import VaultError
from webui.pages.render import page
from webui.security import EXPIRED, FORM_COOKIE, cookie_name, csrf_ok, set_cookie

YES = frozenset({"1", "oui", "yes", "on", "true"})


def is_yes(value: str) -> bool:
    """A yes in a link, as we write it (`?partage=1`) or as a person may type it (`oui`)."""
    return value.strip().lower() in YES


Password = Annotated[str, Form(max_length=1000)]
Code = Annotated[str, Form(max_length=20)]
_REAUTH_FIELDS = ("current_password", "totp")


def field_in_form(form: str, field: str) -> str:
    """Several forms of a page may ask for the current password: each has its own field ids
    (« codes-current_password »), so the error summary links to the field of the form sent."""
    return f"{form}-{field}" if form and field in _REAUTH_FIELDS else field


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def check_csrf(request: Request, signed_in: SignedIn, token: str | None) -> None:
    if not csrf_ok(request, signed_in.session.csrf_token, token):
        raise HTTPException(status_code=403, detail=EXPIRED)


def form_token(request: Request) -> str:
    """The token of a form shown before sign-in (double submit: cookie and hidden field)."""
    return request.cookies.get(cookie_name(request, FORM_COOKIE)) or secrets.token_urlsafe(32)


def with_form_cookie(request: Request, response: Response, token: str) -> Response:
    set_cookie(request, response, FORM_COOKIE, token)
    return response


def anonymous_form(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    error: VaultError | None = None,
    **context: Any,
) -> Response:
    """A form page shown before sign-in, with its CSRF token and, on error, the summary."""
    token = form_token(request)
    response = page(
        request,
        template,
        None,
        status_code=status_code,
        error=error,
        form_csrf=token,
        **context,
    )
    return with_form_cookie(request, response, token)
