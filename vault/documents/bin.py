"""The bin: a deleted paper waits there for `settings.bin_days`, listed for its owner, who may
take it back. After that `erase_expired` removes its rows, and with them its wrapped data keys,
so its stored objects are unreadable before they are purged."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vault.audit import journal
from vault.documents import quota
from vault.documents.service import DocumentView, describe
from vault.models import Blob, Document, Person, Reminder, Share, Vault, utcnow
from vault.policy import require_binned_document, require_own_vault
from vault.runtime import Runtime


@dataclass(frozen=True)
class BinnedPaper:
    document: DocumentView
    deleted_at: datetime
    deleted_by_name: str
    # The first moment `erase_expired` may erase it.
    erased_after: datetime
    deleted_by_owner: bool


def list_bin(db: Session, rt: Runtime, owner: Person, vault_id: str) -> list[BinnedPaper]:
    """The papers in the owner's bin, most recently deleted first."""
    vault = require_own_vault(db, owner, vault_id)
    documents = db.scalars(
        select(Document)
        .where(Document.vault_id == vault.id, Document.deleted_at.is_not(None))
        .order_by(Document.deleted_at.desc())
    ).all()
    period = timedelta(days=rt.settings.bin_days)
    papers = []
    for document, view in zip(documents, describe(db, rt, documents, owner), strict=True):
        deleted_at = document.deleted_at or utcnow()
        deleter = db.get(Person, document.deleted_by) if document.deleted_by else None
        papers.append(
            BinnedPaper(
                document=view,
                deleted_at=deleted_at,
                deleted_by_name=deleter.display_name if deleter else "",
                erased_after=deleted_at + period,
                deleted_by_owner=document.deleted_by == owner.id,
            )
        )
    return papers


def restore_document(db: Session, rt: Runtime, owner: Person, document_id: str) -> DocumentView:
    """Take a paper out of the bin, back among the owner's papers; the caller commits. Its row
    is locked as it is read: a sweep erasing it meanwhile is waited for, and the paper is then
    not found (see erase_expired). It must fit the room left, counted as an upload's is: under
    the vault's lock, so that an upload recorded meanwhile is counted."""
    document, access = require_binned_document(db, rt.settings, owner, document_id)
    quota.lock_vault(db, document.vault_id)
    free = quota.free_bytes(db, rt.settings, owner.id)
    if document.size > free:
        raise quota.no_room_to_restore(document.size, free)
    document.deleted_at = None
    document.deleted_by = None
    db.flush()
    journal.record(
        db,
        subject_id=access.vault.owner_id,
        actor_id=owner.id,
        action=journal.DOCUMENT_RESTORED,
        target_id=document.id,
    )
    return describe(db, rt, [document], owner)[0]


def erase_expired(db: Session, rt: Runtime, now: datetime | None = None) -> list[str]:
    """Erase the papers whose bin period is over: rows, wrapped data keys, shares and reminders.
    Returns the object names for the caller to purge once this is committed (a purge that
    fails leaves unreadable objects, which the orphan sweep removes).

    The papers are locked as they are read: a restore committed meanwhile is either seen (the
    paper is no longer expired, PostgreSQL reads it again) or waits, and then finds the paper
    gone (restore_document)."""
    cutoff = (now or utcnow()) - timedelta(days=rt.settings.bin_days)
    rows = db.execute(
        select(Document.id, Vault.owner_id)
        .join(Vault, Vault.id == Document.vault_id)
        .where(Document.deleted_at.is_not(None), Document.deleted_at <= cutoff)
        .with_for_update(of=Document)
    ).all()
    ids = [row.id for row in rows]
    if not ids:
        return []
    names = list(db.scalars(select(Blob.object_name).where(Blob.document_id.in_(ids))))
    for table in (Share, Reminder, Blob):
        db.execute(delete(table).where(table.document_id.in_(ids)))
    db.execute(delete(Document).where(Document.id.in_(ids)))
    for row in rows:
        journal.record(
            db,
            subject_id=row.owner_id,
            actor_id=None,
            action=journal.DOCUMENT_ERASED,
            target_id=row.id,
        )
    return names
