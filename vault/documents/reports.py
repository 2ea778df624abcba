"""Reports of papers that cannot be read. The person, or a professional who sees the paper,
tells the platform admins: a line in the person's journal (`document_reported`), once per
paper. The admins see the reported papers on their keys page (ids only: an admin never reads
a paper) and `coffre keys verify` says what is wrong with each."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.audit import journal
from vault.documents.service import note_change
from vault.models import Document, JournalEvent, Person
from vault.policy import Action, require_document
from vault.runtime import Runtime

# The most recent reports an admin page shows.
SHOWN = 100


@dataclass(frozen=True)
class ReportedPaper:
    document_id: str
    vault_id: str
    reported_at: datetime


def report_paper(db: Session, rt: Runtime, actor: Person, document_id: str) -> str:
    """Record that the paper cannot be read, unless it was reported already; returns its
    vault's id. Whoever may see the paper may report it; the caller commits."""
    document, access = require_document(db, rt.settings, actor, document_id, Action.VIEW)
    if not reported_among(db, access.vault.owner_id, [document.id]):
        note_change(db, actor, access, journal.DOCUMENT_REPORTED, document)
    return document.vault_id


def reported_among(db: Session, owner_id: str, document_ids: Collection[str]) -> set[str]:
    """Which of the owner's papers were reported (through the journal's index on its
    subject)."""
    if not document_ids:
        return set()
    return set(
        db.scalars(
            select(JournalEvent.target_id).where(
                JournalEvent.subject_id == owner_id,
                JournalEvent.action == journal.DOCUMENT_REPORTED,
                JournalEvent.target_id.in_(document_ids),
            )
        )
    )


def reported_papers(db: Session, limit: int = SHOWN) -> list[ReportedPaper]:
    """The papers reported, most recent first; those erased since are left out."""
    rows = db.execute(
        select(JournalEvent.target_id, Document.vault_id, JournalEvent.occurred_at)
        .join(Document, Document.id == JournalEvent.target_id)
        .where(JournalEvent.action == journal.DOCUMENT_REPORTED)
        .order_by(JournalEvent.occurred_at.desc())
        .limit(limit)
    ).all()
    return [ReportedPaper(row.target_id, row.vault_id, row.occurred_at) for row in rows]
