"""/openapi.json as the API answers: FastAPI's document, completed from the code.

Every error of the API is one JSON shape, `{"detail": a message a person can read, "field": the
field at fault or null}` (webui/errors.py), so one schema (ErrorOut) and one response per
status (components/responses) describe them all, FastAPI's validation error included. Which
statuses an operation can answer is read from its code (webui/refusals.py): its dependencies
(no token: 401; not the role: 403), the domain errors its services raise (404, 409, 423...),
the blob store's failures (down: 503; full, where it writes: 507), the refusals of the
multipart reader, 422 for any operation with fields to validate, and 503 for any operation
that opens the database. An operation that needs a bearer token says so (security), as does
the one where it is optional.
"""

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from keys.errors import CryptoError
from storage.base import BlobStoreError, StoreFullError
from vault.errors import VaultError
from webui.api.schemas import ErrorOut
from webui.deps import api_signed_in, get_db
from webui.refusals import Refusal, calls, dependency_calls, refusals_of
from webui.statuses import status_for

ERROR = "ErrorOut"
BEARER = "bearer"
# What webui/errors.py answers for the failures that are not domain errors. The first class
# that matches wins: StoreFullError before BlobStoreError, which it is a kind of.
HANDLED: dict[type[Exception], int] = {
    CryptoError: 500,
    StoreFullError: 507,
    BlobStoreError: 503,
    OperationalError: 503,
    InterfaceError: 503,
    PoolTimeoutError: 503,
}
# The database's failures come from SQLAlchemy, whose code the walk does not read: any
# operation that opens the database (get_db) meets them while it is down or unreachable.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeoutError)

_RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}
# Per status: the name of its response component, what it means, its headers.
ANSWERS: dict[int, tuple[str, str, dict[str, dict[str, Any]]]] = {
    400: ("Unreadable", "The body cannot be read (not UTF-8, or not the media type).", {}),
    401: (
        "Unauthorized",
        "No bearer token, or one that is not valid (any more); at sign-in or with a recovery "
        "code, a login, password or code that is not the right one.",
        {
            "WWW-Authenticate": {
                "description": "The scheme to authenticate with.",
                "required": True,
                "schema": {"type": "string", "const": "Bearer"},
            }
        },
    ),
    403: (
        "Forbidden",
        "Signed in, but the action is outside the caller's role; or the caller's password is "
        "still the one the admin who made their account chose: they choose their own first "
        "(POST /api/v1/me/password), and until then may only read GET /api/v1/me or sign out.",
        {},
    ),
    404: (
        "NotFound",
        "No such thing, or one the caller may not see: the same answer, so existence never leaks.",
        {},
    ),
    409: ("Conflict", "It clashes with what exists (a login already taken...).", {}),
    413: (
        "TooLarge",
        "Larger than the instance allows (an upload: COFFRE_MAX_UPLOAD_BYTES; any other "
        "body: 1 MiB), or than the room left in the vault (the message says how much is "
        "left); nothing is stored.",
        {},
    ),
    415: (
        "UnsupportedFile",
        "Not a PDF, JPEG or PNG, judged by its content; nothing is stored.",
        {},
    ),
    422: (
        "InvalidField",
        "A field is missing or not valid; `field` names it when it can. A signed-in person's "
        "current password or code that is not the right one is one too (counted like a failed "
        "sign-in).",
        {},
    ),
    423: (
        "Locked",
        "Papers closed after a password reset made with a counsellor, until the time the "
        "message gives or until the person enters one of their recovery codes.",
        {},
    ),
    429: (
        "Throttled",
        "Too many attempts: wait, then try again.",
        {"Retry-After": {**_RETRY_AFTER, "required": True}},
    ),
    500: (
        "Damaged",
        "A paper or a key cannot be read: it is damaged. Tell the team of the service.",
        {},
    ),
    503: (
        "Unavailable",
        "Too many people signing in at this moment (with Retry-After), or the store of the "
        "papers or the database unreachable: try again in a little while.",
        {"Retry-After": {**_RETRY_AFTER, "required": False}},
    ),
    507: (
        "StoreFull",
        "The service's disk or bucket is full (not the person's room: that is 413); nothing "
        "is stored. Tell the team of the service.",
        {},
    ),
}


def install_contract(app: FastAPI) -> None:
    """/openapi.json from describe(), made once, at its first request."""

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = describe(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way


def describe(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for fastapi_error in ("HTTPValidationError", "ValidationError"):
        schemas.pop(fastapi_error, None)
    schemas[ERROR] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components["responses"] = {
        name: error_response(status) for status, (name, *_) in ANSWERS.items()
    }
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "The token of POST /api/v1/session.",
        }
    }
    for path, method, dependant in api_operations(app):
        operation = document["paths"][path][method]
        complete(operation, dependant)
    return document


def api_operations(app: FastAPI) -> Iterator[tuple[str, str, Dependant]]:
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        path = route.path_format or ""
        if path.startswith("/api/"):
            for method in sorted(route.methods or ()):
                yield path, method.lower(), route.dependant


def complete(operation: dict[str, Any], dependant: Dependant) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    # FastAPI's own 422 describes its error shape, which the API never answers; it comes back
    # below, as ours, where the operation has fields to validate.
    if "HTTPValidationError" in str(responses.get("422", {})):
        del responses["422"]
    declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    for status in sorted(answers_of(dependant) | declared):
        if status in declared:
            # The route's decorator says more precisely what it means there.
            responses[str(status)] = error_response(
                status, responses[str(status)].get("description")
            )
        elif status in ANSWERS:
            responses[str(status)] = {"$ref": f"#/components/responses/{ANSWERS[status][0]}"}
        else:
            responses[str(status)] = error_response(status)
    if api_signed_in in dependency_calls(dependant):
        operation["security"] = [{BEARER: []}]
    elif calls(dependant, api_signed_in):
        operation["security"] = [{BEARER: []}, {}]


def error_response(status: int, description: str | None = None) -> dict[str, Any]:
    _name, meaning, headers = ANSWERS.get(status, ("", "Refused; the message says why.", {}))
    response: dict[str, Any] = {
        "description": description or meaning,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def answers_of(dependant: Dependant) -> set[int]:
    """The error statuses an operation can answer, from its code and its parameters."""
    statuses = {status for refusal in refusals_of(dependant) if (status := answer(refusal))}
    if calls(dependant, get_db):
        statuses |= {HANDLED[error] for error in DATABASE_DOWN}
    if has_fields(dependant):
        statuses.add(422)
    if has_body(dependant):
        # FastAPI's answer to a body it cannot decode; a body past MAX_BODY (webui/bodies.py).
        statuses |= {400, 413}
    return statuses


def answer(refusal: Refusal) -> int | None:
    if refusal.status is not None:
        return refusal.status
    if issubclass(refusal.error, VaultError):
        return status_for(refusal.error)
    return next((code for error, code in HANDLED.items() if issubclass(refusal.error, error)), None)


def has_body(dependant: Dependant) -> bool:
    return bool(dependant.body_params) or any(has_body(sub) for sub in dependant.dependencies)


def has_fields(dependant: Dependant) -> bool:
    """Whether FastAPI validates something of the request: a body, a query, a header, a
    cookie, a path parameter other than a plain string."""
    if dependant.body_params or dependant.query_params:
        return True
    if dependant.header_params or dependant.cookie_params:
        return True
    if any(param.field_info.annotation is not str for param in dependant.path_params):
        return True
    return any(has_fields(sub) for sub in dependant.dependencies)
