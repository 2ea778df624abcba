"""How domain errors become HTTP answers: a status and a message a person can read."""

import logging
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from keys.errors import CryptoError
from storage.base import BlobStoreError
from vault.errors import (
    N_,
    AuthenticationError,
    BusyError,
    ThrottledError,
    VaultError,
)
from webui import i18n
from webui.deps import SessionEnded, SignInRequired, had_session
from webui.logs import hide_share_tokens
from webui.navigation import local_path
from webui.pages.render import page
from webui.security import clear_session_cookie
from webui.statuses import status_of

log = logging.getLogger("coffre")

# French, as the API answers them; error.html translates them for a page.
BROKEN = N_("Ce document ne peut pas être ouvert : il est abîmé. Prévenez l'équipe du service.")
UNAVAILABLE = N_("Le service est momentanément indisponible. Réessayez dans quelques minutes.")
TOO_LONG = N_("Un champ est trop long ou n'est pas valide.")
CLASH = N_("Cela existe déjà ou entre en conflit avec ce qui existe.")
BAD_LINK = N_("Ce lien n'est pas valide. Revenez à l'accueil et réessayez.")
BAD_FORM = N_(
    "Un champ du formulaire est trop long ou n'est pas valide. "
    "Revenez en arrière, vérifiez ce que vous avez écrit et réessayez."
)
NO_SUCH_PAGE = N_("Cette page n'existe pas.")
SOME_ERROR = N_("Erreur.")


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def answer(
    request: Request,
    message: str,
    status_code: int,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """JSON for the API, a plain page for a person."""
    if is_api(request):
        return JSONResponse(
            {"detail": message, "field": field}, status_code=status_code, headers=headers
        )
    signed_in = getattr(request.state, "signed_in", None)
    response = page(request, "error.html", signed_in, status_code=status_code, message=message)
    # A page's 405 keeps its Allow, a page's 429 its Retry-After.
    response.headers.update(headers or {})
    return response


# What the page that says a session ended calls the fields it shows back (translated there).
FIELD_LABELS = {
    "title": N_("Nom du papier"),
    "display_name": N_("Nom"),
    "login": N_("Identifiant"),
    "name": N_("Nom"),
    "expires_on": N_("Valable jusqu'au"),
    "language": N_("Langue"),
}
OTHER_FIELD = N_("Texte")


def page_text(request: Request, exc: VaultError) -> str:
    """A refusal in the language the page will speak: the signed-in person's stored choice,
    which may differ from the browser's the request started in."""
    signed_in = getattr(request.state, "signed_in", None)
    with i18n.speaking(i18n.language_of(request, signed_in.person if signed_in else None)):
        return i18n.error_text(exc)


def sign_in_url(*, ended: bool, after: str | None) -> str:
    query = {"fin": "1"} if ended else {}
    if after:
        query["suite"] = after
    return "/connexion" + (f"?{urlencode(query)}" if query else "")


def referring_page(request: Request) -> str | None:
    """The page of ours the form was on (the Referer is sent to our own origin only)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return None
    return local_path(referer.path + (f"?{referer.query}" if referer.query else ""))


def sign_in_redirect(request: Request) -> Response:
    """To sign in, then back to the page asked for. When the browser held a session that has
    ended, the sign-in page says why, and the stale cookie goes."""
    ended = had_session(request)
    after = local_path(str(request.url.path)) if request.method == "GET" else None
    if after and request.url.query:
        after = local_path(f"{after}?{request.url.query}")
    response = RedirectResponse(sign_in_url(ended=ended, after=after), status_code=303)
    if ended:
        clear_session_cookie(request, response)
    return response


def error_headers(exc: VaultError) -> dict[str, str] | None:
    if isinstance(exc, ThrottledError | BusyError):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, AuthenticationError):
        return {"WWW-Authenticate": "Bearer"}
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _exc: SignInRequired) -> Response:
        return sign_in_redirect(request)

    @app.exception_handler(SessionEnded)
    async def session_ended(request: Request, exc: SessionEnded) -> Response:
        response = page(
            request,
            "session_ended.html",
            None,
            status_code=401,
            kept=[(FIELD_LABELS.get(name, OTHER_FIELD), value) for name, value in exc.kept],
            next_url=sign_in_url(ended=True, after=referring_page(request)),
        )
        clear_session_cookie(request, response)
        return response

    @app.exception_handler(VaultError)
    async def vault_error(request: Request, exc: VaultError) -> Response:
        message = exc.message if is_api(request) else page_text(request, exc)
        return answer(request, message, status_of(exc), exc.field, error_headers(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else SOME_ERROR
        if exc.status_code == 404 and message == "Not Found":
            message = NO_SUCH_PAGE
        return answer(request, message, exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_fields(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        where: tuple[object, ...] = tuple(errors[0].get("loc", ())) if errors else ()
        if not is_api(request):
            # A person followed a link that was changed, or sent a field longer than the page
            # allows: a page that says so, never the API's JSON.
            in_link = bool(where) and where[0] in {"path", "query"}
            return answer(request, BAD_LINK if in_link else BAD_FORM, 400 if in_link else 422)
        field = str(where[-1]) if where else None
        return JSONResponse(
            {"detail": "Un champ manque ou n'est pas valide.", "field": field}, status_code=422
        )

    # A database refusal is a clean answer, never a 500. The request's transaction is already
    # rolled back (webui/deps.py get_db); only the kind of error is logged, never its values.
    @app.exception_handler(DataError)
    async def bad_value(request: Request, exc: DataError) -> Response:
        log.warning(
            "database refused a value on %s: %s",
            hide_share_tokens(request.url.path),
            type(exc).__name__,
        )
        return answer(request, TOO_LONG, 422)

    @app.exception_handler(IntegrityError)
    async def clash(request: Request, exc: IntegrityError) -> Response:
        log.warning(
            "database conflict on %s: %s", hide_share_tokens(request.url.path), type(exc).__name__
        )
        return answer(request, CLASH, 409)

    @app.exception_handler(CryptoError)
    async def broken(request: Request, exc: CryptoError) -> Response:
        log.error(
            "integrity failure on %s: %s", hide_share_tokens(request.url.path), type(exc).__name__
        )
        return answer(request, BROKEN, 500)

    @app.exception_handler(BlobStoreError)
    async def store_down(request: Request, exc: BlobStoreError) -> Response:
        log.error(
            "blob store failure on %s: %s", hide_share_tokens(request.url.path), type(exc).__name__
        )
        return answer(request, UNAVAILABLE, 503)
