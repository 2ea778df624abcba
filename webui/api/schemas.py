"""Request and response bodies of the JSON API."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from vault.documents.bin import BinnedPaper
from vault.documents.service import DocumentView
from vault.expiry import Expiry, ExpiryRule
from vault.models import Person
from vault.organisations import Member


class SessionIn(BaseModel):
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
        )


class Reauthentication(BaseModel):
    """Asked again before what can take an account: a session alone is not enough."""

    current_password: str = Field(max_length=1000)
    totp: str | None = Field(
        default=None, max_length=20, description="The current code, where a second factor is on."
    )


class ProfilePatch(BaseModel):
    preferred_language: str | None = None
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
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class RecoveryIn(BaseModel):
    login: str = Field(max_length=200)
    code: str = Field(max_length=100)
    new_password: str = Field(max_length=1000)


class AssistedPasswordIn(BaseModel):
    """Typed by the person on the counsellor's screen."""

    new_password: str = Field(max_length=1000)


class UnlockIn(BaseModel):
    code: str = Field(max_length=100)


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


class SecondFactorSetup(BaseModel):
    secret: str
    uri: str


class SecondFactorConfirm(Reauthentication):
    secret: str = Field(max_length=64)
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
    login: str = Field(max_length=200)
    display_name: str = Field(max_length=200)
    password: str = Field(max_length=1000)
    preferred_language: str = "fr"
    consent: bool = False


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
    title: str | None = Field(default=None, max_length=1000)
    category: str | None = None
    expires_on: date | None = None
    private: bool | None = None


class ErrorOut(BaseModel):
    detail: str
    field: str | None = None


class OrganisationIn(BaseModel):
    name: str = Field(max_length=200)


class OrganisationOut(BaseModel):
    id: str
    name: str


class CounsellorIn(BaseModel):
    login: str = Field(max_length=200)
    display_name: str = Field(max_length=200)
    password: str = Field(max_length=1000)
    role: str = "counsellor"


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
    counsellor_id: str | None = None
    organisation_id: str | None = None
    scopes: list[str]
    categories: list[str] = []
    expires_on: date | None = None
    current_password: str | None = Field(
        default=None, max_length=1000, description='Needed when `scopes` has "recover".'
    )
    totp: str | None = Field(default=None, max_length=20)


class AccessRequestIn(BaseModel):
    login: str = Field(max_length=200)
    scopes: list[str]
    categories: list[str] = []
    expires_on: date | None = None


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
