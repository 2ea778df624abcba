"""How domain errors become HTTP answers: a status and a message a person can read, in the
language the pages would speak to them (the API's as the pages')."""

import logging
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from keys.errors import CryptoError
from storage.base import BlobStoreError, StoreFullError
from vault.errors import (
    N_,
    UnreadableError,
    VaultError,
)
from webui import i18n
from webui.deps import PasswordToChoose, SessionEnded, SignInRequired, had_session
from webui.logs import hide_share_tokens
from webui.navigation import local_path
from webui.pages.render import page
from webui.security import clear_session_cookie
from webui.statuses import error_headers, status_of

log = logging.getLogger("coffre")

# In French, the catalogues' source: put in the request's language by api_refusal for the API,
# by error.html for a page.
BROKEN = N_("Ce document ne peut pas être ouvert : il est abîmé. Prévenez l'équipe du service.")
UNAVAILABLE = N_("Le service est momentanément indisponible. Réessayez dans quelques minutes.")
STORE_FULL = N_(
    "Le service n'a plus de place pour de nouveaux papiers. Ce papier n'est pas enregistré. "
    "Prévenez l'équipe du service."
)
TOO_LONG = N_("Un champ est trop long ou n'est pas valide.")
CLASH = N_("Cela existe déjà ou entre en conflit avec ce qui existe.")
BAD_LINK = N_("Ce lien n'est pas valide. Revenez à l'accueil et réessayez.")
BAD_FORM = N_(
    "Un champ du formulaire est trop long ou n'est pas valide. "
    "Revenez en arrière, vérifiez ce que vous avez écrit et réessayez."
)
NO_SUCH_PAGE = N_("Cette page n'existe pas.")
SOME_ERROR = N_("Erreur.")
UNREADABLE_BODY = N_("Le contenu envoyé ne peut pas être lu : envoyez du JSON valide, en UTF-8.")
WRONG_METHOD = N_("Cette action n'est pas possible à cette adresse.")
BAD_FIELD = N_("Un champ manque ou n'est pas valide.")
# The framework's own words for its refusals, in words of ours.
FRAMEWORK_WORDS = {
    "Not Found": NO_SUCH_PAGE,
    "There was an error parsing the body": UNREADABLE_BODY,
    "Method Not Allowed": WRONG_METHOD,
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def api_language(request: Request) -> str:
    """The language of the API's refusals, chosen as the pages choose theirs
    (i18n.language_of): the caller's stored choice, noted when their token was checked
    (webui.deps.api_signed_in), so that no handler asks the database, which may be what
    failed; without one (no token, a refused one, a body refused before the token was read),
    the switch's cookie, then Accept-Language, then French."""
    noted = getattr(request.state, "language", None)
    return noted if isinstance(noted, str) else i18n.browser_language(request)


def api_refusal(
    request: Request,
    message: str,
    status_code: int,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str | int] | None = None,
) -> JSONResponse:
    """The API's refusal, `{"detail", "field"}`: `message` (French) in the caller's language
    (api_language), its `params` put in after translation."""
    with i18n.speaking(api_language(request)):
        detail = i18n.translated(message, params)
    return JSONResponse(
        {"detail": detail, "field": field}, status_code=status_code, headers=headers
    )


def answer(
    request: Request,
    message: str,
    status_code: int,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """JSON for the API, a plain page for a person; `message` is French, each puts it in the
    person's language."""
    if is_api(request):
        return api_refusal(request, message, status_code, field, headers)
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
    "recipient": N_("À qui ?"),
    "purpose": N_("Pour quoi ?"),
    "email": N_("Mon e-mail"),
    "phone": N_("Mon téléphone"),
}


def page_text(request: Request, exc: VaultError) -> str:
    """A refusal in the language the page will speak: the signed-in person's stored choice,
    which may differ from the browser's the request started in."""
    signed_in = getattr(request.state, "signed_in", None)
    with i18n.speaking(i18n.language_of(request, signed_in.person if signed_in else None)):
        return i18n.error_text(exc)


def allowed_methods(request: Request) -> str:
    """Every method the path answers (RFC 9110), not only those of the first route that
    matched it: routes of one path may come from several routers."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _exc: SignInRequired) -> Response:
        return sign_in_redirect(request)

    @app.exception_handler(PasswordToChoose)
    async def own_password_first(_request: Request, _exc: PasswordToChoose) -> Response:
        return RedirectResponse("/compte/premier-mot-de-passe", status_code=303)

    @app.exception_handler(SessionEnded)
    async def session_ended(request: Request, exc: SessionEnded) -> Response:
        response = page(
            request,
            "session_ended.html",
            None,
            status_code=401,
            # Only text a person typed: a choice (a category, a duration) is quickly made again.
            kept=[(FIELD_LABELS[name], value) for name, value in exc.kept if name in FIELD_LABELS],
            next_url=sign_in_url(ended=True, after=referring_page(request)),
        )
        clear_session_cookie(request, response)
        return response

    @app.exception_handler(VaultError)
    async def vault_error(request: Request, exc: VaultError) -> Response:
        if is_api(request):
            return api_refusal(
                request, exc.template, status_of(exc), exc.field, error_headers(exc), exc.params
            )
        message = page_text(request, exc)
        if isinstance(exc, UnreadableError):
            # The page says what to do, and offers to report the paper.
            signed_in = getattr(request.state, "signed_in", None)
            return page(
                request,
                "error.html",
                signed_in,
                status_code=status_of(exc),
                message=message,
                report=exc.document_id,
            )
        return answer(request, message, status_of(exc), exc.field, error_headers(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else SOME_ERROR
        message = FRAMEWORK_WORDS.get(message, message)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return answer(request, message, exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def bad_fields(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        where: tuple[object, ...] = tuple(errors[0].get("loc", ())) if errors else ()
        if not is_api(request):
            # A person followed a link that was changed, or sent a field longer than the page
            # allows: a page that says so, never the API's JSON.
            in_link = bool(where) and where[0] in {"path", "query"}
            return answer(request, BAD_LINK if in_link else BAD_FORM, 400 if in_link else 422)
        # The named field a nested error sits in ("scopes" for scopes[0]), never an index.
        field = next((str(part) for part in reversed(where[1:]) if isinstance(part, str)), None)
        return api_refusal(request, BAD_FIELD, 422, field)

    # A database refusal is a clean answer, never a 500. The request's transaction is already
    # rolled back (webui/deps.py get_db); only the kind of error is logged, never its values.
    @app.exception_handler(DataError)
    async def bad_value(request: Request, exc: DataError) -> Response:
        if "\x00" in request.url.path:
            # An id with a NUL names nothing: 404, as SQLite answers after looking it up
            # (PostgreSQL refuses such a value before).
            return answer(request, NO_SUCH_PAGE, 404)
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

    # The server's own disk (or bucket quota), not the person's room (413): 507, and the
    # operator must act, so it is logged as an error.
    @app.exception_handler(StoreFullError)
    async def store_full(request: Request, _exc: StoreFullError) -> Response:
        log.error("blob store full on %s", hide_share_tokens(request.url.path))
        return answer(request, STORE_FULL, 507)

    # The database went away (restarted, unreachable, every pooled connection busy): the
    # request's work is one transaction, so none of it is kept (or, cut during its commit, all
    # of it). The pool checks each connection before use (pool_pre_ping): once the database is
    # back, the next requests get fresh connections, without restarting coffre.
    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeoutError)
    async def database_down(request: Request, exc: Exception) -> Response:
        cause = getattr(exc, "orig", None) or exc
        log.error(
            "database unavailable on %s: %s",
            hide_share_tokens(request.url.path),
            type(cause).__name__,
        )
        return answer(request, UNAVAILABLE, 503)
