"""What a hostile case is: one request, who sends it, and the refusal it must get.

A case says which 4xx it expects and which tables, if any, a refusal changes by design (the
journal line of a refused attempt on someone's account or paper, a count of failed secrets):
every other table, and the blob store, must hold exactly what they held before.

Hostile files are `HostileFile`s (a `FileCase`, or any object with its four attributes): the
corpus sends each through every upload route (see corpus.file_cases)."""

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class Caller(StrEnum):
    """The real people who send the corpus (world.py makes them)."""

    NOBODY = "nobody"
    BENEFICIARY = "beneficiary"  # with papers, a link, a grant to COUNSELLOR
    COUNSELLOR = "counsellor"  # holding a grant with every scope on BENEFICIARY's vault
    ORG_ADMIN = "org_admin"
    ADMIN = "admin"


class Auth(StrEnum):
    """What the caller presents: a bearer token for /api, a session cookie for pages."""

    VALID = "valid"
    NONE = "none"
    EXPIRED = "expired"  # a session past its end
    REPLAYED = "replayed"  # a session signed out before
    FORGED = "forged"  # a random token of the right shape
    OTHER_KIND = "other kind"  # a page session's token as a bearer, an API token as a cookie
    BASIC = "basic"  # Authorization: Basic
    EMPTY_BEARER = "empty bearer"  # "Bearer" and nothing
    HUGE = "huge"  # a 64 KiB token


class Csrf(StrEnum):
    """The token a page form carries (pages only)."""

    OWN = "own"  # the caller's session's, or the signed-out form's double-submit token
    NONE = "none"
    OTHER_SESSION = "other session"  # another person's session's token
    FORGED = "forged"
    CROSS_SITE = "cross site"  # the right token, posted from another origin


# What a refusal writes by design: table -> the change in its row count, within bounds.
Writes = Mapping[str, range]
NOTHING: Writes = {}
# One line in the journal: an attempt on someone's paper, account or link.
JOURNAL: Writes = {"journal": range(1, 2), "journal head": range(1, 2)}
# The failure counts of a secret: per account (or link), per address.
THROTTLES: Writes = {"throttles": range(3)}
# A wrong secret for an existing account or link: counted, and one line for its owner.
FAILED_SECRET: Writes = {**JOURNAL, **THROTTLES}
# The caller's own password, given right before what is refused: their failure counts end.
CONFIRMED_THEN_JOURNAL: Writes = {**JOURNAL, "throttles": range(-2, 1)}
# An expired session presented is deleted on the way (webui/deps.py).
EXPIRED_SESSION: Writes = {"sessions": range(-1, 0)}

NO_JSON: Any = object()
# Where a raw page-form body (`Case.content`) takes the caller's CSRF token.
CSRF_MARK = b"@csrf@"


@dataclass(frozen=True)
class Case:
    name: str
    caller: Caller
    method: str
    url: str
    # The refusal expected. A 2xx only for a read whose answer is checked harmless (`check`).
    expected: int
    # The field the refusal names: the API's "field", a page's error summary link. Unset: the
    # refusal names none, or any.
    field: str | None = None
    json: Any = NO_JSON
    content: bytes | None = None
    # A form's text fields (pages: the CSRF token is added by the runner, first).
    data: Mapping[str, str | list[str]] | None = None
    # Multipart file parts: (field, (filename, bytes, content type)).
    files: tuple[tuple[str, tuple[str, bytes, str]], ...] = ()
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    auth: Auth = Auth.VALID
    csrf: Csrf = Csrf.OWN
    writes: Writes = dataclasses.field(default_factory=dict)
    # For a 2xx: what its JSON body (API) or its text (a page) must satisfy.
    check: Callable[[Any], bool] | None = None

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")


class HostileFile(Protocol):
    """A hostile file: sent as the `file` part of every upload form, it must be refused with
    `expected_status`, and nothing stored. An optional `filename` attribute is the name it is
    sent under (else one made of `name`, with an extension that suits `content_type`)."""

    @property
    def name(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def content_type(self) -> str: ...
    @property
    def expected_status(self) -> int: ...


@dataclass(frozen=True)
class FileCase:
    name: str
    data: bytes
    content_type: str
    expected_status: int
    filename: str | None = None


def sent_name(file: HostileFile) -> str:
    given: str | None = getattr(file, "filename", None)
    if given is not None:
        return given
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg"}.get(file.content_type)
    return f"{file.name.replace(' ', '-')}.{extension or file.content_type.split('/')[-1]}"


def short(text: str) -> str:
    """A case name that says which string it carries."""
    flat = re.sub(r"\s+", " ", text)
    return flat if len(flat) <= 24 else f"{flat[:24]}… ({len(flat)})"


@dataclass(frozen=True)
class Route:
    """A route as one caller sends it; its cases put each hostile string in one field."""

    label: str
    caller: Caller
    method: str
    url: str

    def json(
        self,
        payloads: Iterable[str],
        into: str,
        base: Mapping[str, Any],
        expected: int,
        field: str | None = None,
        writes: Writes = NOTHING,
    ) -> list[Case]:
        return [
            self.case(f"{into}={short(p)!r}", expected, field, writes, json={**base, into: p})
            for p in payloads
        ]

    def form(
        self,
        payloads: Iterable[str],
        into: str,
        base: Mapping[str, str],
        expected: int,
        field: str | None = None,
        writes: Writes = NOTHING,
    ) -> list[Case]:
        return [
            self.case(f"{into}={short(p)!r}", expected, field, writes, data={**base, into: p})
            for p in payloads
        ]

    def query(self, payloads: Iterable[str], into: str, expected: int, **case: Any) -> list[Case]:
        return [
            self.case(f"{into}={short(p)!r}", expected, params={into: p}, **case) for p in payloads
        ]

    def case(
        self,
        what: str,
        expected: int,
        field: str | None = None,
        writes: Writes = NOTHING,
        **request: Any,
    ) -> Case:
        return Case(
            name=f"{self.label} {what}",
            caller=self.caller,
            method=self.method,
            url=self.url,
            expected=expected,
            field=field,
            writes=writes,
            **request,
        )
