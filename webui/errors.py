"""How domain errors become HTTP answers: a status and a message a person can read."""

import logging
from collections.abc import Mapping

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from keys.errors import CryptoError
from storage.base import BlobStoreError
from vault.errors import (
    AuthenticationError,
    ThrottledError,
    VaultError,
)
from webui.deps import SignInRequired
from webui.pages.render import page
from webui.statuses import status_of

log = logging.getLogger("coffre")

BROKEN = "Ce document ne peut pas être ouvert : il est abîmé. Prévenez l'équipe du service."
UNAVAILABLE = "Le service est momentanément indisponible. Réessayez dans quelques minutes."
TOO_LONG = "Un champ est trop long ou n'est pas valide."
CLASH = "Cela existe déjà ou entre en conflit avec ce qui existe."
BAD_LINK = "Ce lien n'est pas valide. Revenez à l'accueil et réessayez."
BAD_FORM = (
    "Un champ du formulaire est trop long ou n'est pas valide. "
    "Revenez en arrière, vérifiez ce que vous avez écrit et réessayez."
)


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
    return page(request, "error.html", signed_in, status_code=status_code, message=message)


def error_headers(exc: VaultError) -> dict[str, str] | None:
    if isinstance(exc, ThrottledError):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, AuthenticationError):
        return {"WWW-Authenticate": "Bearer"}
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_first(_request: Request, _exc: SignInRequired) -> Response:
        return RedirectResponse("/connexion", status_code=303)

    @app.exception_handler(VaultError)
    async def vault_error(request: Request, exc: VaultError) -> Response:
        return answer(request, exc.message, status_of(exc), exc.field, error_headers(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "Erreur."
        if exc.status_code == 404 and message == "Not Found":
            message = "Cette page n'existe pas."
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
        log.warning("database refused a value on %s: %s", request.url.path, type(exc).__name__)
        return answer(request, TOO_LONG, 422)

    @app.exception_handler(IntegrityError)
    async def clash(request: Request, exc: IntegrityError) -> Response:
        log.warning("database conflict on %s: %s", request.url.path, type(exc).__name__)
        return answer(request, CLASH, 409)

    @app.exception_handler(CryptoError)
    async def broken(request: Request, exc: CryptoError) -> Response:
        log.error("integrity failure on %s: %s", request.url.path, type(exc).__name__)
        return answer(request, BROKEN, 500)

    @app.exception_handler(BlobStoreError)
    async def store_down(request: Request, exc: BlobStoreError) -> Response:
        log.error("blob store failure on %s: %s", request.url.path, type(exc).__name__)
        return answer(request, UNAVAILABLE, 503)
