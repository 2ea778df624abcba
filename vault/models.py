"""The tables. Free text about a person is stored sealed (bytes); only ids, dates, sizes and
categories stay in clear, for sorting and reminders."""

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from vault.documents.categories import Category
from vault.vocabulary import Consent, GrantStatus, MemberRole, Role, Scope


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps always come back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("expected a datetime from the database")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


def words(enum: type[StrEnum], constraint: str) -> SqlEnum:
    """A closed set of words stored as text, with a CHECK constraint named `constraint`."""
    return SqlEnum(
        enum,
        name=constraint,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Person(Base):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(words(Role, "ck_people_role"))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Set when the account was erased: the row stays only so the journal keeps its references.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    preferred_language: Mapped[str] = mapped_column(String(10), default="fr")
    # Optional contact details, sealed under the person's user key.
    email_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # TOTP second factor: the secret sealed under the user key; the last accepted time step
    # so that a code cannot be replayed.
    totp_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # The last password reset made with a counsellor (vault/accounts/hold.py): until `held_until`,
    # the papers that counsellor may not view stay closed to the account. `held_by` and
    # `held_organisation_id` say who, for the person's notice; no foreign key, so that SQLite
    # adds the columns in place.
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    held_by: Mapped[str | None] = mapped_column(String(36))
    held_organisation_id: Mapped[str | None] = mapped_column(String(36))
    # Show the person who reset their password, once, at their next sign-in.
    reset_notice_pending: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # The password was chosen by the admin who made the account (vault.consent.organisations.
    # add_member): until its owner chooses their own, they may do nothing else
    # (vault.policy.must_choose_password), so that admin never acts as them.
    password_provisional: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Vault(Base):
    __tablename__ = "vaults"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("people.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UserKey(Base):
    """One version of a person's key. The key itself lives only in its slots, wrapped."""

    __tablename__ = "user_keys"
    __table_args__ = (UniqueConstraint("person_id", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeySlot(Base):
    """One independent wrap of a user key, as a LUKS key slot. Today: kind "master"; later the
    person's own secret, recovery codes or a counsellor's public key."""

    __tablename__ = "key_slots"
    # A master rotation reads kind "master" below the new version, in this order; key status
    # counts slots by version (vault/keylife/rotation.py, vault/keylife/key_status.py).
    __table_args__ = (Index("ix_key_slots_kind_master_version", "kind", "master_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_key_id: Mapped[str] = mapped_column(ForeignKey("user_keys.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    master_version: Mapped[int | None] = mapped_column(Integer)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vault_id: Mapped[str] = mapped_column(ForeignKey("vaults.id"), index=True)
    # The user key version that sealed the title and file name.
    user_key_id: Mapped[str] = mapped_column(ForeignKey("user_keys.id"), index=True)
    title_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    filename_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    category: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    expires_on: Mapped[date | None] = mapped_column(Date)
    uploaded_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    # A private paper is never shown through a grant, whatever its scopes.
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # In the bin since then, put there by `deleted_by`; erased with its data keys after the bin
    # period. No foreign key, so that SQLite adds the columns in place.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    deleted_by: Mapped[str | None] = mapped_column(String(36))


class Blob(Base):
    """One encrypted object in the blob store; its data key is wrapped by the owner's user key."""

    __tablename__ = "blobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    object_name: Mapped[str] = mapped_column(String(100), unique=True)
    user_key_id: Mapped[str] = mapped_column(ForeignKey("user_keys.id"), index=True)
    wrapped_data_key: Mapped[bytes] = mapped_column(LargeBinary)
    format_version: Mapped[int] = mapped_column(Integer)
    plain_size: Mapped[int] = mapped_column(BigInteger)
    stored_size: Mapped[int] = mapped_column(BigInteger)
    stored_sha256: Mapped[str] = mapped_column(String(64))
    # Re-encryption reads the blobs made before it started in this order
    # (vault/keylife/rotation.py).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Share(Base):
    """A link that lets one office download a marked copy of one paper, without an account.
    Only a hash of the link's token is kept; recipient and purpose are sealed under the owner's
    user key like a title. The marked copy is a blob of its own (role "share")."""

    __tablename__ = "shares"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    blob_id: Mapped[str | None] = mapped_column(String(36))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_key_id: Mapped[str] = mapped_column(ForeignKey("user_keys.id"), index=True)
    recipient_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    purpose_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # A code the recipient must type before the copy is served; only its hash is kept.
    code_hash: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    organisation_id: Mapped[str | None] = mapped_column(String(36))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_downloads: Mapped[int | None] = mapped_column(Integer)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reminder(Base):
    """One expiry reminder about one paper, for one person (the owner or a counsellor), at one
    threshold (days before the expiry): sent once. `channel` "email", or "banner" when the person
    gave no address: then `seen_at` is set when the banner was shown."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("document_id", "person_id", "threshold_days"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    threshold_days: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthSession(Base):
    """A signed-in session. Only a hash of the token is stored."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    csrf_token: Mapped[str] = mapped_column(String(64))
    # A short description of the device ("Chrome, Android"), shown in the list of sessions.
    device: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecoveryCode(Base):
    """A single-use code printed by the person; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The ten codes made together share a generation (None: made before generations were
    # kept). `seen_by`: the professional who saw them, at an account created with the person
    # present; such a code gives no more than a reset made by them (vault/accounts/recovery.py).
    # No foreign key, so that SQLite adds the columns in place.
    generation: Mapped[str | None] = mapped_column(String(36))
    seen_by: Mapped[str | None] = mapped_column(String(36))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ResetCode(Base):
    """A one-time code a counsellor hands over in person; valid for a few minutes."""

    __tablename__ = "reset_codes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    issued_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Throttle(Base):
    """Failed attempts against one key ("login:..." or "addr:..."), shared by all instances."""

    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TrustedDevice(Base):
    """A browser where the person signed in before (a long-lived cookie): its failures count
    apart from the address's, so others' failures behind the same router do not keep the person
    out. Only a hash of the cookie's token is kept."""

    __tablename__ = "trusted_devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class JournalEvent(Base):
    """One line of the journal. Never a title or a document's content. Entries are chained: each
    hash covers the previous entry's hash, so a changed, removed, reordered or inserted line
    shows (see vault.audit.journal.verify_chain)."""

    __tablename__ = "journal"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    organisation_id: Mapped[str | None] = mapped_column(String(36))
    grant_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(64), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JournalHead(Base):
    """The last entry of the chain, in one locked row: appends are serialised through it, and a
    removed tail of the journal shows."""

    __tablename__ = "journal_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Membership(Base):
    """A professional in an organisation; role "counsellor" or "org_admin"."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "organisation_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(words(MemberRole, "ck_memberships_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Grant(Base):
    """Consent: a beneficiary lets a counsellor, or a whole organisation, reach their vault."""

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vault_id: Mapped[str] = mapped_column(ForeignKey("vaults.id"), index=True)
    counsellor_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), index=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[GrantStatus] = mapped_column(words(GrantStatus, "ck_grants_status"))
    consent: Mapped[Consent] = mapped_column(words(Consent, "ck_grants_consent"))
    requested_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the person gave it: at once, or when they accepted the request (None until then). A
    # helper's share link serves only under grants given before it was made.
    given_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Loaded with the grant: every decision of the policy reads them.
    scope_rows: Mapped[list["GrantScope"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    category_rows: Mapped[list["GrantCategory"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class GrantScope(Base):
    """One thing a grant lets its holder do."""

    __tablename__ = "grant_scopes"

    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), primary_key=True)
    scope: Mapped[Scope] = mapped_column(words(Scope, "ck_grant_scopes_scope"), primary_key=True)


class GrantCategory(Base):
    """One kind of paper a grant is limited to; a grant without any covers every kind."""

    __tablename__ = "grant_categories"

    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), primary_key=True)
    category: Mapped[Category] = mapped_column(
        words(Category, "ck_grant_categories_category"), primary_key=True
    )


class KeyJob(Base):
    """One run of a key job (rotation, re-encryption, verification), for resuming and status."""

    __tablename__ = "key_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    scope: Mapped[str] = mapped_column(String(100), default="")
    target_version: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    units_done: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(BigInteger, default=0)
