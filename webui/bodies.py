"""Request bodies: the length a request declares for its body."""

from starlette.datastructures import Headers

# Nineteen digits already say more than any body could hold; int() refuses more than 4,300.
MAX_LENGTH_DIGITS = 19
BEYOND_ANY_BODY = 10**MAX_LENGTH_DIGITS


def declared_length(headers: Headers) -> int | None:
    """Content-Length as HTTP writes it (ASCII digits, RFC 9110), or None when there is none
    or it is no such number: « ² » is a digit to str.isdigit(), yet int() refuses it."""
    declared = headers.get("content-length", "")
    if not (declared.isascii() and declared.isdigit()):
        return None
    significant = declared.lstrip("0") or "0"
    return int(significant) if len(significant) <= MAX_LENGTH_DIGITS else BEYOND_ANY_BODY
