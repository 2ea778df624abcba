"""Copies that leave the safe: a link for one office (the CAF, the préfecture, an employer) to
download a marked copy of one paper, without an account, for a limited time and number of
downloads, revocable, every use in the owner's journal.

The link's token is 32 random bytes; only its SHA-256 is kept, so a stolen database opens no
link. The recipient and the purpose are sealed under the owner's user key like a title. The
marked copy is made once, when the link is made, and stored encrypted like any blob (role
"share", under the paper, so it goes when the paper is erased). Services never commit.
"""

import hashlib
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from keys.format import BlobContext
from keys.hierarchy import open_field, seal_field
from vault import metrics
from vault.accounts import hold, throttle
from vault.accounts.passwords import hash_password, verify_password
from vault.audit import journal
from vault.documents.previews import marked_copy
from vault.documents.service import (
    BlobOwner,
    StoredBlob,
    decrypt_stored_blob,
    note_change,
    open_original,
    own_titles,
    recording_owner,
    store_blob,
)
from vault.documents.unreadable import decrypted
from vault.documents.watermark import copy_type, marking_text
from vault.errors import N_, EndedMeanwhileError, InvalidInputError, NotFoundError
from vault.keylife.keychain import active_user_key, open_key
from vault.models import (
    Blob,
    Document,
    JournalEvent,
    Organisation,
    Person,
    Share,
    UserKey,
    Vault,
    utcnow,
)
from vault.policy import (
    NOT_FOUND_DOCUMENT,
    Access,
    Action,
    acting_for,
    maker_access,
    maker_may_still_share,
    may_still_share,
    require_document,
)
from vault.runtime import Runtime
from vault.text import typed_line

SHARE = "share"
MAX_TEXT = 120
# Guesses at a link's code are throttled (per link and per address), yet over a link's
# longest life (COFFRE_SHARE_MAX_HOURS, 720) addresses enough get ~9,000 of them: most of
# the 10,000 codes of 4 digits, under 1% of the million of 6.
MIN_CODE = 6
MAX_CODE = 100
NOT_FOUND_SHARE = N_("Ce lien n'existe pas.")


class WrongCodeError(InvalidInputError):
    """A wrong code for a link: refused, but the count of failures and the journal line stay."""

    keeps_writes = True


@dataclass(frozen=True)
class ShareTerms:
    recipient: str
    purpose: str
    expires_in_hours: int
    max_downloads: int | None = None
    code: str | None = None


@dataclass(frozen=True)
class NewShare:
    id: str
    # Shown once, to be given to the office; never kept.
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class ShareView:
    """A link as the person (or their counsellor) sees it in the list. Whom and why it was for
    (None: not theirs to read) only for the person and whoever made the link."""

    id: str
    document_id: str
    recipient: str | None
    purpose: str | None
    expires_at: datetime
    max_downloads: int | None
    downloads: int
    revoked: bool
    has_code: bool
    created_by_name: str
    created_at: datetime
    # Works now: within its own terms, and its maker may still send the paper.
    valid: bool
    # Not stopped and within its own terms: a helper's link that is over only because their
    # access is would work again with it, so it can still be stopped for good.
    can_stop: bool


@dataclass(frozen=True)
class PublicShare:
    """What the office sees before downloading."""

    id: str
    title: str
    owner_name: str
    helper_name: str | None
    organisation_name: str | None
    expires_at: datetime


@dataclass(frozen=True)
class SharedCopy:
    content_type: str
    size: int
    filename: str
    chunks: Iterator[bytes]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_terms(terms: ShareTerms, max_hours: int) -> ShareTerms:
    recipient, purpose = typed_line(terms.recipient), typed_line(terms.purpose)
    if not recipient:
        raise InvalidInputError("Écrivez à qui vous envoyez la copie.", field="recipient")
    if not purpose:
        raise InvalidInputError("Écrivez pourquoi vous envoyez la copie.", field="purpose")
    for value, field in ((recipient, "recipient"), (purpose, "purpose")):
        if len(value) > MAX_TEXT:
            raise InvalidInputError(
                "Écrivez moins de %(max)s caractères.", field=field, max=MAX_TEXT
            )
    if not 1 <= terms.expires_in_hours <= max_hours:
        raise InvalidInputError(
            "Le lien peut durer de 1 à %(max)s heures.", field="expires_in_hours", max=max_hours
        )
    if terms.max_downloads is not None and not 1 <= terms.max_downloads <= 100:
        raise InvalidInputError(
            "Le nombre de téléchargements va de 1 à 100.", field="max_downloads"
        )
    code = (terms.code or "").strip() or None
    if code is not None and not MIN_CODE <= len(code) <= MAX_CODE:
        raise InvalidInputError(
            "Le code doit avoir au moins %(minimum)s caractères.", field="code", minimum=MIN_CODE
        )
    return ShareTerms(recipient, purpose, terms.expires_in_hours, terms.max_downloads, code)


@dataclass(frozen=True)
class SharePlan:
    """What making a copy needs, gathered in a short transaction: the marking itself runs
    outside any transaction (a long PDF takes seconds, and SQLite would hold its write lock)."""

    document_id: str
    vault_id: str
    owner_id: str
    content_type: str
    terms: ShareTerms
    day: date
    original_object: str
    original_key: bytes
    original_context: BlobContext
    user_key_id: str
    user_key_version: int
    user_key: bytes

    @property
    def blob_owner(self) -> BlobOwner:
        return BlobOwner(self.owner_id, self.user_key_id, self.user_key, self.user_key_version)


@dataclass(frozen=True)
class StoredCopy:
    plan: SharePlan
    blob: StoredBlob
    code_hash: str | None  # hashed here, outside any transaction: no lock waits for it


def plan_share(
    db: Session, rt: Runtime, actor: Person, document_id: str, terms: ShareTerms
) -> SharePlan:
    document, access = _shareable(db, rt, actor, document_id)
    terms = clean_terms(terms, rt.settings.share_max_hours)
    owner_id = access.vault.owner_id
    original = open_original(db, rt, document, owner_id)
    user_key, key = active_user_key(db, rt.master_keys, owner_id)
    return SharePlan(
        document_id=document.id,
        vault_id=document.vault_id,
        owner_id=owner_id,
        content_type=document.content_type,
        terms=terms,
        day=utcnow().date(),
        original_object=original.object_name,
        original_key=original.data_key,
        original_context=original.context,
        user_key_id=user_key.id,
        user_key_version=user_key.version,
        user_key=key,
    )


def store_copy(rt: Runtime, plan: SharePlan) -> StoredCopy:
    """Mark the paper, encrypt the copy under a data key of its own and store it. Raises
    DamagedFileError, before anything is stored, when the paper cannot be marked, and
    UnreadableError when its stored object is missing or altered."""
    content = b"".join(
        decrypted(
            rt.store, plan.original_object, plan.original_key, plan.original_context, plan.vault_id
        )
    )
    terms = plan.terms
    text = marking_text(terms.recipient, terms.purpose, plan.day)
    copy = marked_copy(rt.settings, content, plan.content_type, text)
    # The ciphertext goes first: a failure after it leaves an object no row names, which the
    # sweeper removes.
    return StoredCopy(
        plan,
        store_blob(rt, plan.blob_owner, plan.document_id, SHARE, [copy.content]),
        hash_password(terms.code) if terms.code else None,
    )


def record_share(db: Session, rt: Runtime, actor: Person, stored: StoredCopy) -> NewShare:
    """Record the link to a stored copy (the rights are checked again: they may have ended
    while the copy was made); the caller's commit makes it work. The paper's row is read again
    and locked first, then the grants: a move to the bin or an end of the access committed while
    the copy was made is seen, one under way is waited for (binning stops the paper's links,
    this one included)."""
    plan, terms = stored.plan, stored.plan.terms
    document, access = _shareable(db, rt, actor, plan.document_id, locked=True)
    live = recording_owner(db, rt, plan.blob_owner)
    now = utcnow()
    db.add(stored.blob.under(document.id, plan.blob_owner, live).row(document.id, SHARE, live, now))
    token, share_id, key = secrets.token_urlsafe(32), str(uuid.uuid4()), live.user_key
    grant = access.grant_for(document)
    share = Share(
        id=share_id,
        document_id=document.id,
        blob_id=stored.blob.blob_id,
        token_hash=token_hash(token),
        user_key_id=live.user_key_id,
        recipient_sealed=seal_field(key, plan.owner_id, share_id, "recipient", terms.recipient),
        purpose_sealed=seal_field(key, plan.owner_id, share_id, "purpose", terms.purpose),
        code_hash=stored.code_hash,
        created_by=actor.id,
        organisation_id=None if grant is None else acting_for(db, actor.id, grant),
        expires_at=_end(access, document, now + timedelta(hours=terms.expires_in_hours)),
        max_downloads=terms.max_downloads,
        downloads=0,
        created_at=now,
    )
    db.add(share)
    db.flush()
    note_change(db, actor, access, journal.SHARE_CREATED, document)
    return NewShare(share_id, token, share.expires_at)


def _end(access: Access, document: Document, asked: datetime) -> datetime:
    """The end asked for, or sooner the end of the grants a helper makes the link through:
    the link would stop then anyway (see _works), and the answer shows the real end."""
    grants_end = access.lasts_until(document)
    return asked if grants_end is None else min(asked, grants_end)


def list_shares(db: Session, rt: Runtime, actor: Person, document_id: str) -> list[ShareView]:
    """The paper's links, newest first."""
    document, access = _shareable(db, rt, actor, document_id)
    shares = db.scalars(
        select(Share).where(Share.document_id == document.id).order_by(Share.created_at.desc())
    ).all()
    owner_id = access.vault.owner_id
    key_of = _key_opener(db, rt)
    names = dict(
        db.execute(
            select(Person.id, Person.display_name).where(
                Person.id.in_({s.created_by for s in shares})
            )
        ).all()
    )
    makers = {
        maker_id: maker_access(db, rt.settings, maker_id, document)
        for maker_id in {s.created_by for s in shares}
    }
    still_shared = {
        share.id: may_still_share(makers[share.created_by], document, share.created_at)
        for share in shares
    }
    now = utcnow()
    views = []
    for share in shares:
        # Where the person sent her paper, and why, is hers, like her history: a helper who
        # sees the paper sees that a copy went, and reads to whom only of the links they made.
        recipient = purpose = None
        if actor.id in (owner_id, share.created_by):
            key = key_of(share.user_key_id)
            recipient = open_field(key, owner_id, share.id, "recipient", share.recipient_sealed)
            purpose = open_field(key, owner_id, share.id, "purpose", share.purpose_sealed)
        within_terms = _valid(share, now)
        views.append(
            ShareView(
                id=share.id,
                document_id=share.document_id,
                recipient=recipient,
                purpose=purpose,
                expires_at=share.expires_at,
                max_downloads=share.max_downloads,
                downloads=share.downloads,
                revoked=share.revoked_at is not None,
                has_code=share.code_hash is not None,
                created_by_name=names.get(share.created_by, ""),
                created_at=share.created_at,
                valid=within_terms and still_shared[share.id],
                can_stop=within_terms,
            )
        )
    return views


def recipients_of(db: Session, rt: Runtime, owner: Person, share_ids: set[str]) -> dict[str, str]:
    """Whom each of these links of the owner's papers was made for (« CAF du Loiret »), for
    the owner's own history; links of other vaults, or erased with their paper, are left out,
    and so are those of papers a hold keeps closed (like their titles)."""
    if not share_ids:
        return {}
    rows = db.execute(
        select(Share, Document)
        .join(Document, Document.id == Share.document_id)
        .join(Vault, Vault.id == Document.vault_id)
        .where(Share.id.in_(share_ids), Vault.owner_id == owner.id)
    ).all()
    gate = hold.gate_for(db, rt.settings, owner)
    key_of = _key_opener(db, rt)
    return {
        share.id: open_field(
            key_of(share.user_key_id), owner.id, share.id, "recipient", share.recipient_sealed
        )
        for share, document in rows
        if gate is None or not gate.closes(document)
    }


def _key_opener(db: Session, rt: Runtime) -> Callable[[str], bytes]:
    """Opens user keys by id, each once."""
    keys: dict[str, bytes] = {}

    def key_of(user_key_id: str) -> bytes:
        if user_key_id not in keys:
            keys[user_key_id] = open_key(db, rt.master_keys, db.get_one(UserKey, user_key_id))
        return keys[user_key_id]

    return key_of


def revoke_share(db: Session, rt: Runtime, actor: Person, share_id: str) -> tuple[str, list[str]]:
    """Stop a link and drop its copy; returns the paper's id and the object names for the
    caller to purge once this is committed."""
    share = db.get(Share, share_id)
    if share is None:
        raise NotFoundError(NOT_FOUND_SHARE)
    try:
        document, access = _shareable(db, rt, actor, share.document_id)
    except NotFoundError:
        # Refused (and journaled) as for the paper, answered as for a link that does not exist:
        # an id tried tells nothing of whether it exists.
        raise NotFoundError(NOT_FOUND_SHARE) from None
    names: list[str] = []
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        db.flush()  # the link's row before the journal's head (see service.delete_document)
        note_change(db, actor, access, journal.SHARE_REVOKED, document)
    if share.blob_id is not None:
        blob = db.get(Blob, share.blob_id)
        share.blob_id = None
        if blob is not None:
            names.append(blob.object_name)
            db.delete(blob)
    db.flush()
    return document.id, names


def drop_copies_of_ended_links(
    db: Session, grace: timedelta, now: datetime | None = None
) -> list[str]:
    """Drop the marked copies that no link may serve any more: past its end, its downloads
    used, or stopped (a paper sent to the bin stops its links for good, without dropping their
    copies at once). An end or a stop less than `grace` ago keeps its copy: a download that was
    let in just before may still be reading it (a used-up link's last download starts reading
    before its count is committed). The links stay, for the record. Returns the object names
    for the caller to purge once this is committed."""
    cutoff = (now or utcnow()) - grace
    ended = db.execute(
        select(Share.id.label("share_id"), Share.blob_id, Blob.object_name)
        .join(Blob, Blob.id == Share.blob_id)
        .where(
            or_(
                Share.expires_at <= cutoff,
                Share.revoked_at <= cutoff,
                Share.downloads >= Share.max_downloads,
            )
        )
    ).all()
    if not ended:
        return []
    db.execute(
        update(Share)
        .where(Share.id.in_([row.share_id for row in ended]))
        .values(blob_id=None)
        .execution_options(synchronize_session=False)
    )
    db.execute(delete(Blob).where(Blob.id.in_([row.blob_id for row in ended])))
    return [row.object_name for row in ended]


def needs_code(db: Session, rt: Runtime, token: str) -> bool | None:
    """Whether the link asks for a code before anything about its paper shows; None for a link
    unknown or no longer valid (the same answer for both)."""
    share = _live(db, rt, token)
    return None if share is None else share.code_hash is not None


def open_share(db: Session, rt: Runtime, token: str, code: str, source: str) -> PublicShare | None:
    """What the office sees behind a link, once the code is right (see _checked); None for
    a link unknown or no longer valid. The opening is journaled for the owner, once per visit:
    a reload from the same address within VISIT is the same visit."""
    share = _checked(db, rt, token, code, source)
    if share is None:
        return None
    _note_visit(db, share, source)
    return _public(db, rt, share)


# Reloads of the office's page within this time, from one address, are one opening.
VISIT = timedelta(minutes=1)


def _note_visit(db: Session, share: Share, source: str) -> None:
    owner_id = _owner_id(db, share)
    seen = db.scalar(
        select(JournalEvent.seq)
        .where(
            JournalEvent.subject_id == owner_id,
            JournalEvent.action == journal.SHARE_VIEWED,
            JournalEvent.target_id == share.id,
            JournalEvent.source == source[:64],
            JournalEvent.occurred_at > utcnow() - VISIT,
        )
        .limit(1)
    )
    if seen is None:
        journal.record(
            db, subject_id=owner_id, action=journal.SHARE_VIEWED, target_id=share.id, source=source
        )


def _public(db: Session, rt: Runtime, share: Share) -> PublicShare:
    document = db.get_one(Document, share.document_id)
    owner = db.scalars(
        select(Person).join(Vault, Vault.owner_id == Person.id).where(Vault.id == document.vault_id)
    ).one()
    titles = own_titles(db, rt, owner, {document.id})
    helper = db.get(Person, share.created_by) if share.created_by != owner.id else None
    organisation = db.get(Organisation, share.organisation_id) if share.organisation_id else None
    return PublicShare(
        id=share.id,
        title=titles.get(document.id, ""),
        owner_name=owner.display_name,
        helper_name=helper.display_name if helper else None,
        organisation_name=organisation.name if organisation else None,
        expires_at=share.expires_at,
    )


def _checked(db: Session, rt: Runtime, token: str, code: str, source: str) -> Share | None:
    """The link, while it is valid and, when it has a code, the code is right. A wrong code is
    counted (growing waits, per link and per address) and journaled for the owner."""
    share = _live(db, rt, token)
    if share is None or share.code_hash is None:
        return share
    attempt = throttle.attempt(db, rt.settings, login=f"share:{share.id}", source=source)
    throttle.guard(db, attempt)
    code = code.strip()
    if not code:
        raise InvalidInputError("Écrivez le code reçu avec le lien.", field="code")
    if not verify_password(share.code_hash, code[:MAX_CODE]):
        throttle.failed(db, attempt)
        journal.record(
            db,
            subject_id=_owner_id(db, share),
            action=journal.SHARE_CODE_FAILED,
            target_id=share.document_id,
            source=source,
        )
        raise WrongCodeError(N_("Ce code n'est pas le bon."), field="code")
    throttle.passed(db, attempt)
    return share


def take_copy(db: Session, rt: Runtime, token: str, code: str, source: str) -> SharedCopy | None:
    """Count one download and open the marked copy; None when the link is no longer valid.
    The count is one conditional UPDATE, so concurrent downloads never go past the limit. Once
    counted, the link is judged again on what is committed then: an end of the access or a
    « private » committed since the first look (the code's hash takes a while) stops it, and
    the count is undone with the rest (EndedMeanwhileError). No lock is taken on the paper or
    the grants: a download never holds up the person."""
    if _checked(db, rt, token, code, source) is None:
        return None
    now = utcnow()
    live_paper = select(Document.id).where(Document.deleted_at.is_(None))
    counted = db.execute(
        update(Share)
        .where(
            Share.token_hash == token_hash(token),
            Share.revoked_at.is_(None),
            Share.expires_at > now,
            Share.blob_id.is_not(None),
            (Share.max_downloads.is_(None)) | (Share.downloads < Share.max_downloads),
            Share.document_id.in_(live_paper),
        )
        .values(downloads=Share.downloads + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        return None
    db.expire_all()  # the paper, the grants and the memberships as committed now
    share = db.scalars(select(Share).where(Share.token_hash == token_hash(token))).one()
    if not _maker_may_still_send(db, rt, share):
        raise EndedMeanwhileError(NOT_FOUND_SHARE)
    blob = db.get_one(Blob, share.blob_id)
    owner_id = _owner_id(db, share)
    # The link, not the paper, is the target: the owner's history names whom it was for.
    journal.record(
        db, subject_id=owner_id, action=journal.SHARE_OPENED, target_id=share.id, source=source
    )
    content_type = copy_type(db.get_one(Document, share.document_id).content_type)
    return SharedCopy(
        content_type=content_type,
        size=blob.plain_size,
        filename="copie" + _EXTENSIONS.get(content_type, ""),
        chunks=metrics.counted(decrypt_stored_blob(db, rt, blob, owner_id), "share"),
    )


_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def _shareable(
    db: Session, rt: Runtime, actor: Person, document_id: str, locked: bool = False
) -> tuple[Document, Access]:
    """`locked`: to record a link, the paper and the grants it goes through are locked as for
    a change (policy._CHANGES), in the same order; the list of links takes no lock."""
    document, access = require_document(db, rt.settings, actor, document_id, Action.SHARE, locked)
    if document.deleted_at is not None:
        raise NotFoundError(NOT_FOUND_DOCUMENT)
    return document, access


def _live(db: Session, rt: Runtime, token: str) -> Share | None:
    if not token or len(token) > 100:
        return None
    share = db.scalar(select(Share).where(Share.token_hash == token_hash(token)))
    if share is None:
        return None
    return share if _works(db, rt, share, utcnow()) else None


def _works(db: Session, rt: Runtime, share: Share, now: datetime) -> bool:
    """Within its own terms, and whoever made it may still send its paper (a helper whose
    access ended, or a paper now out of its reach, ends the link as its end date would)."""
    return _valid(share, now) and _maker_may_still_send(db, rt, share)


def _maker_may_still_send(db: Session, rt: Runtime, share: Share) -> bool:
    document = db.get(Document, share.document_id)
    return document is not None and maker_may_still_share(
        db, rt.settings, share.created_by, document, share.created_at
    )


def _valid(share: Share, now: datetime) -> bool:
    """Within the link's own terms: not stopped, before its end, downloads left."""
    used_up = share.max_downloads is not None and share.downloads >= share.max_downloads
    return (
        share.revoked_at is None
        and share.expires_at > now
        and share.blob_id is not None
        and not used_up
    )


def _owner_id(db: Session, share: Share) -> str:
    owner_id: str = db.scalars(
        select(Vault.owner_id)
        .join(Document, Document.vault_id == Vault.id)
        .where(Document.id == share.document_id)
    ).one()
    return owner_id
