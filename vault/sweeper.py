"""Removes stored objects that no blob row references: the leftovers of a crash between
storing a ciphertext and committing its row, or of a purge that failed after a deletion.
They are unreadable already (their data key was never saved or is gone); this frees the space."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.base import BlobStore
from vault.config import Settings
from vault.models import Blob, utcnow


def unnamed_for_long(settings: Settings, since: datetime) -> bool:
    """Whether an object stored from `since` and named by no committed row yet has waited half
    of the sweep's grace period: whatever writes it must then make sure of it (look for it, or
    commit the rows that name it) before the sweep may take it for an orphan."""
    return utcnow() - since >= timedelta(minutes=settings.orphan_grace_minutes) / 2


# The PostgreSQL advisory lock between the sweep, which takes it alone until its deletions
# are committed, and whatever names an object stored long ago, which shares it until then.
SWEEP_LOCK = 5_310_001


def hold_off_the_sweep(db: Session) -> None:
    """Before an object unnamed for long (unnamed_for_long) is looked for, then named by rows
    committed in this transaction: a sweep that read the rows' names before this commit is
    waited for, and its deletions seen; one that starts later waits for the commit. On SQLite
    one writing transaction at a time keeps them apart already."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock_shared(SWEEP_LOCK)))


def sweep_orphans(
    db: Session,
    store: BlobStore,
    grace: timedelta,
    now: datetime | None = None,
    force: bool = False,
) -> int:
    """Delete unreferenced objects older than `grace` (younger ones may be uploads in flight).
    The caller commits, after the deletions: whatever names an object unnamed for long waits
    until then (hold_off_the_sweep). Orphans that would be most of the store are not removed
    unless `force`: see NotThisStoresDatabaseError."""
    cutoff = (now or utcnow()) - grace
    # The store is listed before this transaction's first statement: the lock (SQLite's write
    # lock, PostgreSQL's advisory one) is held only to read the names and remove the orphans,
    # not for a listing that may take long, while uploads wait.
    listed, old = 0, []
    for info in store.list():
        listed += 1
        if info.modified < cutoff:
            old.append(info.name)
    if not old:
        return 0
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(SWEEP_LOCK)))
    known = set(db.scalars(select(Blob.object_name)))
    orphans = [name for name in old if name not in known]
    if not force and 2 * len(orphans) > listed:
        raise NotThisStoresDatabaseError(len(orphans), listed)
    for name in orphans:
        store.delete(name)
    return len(orphans)


class NotThisStoresDatabaseError(Exception):
    """Most of the store named by no row: most likely the database is not this store's (the
    embedded default makes a new one wherever it is started; a volume not mounted, a
    COFFRE_DATABASE_URL lost, then `coffre admin create` on the new one), and every paper of
    the real instance would be taken for an orphan. An instance's leftovers (uploads cut
    short, purges that failed) are a few among its papers. Nothing is removed."""

    def __init__(self, orphans: int, objects: int) -> None:
        self.orphans = orphans
        super().__init__(
            f"{orphans} of the {objects} objects in the store are named by no row of the "
            "database: is it this store's database (COFFRE_DATABASE_URL, the data folder)? "
            "Nothing was removed. If they are leftovers all the same, run "
            "`coffre storage sweep --force`."
        )
