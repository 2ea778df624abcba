"""Which HTTP status, and which headers, answer which refusal of the domain."""

from vault.errors import (
    AuthenticationError,
    BusyError,
    ConflictError,
    DamagedFileError,
    EmptyFileError,
    FileTooLargeError,
    ForbiddenError,
    InvalidInputError,
    LockedError,
    NotFoundError,
    RefusedContentError,
    ThrottledError,
    UnreadableError,
    UnsupportedFileError,
    VaultError,
)

STATUS: dict[type[VaultError], int] = {
    AuthenticationError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    UnreadableError: 409,
    FileTooLargeError: 413,
    UnsupportedFileError: 415,
    EmptyFileError: 422,
    DamagedFileError: 422,
    InvalidInputError: 422,
    RefusedContentError: 422,
    LockedError: 423,
    ThrottledError: 429,
    BusyError: 503,
}


def status_of(exc: VaultError) -> int:
    return status_for(type(exc))


def status_for(error: type[VaultError]) -> int:
    return next((code for cls, code in STATUS.items() if issubclass(error, cls)), 400)


def error_headers(exc: VaultError) -> dict[str, str] | None:
    if isinstance(exc, ThrottledError | BusyError):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, AuthenticationError):
        return {"WWW-Authenticate": "Bearer"}
    return None
