"""Request and response bodies of the JSON API.

The domain checks most fields itself, with a message for the person (vault/): the schema says
what it accepts through `json_schema_extra`, so that pydantic does not refuse first with a
message of its own. Each request body carries an example; its passwords are no test account's.
"""

import re
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic.config import JsonDict

from vault.accounts.accounts import LANGUAGES
from vault.accounts.passwords import MIN_PASSWORD_LENGTH
from vault.consent.organisations import Member
from vault.documents.bin import BinnedPaper
from vault.documents.categories import Category
from vault.documents.expiry import Expiry, ExpiryRule
from vault.documents.service import DocumentView
from vault.models import Person
from vault.vocabulary import MemberRole, Scope

SAMPLE_PHRASE = "cheval agrafe pile correcte"
# Every text a request gives has a greatest length: besides bounding it, that makes pydantic
# refuse a lone surrogate (an escape JSON allows and no database takes) with a 422, where an
# unbounded string went on to the database and answered 500.
MAX_ID = 100
MAX_WORD = 50


def one_of(words: Iterable[str], *, nullable: bool = False) -> JsonDict:
    return {"enum": [str(word) for word in words] + ([None] if nullable else [])}


def list_of(words: type[StrEnum], *, at_least: int = 0) -> JsonDict:
    """A list of distinct words of a closed set."""
    return {
        "type": "array",
        "items": {"type": "string", **one_of(words)},
        "uniqueItems": True,
        "minItems": at_least,
    }


def examples(*bodies: dict[str, Any]) -> ConfigDict:
    """A request body's settings: its examples, and no field beyond its own (422 naming it): a
    misspelt `privat` would otherwise be dropped, and the paper left as it was, with a 200."""
    return ConfigDict(json_schema_extra={"examples": list(bodies)}, extra="forbid")


# ASCII digits: \d would take any script's.
_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def calendar_date(value: object) -> date:
    """Only a date written as the schema's `format: date` says (2031-05-01), for a JSON body
    and an upload's form alike: pydantic alone would also take a number, or digits in a string,
    as a timestamp, and date.fromisoformat a week date (2030-W01-1) or 20301231. ValueError
    otherwise, or for a day the calendar has not (2031-02-30)."""
    if isinstance(value, str) and _FULL_DATE.fullmatch(value):
        return date.fromisoformat(value)
    raise ValueError("a date written as 2031-05-01")


CalendarDate = Annotated[date, BeforeValidator(calendar_date)]

# A password the domain may still refuse: too common, or the person's login or name.
NEW_PASSWORD: JsonDict = {"minLength": MIN_PASSWORD_LENGTH}
# Empty means "not given": the domain asks for it (422) before checking it (422 too, counted).
CURRENT_PASSWORD: JsonDict = {"minLength": 1}


class SessionIn(BaseModel):
    model_config = examples({"login": "amina.diallo", "password": SAMPLE_PHRASE})

    login: str = Field(max_length=200)
    password: str = Field(max_length=1000)
    totp: str | None = Field(default=None, max_length=20)


class UserOut(BaseModel):
    id: str
    role: str
    display_name: str

    @classmethod
    def of(cls, person: Person) -> "UserOut":
        return cls(id=person.id, role=person.role, display_name=person.display_name)


class SessionOut(BaseModel):
    token: str
    user: UserOut


class HoldOut(BaseModel):
    """Papers closed after a password reset made with a counsellor, until `until`."""

    until: datetime
    by_name: str
    organisation_name: str | None


class MeOut(UserOut):
    login: str
    vault_id: str | None
    preferred_language: str
    second_factor: bool
    hold: HoldOut | None = None
    used_bytes: int = Field(
        description="The sizes of the person's papers, those in the bin left out (0 without a "
        "vault)."
    )
    quota_bytes: int = Field(description="How much the person's papers may take in all.")
    password_to_choose: bool = Field(
        default=False,
        description="The password is still the one the admin who made the account chose: "
        "every route but this one, POST /me/password and signing out answers 403 until the "
        "person chooses their own.",
    )

    @classmethod
    def of_person(
        cls, person: Person, vault_id: str | None, hold: HoldOut | None, space: tuple[int, int]
    ) -> "MeOut":
        """`space`: (used, quota) in bytes."""
        return cls(
            **UserOut.of(person).model_dump(),
            login=person.login,
            vault_id=vault_id,
            preferred_language=person.preferred_language,
            second_factor=person.totp_secret_sealed is not None,
            hold=hold,
            used_bytes=space[0],
            quota_bytes=space[1],
            password_to_choose=person.password_provisional,
        )


class Reauthentication(BaseModel):
    """Asked again before what can take an account: a session alone is not enough."""

    model_config = examples({"current_password": SAMPLE_PHRASE})

    current_password: str = Field(max_length=1000, json_schema_extra=CURRENT_PASSWORD)
    totp: str | None = Field(
        default=None, max_length=20, description="The current code, where a second factor is on."
    )


class ProfilePatch(BaseModel):
    model_config = examples(
        {"preferred_language": "ar"},
        {"phone": "06 12 34 56 78", "current_password": SAMPLE_PHRASE},
    )

    preferred_language: str | None = Field(
        default=None, max_length=MAX_WORD, json_schema_extra=one_of(LANGUAGES, nullable=True)
    )
    display_name: str | None = Field(
        default=None,
        max_length=1000,
        description="The person's own name (a beneficiary's only: 403 for a professional).",
    )
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=200)
    current_password: str | None = Field(
        default=None, max_length=1000, description="Needed when email or phone change."
    )
    totp: str | None = Field(
        default=None,
        max_length=20,
        description="With current_password, where a second factor is on.",
    )


class PasswordChange(BaseModel):
    model_config = examples(
        {"current_password": SAMPLE_PHRASE, "new_password": "lune verte sous la pluie"}
    )

    current_password: str = Field(max_length=1000, json_schema_extra=CURRENT_PASSWORD)
    totp: str | None = Field(
        default=None, max_length=20, description="The current code, where a second factor is on."
    )
    new_password: str = Field(max_length=1000, json_schema_extra=NEW_PASSWORD)


class RecoveryIn(BaseModel):
    model_config = examples(
        {
            "login": "amina.diallo",
            "code": "KQ7M-2XPA-9RTE",
            "new_password": "lune verte sous la pluie",
        }
    )

    login: str = Field(max_length=200)
    code: str = Field(max_length=100, description="A recovery code, or a reset code.")
    new_password: str = Field(max_length=1000, json_schema_extra=NEW_PASSWORD)


class AssistedPasswordIn(Reauthentication):
    """`new_password` is typed by the person on the counsellor's screen; `current_password` (and
    `totp`) are the counsellor's own."""

    model_config = examples(
        {"current_password": SAMPLE_PHRASE, "new_password": "lune verte sous la pluie"}
    )

    new_password: str = Field(max_length=1000, json_schema_extra=NEW_PASSWORD)


class UnlockIn(BaseModel):
    model_config = examples({"code": "KQ7M-2XPA-9RTE", "new_password": "lune verte sous la pluie"})

    code: str = Field(max_length=100, description="One of the person's recovery codes.")
    new_password: str = Field(
        max_length=1000,
        json_schema_extra=NEW_PASSWORD,
        description="The password in force was typed at the counsellor's: it is replaced.",
    )


class RecoveryCodesOut(BaseModel):
    codes: list[str]


class ResetCodeOut(BaseModel):
    code: str
    expires_at: datetime


class SessionInfo(BaseModel):
    id: str
    kind: str
    device: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


class LoginSuggestion(BaseModel):
    login: str


class GrantAnswer(BaseModel):
    """Accepting a request: the current password only when it asks for "recover"."""

    model_config = examples({"current_password": SAMPLE_PHRASE})

    current_password: str | None = Field(
        default=None, max_length=1000, description='Needed when the request asks for "recover".'
    )
    totp: str | None = Field(default=None, max_length=20)


class SecondFactorSetup(BaseModel):
    secret: str
    uri: str


class SecondFactorConfirm(Reauthentication):
    model_config = examples(
        {
            "current_password": SAMPLE_PHRASE,
            "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            "code": "492039",
        }
    )

    secret: str = Field(max_length=64, description="The secret of GET /me/second-factor/new.")
    code: str = Field(max_length=20, description="A code of the new secret, from the app.")


class JournalEntry(BaseModel):
    id: str
    seq: int = Field(description="Pass the last entry's seq as `before` to get the next page.")
    count: int = Field(
        description="How many events this entry stands for: a person's refused attempts of one "
        "(UTC) day are one entry; 1 otherwise."
    )
    action: str
    actor_id: str | None
    actor_name: str | None
    organisation_id: str | None
    organisation_name: str | None
    document_id: str | None
    occurred_at: datetime


class SignUpIn(BaseModel):
    model_config = examples(
        {
            "login": "amina.diallo",
            "display_name": "Amina Diallo",
            "password": SAMPLE_PHRASE,
            "preferred_language": "fr",
            "consent": True,
        }
    )

    login: str = Field(
        max_length=200,
        description="3 to 64 letters without accents, digits, dots, dashes (kept in lower case).",
    )
    display_name: str = Field(max_length=200)
    password: str = Field(max_length=1000, json_schema_extra=NEW_PASSWORD)
    preferred_language: str = Field(
        default="fr", max_length=MAX_WORD, json_schema_extra=one_of(LANGUAGES)
    )
    consent: StrictBool = Field(
        default=False,
        description="With a professional's token: the person, beside them, agrees (required).",
    )


class CreatedInPersonOut(BaseModel):
    id: str
    vault_id: str
    login: str
    display_name: str
    grant_id: str
    recovery_codes: list[str]


class SignUpOut(MeOut):
    recovery_codes: list[str]


class DocumentOut(BaseModel):
    id: str
    vault_id: str
    title: str | None = Field(description="Null when the paper cannot be read (`readable`).")
    filename: str | None
    category: str
    content_type: str
    size: int
    expires_on: date | None
    uploaded_by: str
    uploaded_by_name: str
    private: bool
    created_at: datetime
    # Closed after a reset made with a counsellor: the title is the category's label, no
    # file name; opening it answers 423 until the hold ends.
    locked: bool = False
    expiry: Expiry | None = Field(
        default=None,
        description="From `expires_on`: expired (the date is past), soon (within the expiry "
        "window, 60 days by default), ok (later); null without a date.",
    )
    readable: bool = Field(
        default=True,
        description="False when the paper is damaged: its keys or sealed title cannot be "
        "opened. It is still listed, with `title` and `filename` null and what is stored in "
        "clear (category, dates, size); opening or changing it answers 409. It can be "
        "reported (POST /documents/{id}/report), deleted and restored. A stored object that "
        "is missing or altered is found when the content is read (409) and by `coffre keys "
        "verify`.",
    )

    @classmethod
    def of(cls, view: DocumentView, rule: ExpiryRule) -> "DocumentOut":
        return cls(
            id=view.id,
            vault_id=view.vault_id,
            title=view.title,
            filename=view.filename,
            category=view.category,
            content_type=view.content_type,
            size=view.size,
            expires_on=view.expires_on,
            uploaded_by=view.uploaded_by,
            uploaded_by_name=view.uploaded_by_name,
            private=view.private,
            created_at=view.created_at,
            locked=view.locked,
            expiry=rule.of(view.expires_on),
            readable=view.readable,
        )


class DocumentPatch(BaseModel):
    model_config = examples({"title": "Carte d'identité", "expires_on": "2031-05-01"})

    title: str | None = Field(default=None, max_length=1000)
    category: str | None = Field(
        default=None, max_length=MAX_WORD, json_schema_extra=one_of(Category, nullable=True)
    )
    expires_on: CalendarDate | None = Field(
        default=None, description="The end of validity, from 1900 to 2199 (422 otherwise)."
    )
    private: StrictBool | None = None


class ErrorOut(BaseModel):
    """Every error of the API, whatever its status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"detail": "Choisissez le type de papier.", "field": "category"}]
        }
    )

    detail: str = Field(
        description=(
            "What went wrong, for a person to read: in the caller's stored language, else the "
            "language switch's cookie's, else Accept-Language's, else French."
        )
    )
    field: str | None = Field(description="The field at fault, or null.")


class OrganisationIn(BaseModel):
    model_config = examples({"name": "CCAS d'Orléans"})

    name: str = Field(max_length=200)


class OrganisationOut(BaseModel):
    id: str
    name: str


# Who adds a professional to an organisation gives them what people gave it: the admin's own
# password first, so that their session alone adds no one.
ADDING_ADMIN_CONFIRMS = (
    "The password of the admin who adds (no code of a second factor: an admin adds several "
    "people in a row, and each code works once)."
)


class CounsellorIn(BaseModel):
    model_config = examples(
        {
            "login": "claire.martin",
            "display_name": "Claire Martin",
            "password": "lune verte sous la pluie",
            "role": "counsellor",
            "current_password": SAMPLE_PHRASE,
        }
    )

    login: str = Field(max_length=200)
    display_name: str = Field(max_length=200)
    password: str = Field(max_length=1000, json_schema_extra=NEW_PASSWORD)
    role: str = Field(
        default=MemberRole.COUNSELLOR, max_length=MAX_WORD, json_schema_extra=one_of(MemberRole)
    )
    current_password: str = Field(
        max_length=1000, description=ADDING_ADMIN_CONFIRMS, json_schema_extra=CURRENT_PASSWORD
    )


class MemberIn(BaseModel):
    model_config = examples(
        {"login": "claire.martin", "role": "counsellor", "current_password": SAMPLE_PHRASE}
    )

    login: str = Field(max_length=200, description="The login of a professional's account.")
    role: str = Field(
        default=MemberRole.COUNSELLOR, max_length=MAX_WORD, json_schema_extra=one_of(MemberRole)
    )
    current_password: str = Field(
        max_length=1000, description=ADDING_ADMIN_CONFIRMS, json_schema_extra=CURRENT_PASSWORD
    )


class MemberNameIn(BaseModel):
    model_config = examples({"display_name": "Claire Martin-Dubois"})

    display_name: str = Field(max_length=200, description="The name as people should read it.")


class CounsellorOut(BaseModel):
    id: str
    login: str
    display_name: str
    role: str

    @classmethod
    def of(cls, person: Person, role: str) -> "CounsellorOut":
        return cls(id=person.id, login=person.login, display_name=person.display_name, role=role)

    @classmethod
    def of_member(cls, member: Member) -> "CounsellorOut":
        return cls.of(member.person, member.role)


class GrantIn(BaseModel):
    model_config = examples(
        {
            "counsellor_id": "3b79e34f-f834-4028-bc35-a57b2c0d017f",
            "scopes": ["view", "upload"],
            "categories": ["identity", "housing"],
        }
    )

    counsellor_id: str | None = Field(
        default=None, max_length=MAX_ID, description="This or organisation_id."
    )
    organisation_id: str | None = Field(default=None, max_length=MAX_ID)
    scopes: list[str] = Field(json_schema_extra=list_of(Scope, at_least=1))
    categories: list[str] = Field(
        default=[], json_schema_extra=list_of(Category), description="None: every category."
    )
    expires_on: CalendarDate | None = Field(
        default=None, description="From tomorrow to the longest an instance allows (a year)."
    )
    current_password: str | None = Field(
        default=None, max_length=1000, description='Needed when `scopes` has "recover".'
    )
    totp: str | None = Field(default=None, max_length=20)


class AccessRequestIn(BaseModel):
    model_config = examples({"login": "amina.diallo", "scopes": ["view"]})

    login: str = Field(max_length=200)
    scopes: list[str] = Field(json_schema_extra=list_of(Scope, at_least=1))
    categories: list[str] = Field(default=[], json_schema_extra=list_of(Category))
    expires_on: CalendarDate | None = None


class GrantOut(BaseModel):
    id: str
    vault_id: str
    counsellor_id: str | None
    organisation_id: str | None
    scopes: list[str]
    categories: list[str]
    status: str
    consent: str
    expires_at: datetime
    created_at: datetime


class GrantedVaultOut(BaseModel):
    vault_id: str
    person_id: str
    display_name: str
    login: str
    scopes: list[str]
    categories: list[str]
    expires_at: datetime


class BinnedOut(BaseModel):
    """A paper in the bin: restorable by its owner until `erased_after`."""

    document: DocumentOut
    deleted_at: datetime
    deleted_by_name: str
    erased_after: datetime

    @classmethod
    def of(cls, paper: BinnedPaper, rule: ExpiryRule) -> "BinnedOut":
        return cls(
            document=DocumentOut.of(paper.document, rule),
            deleted_at=paper.deleted_at,
            deleted_by_name=paper.deleted_by_name,
            erased_after=paper.erased_after,
        )
