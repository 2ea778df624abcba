"""Removes stored objects that no blob row references: the leftovers of a crash between
storing a ciphertext and committing its row, or of a purge that failed after a deletion.
They are unreadable already (their data key was never saved or is gone); this frees the space."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.base import BlobStore
from vault.config import Settings
from vault.models import Blob, utcnow


def unnamed_for_long(settings: Settings, since: datetime) -> bool:
    """Whether an object stored from `since` and named by no committed row yet has waited half
    of the sweep's grace period: whatever writes it must then make sure of it (look for it, or
    commit the rows that name it) before the sweep may take it for an orphan."""
    return utcnow() - since >= timedelta(minutes=settings.orphan_grace_minutes) / 2


def sweep_orphans(
    db: Session, store: BlobStore, grace: timedelta, now: datetime | None = None
) -> int:
    """Delete unreferenced objects older than `grace` (younger ones may be uploads in flight)."""
    cutoff = (now or utcnow()) - grace
    known = set(db.scalars(select(Blob.object_name)))
    removed = 0
    for info in store.list():
        if info.name not in known and info.modified < cutoff:
            store.delete(info.name)
            removed += 1
    return removed
