"""Key rotation jobs, each made of small units that commit on their own with a compare-and-set
on the old version: kill the process at any point, run the command again, and it finishes; two
processes on the same job never redo each other's units (rows are locked and skipped, and an
update only applies if the row still has the version it was read with).

A unit reads plain columns (no ORM objects) and writes its whole batch back in one go, keeping
that compare-and-set per row (see CompareAndSet); the drivers sum the rows it changed.

- master: a new master key version becomes primary; every user-key slot is re-wrapped under it.
  No blob is read or written.
- user: a new user key version for a person; that person's data keys, titles and contact
  fields are re-wrapped or re-sealed under it; then the older versions are destroyed, once no
  row needs them (rows another job held are left for a later run, with their version).
- reencrypt: fresh data keys; every blob is re-encrypted into a new object, checked, the row
  switched, and only then the old object removed.
"""

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    delete,
    func,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from keys.errors import CryptoError
from keys.format import BlobContext, decrypt_blob, encrypt_blob
from keys.hierarchy import (
    open_field,
    open_user_key,
    seal_field,
    seal_user_key,
    unwrap_data_key,
    wrap_data_key,
)
from keys.wrap import new_key
from storage.base import BlobNotFoundError
from vault.db import transaction
from vault.documents.service import blob_decryption
from vault.errors import ConflictError, NotFoundError
from vault.keylife.keychain import MASTER_SLOT, create_user_key, live_user_keys, open_key
from vault.models import Blob, Document, KeyJob, KeySlot, Person, Share, UserKey, Vault, utcnow
from vault.runtime import Runtime
from vault.sweeper import hold_off_the_sweep, unnamed_for_long

log = logging.getLogger(__name__)

PERSON_FIELDS = ("email", "phone", "totp")


@dataclass(frozen=True)
class JobProgress:
    done: int
    total: int


@dataclass(frozen=True)
class Unit:
    """What one unit did: rows it read, and rows its compare-and-set changed. Fewer change when
    another job wrote a row in between: that row keeps what the other job wrote, and a later
    unit reads it again only if it is still behind."""

    read: int
    changed: int

    def __add__(self, other: "Unit") -> "Unit":
        return Unit(self.read + other.read, self.changed + other.changed)


def _job(db: Session, kind: str, scope: str, target: int | None) -> KeyJob:
    """The unfinished job of this kind and scope, or a new one."""
    job = db.scalar(
        select(KeyJob)
        .where(KeyJob.kind == kind, KeyJob.scope == scope, KeyJob.finished_at.is_(None))
        .order_by(KeyJob.started_at.desc())
        .limit(1)
    )
    if job is None:
        job = KeyJob(kind=kind, scope=scope, target_version=target, started_at=utcnow())
        db.add(job)
        db.flush()
    return job


def _finish(db: Session, job_id: str) -> None:
    db.execute(update(KeyJob).where(KeyJob.id == job_id).values(finished_at=utcnow()))


def _count(db: Session, job_id: str, units: int) -> None:
    db.execute(
        update(KeyJob).where(KeyJob.id == job_id).values(units_done=KeyJob.units_done + units)
    )


def _run(
    sessions: sessionmaker[Session],
    step: Callable[[Session], Unit],
    on_progress: Callable[[int], None],
) -> int:
    """Run `step` in its own transaction until it finds nothing left to do; the rows changed."""
    total = 0
    while True:
        with transaction(sessions) as db:
            unit = step(db)
        if not unit.read:
            return total
        total += unit.changed
        on_progress(unit.changed)


@dataclass(frozen=True)
class CompareAndSet:
    """The write of a batch: each row found by its id, and changed only if `guard` still holds
    the value the unit read, so that a row another job wrote in between keeps what it wrote.

    Each row of the batch is (id, guard as read, *new values of `columns`). PostgreSQL gets one
    statement for the whole batch, `UPDATE ... FROM unnest(one array per column)`, its arrays
    sent in binary (psycopg 3's `%(name)b`): one prepared statement whatever the batch's size,
    where an executemany sends and runs one UPDATE per row. SQLite, in this process, gets the
    executemany of one UPDATE. Table, column and type names are this module's constants."""

    table: str
    guard: str
    guard_type: str  # PostgreSQL's name of the types, for the arrays
    columns: tuple[tuple[str, str], ...]  # (column, type) set from each row

    def write(self, db: Session, rows: list[tuple[object, ...]]) -> int:
        """The number of rows changed (those whose guard still held)."""
        if not rows:
            return 0
        connection = db.connection()
        if connection.dialect.name == "postgresql":
            arrays = {f"c{i}": list(values) for i, values in enumerate(zip(*rows, strict=True))}
            return connection.exec_driver_sql(self._unnest(), arrays).rowcount
        return connection.exec_driver_sql(self._executemany(), rows).rowcount

    def _unnest(self) -> str:
        types = ("varchar", self.guard_type, *(kind for _column, kind in self.columns))
        arrays = ", ".join(f"%(c{i})b::{kind}[]" for i, kind in enumerate(types))
        names = ", ".join(f"c{i}" for i in range(len(types)))
        sets = ", ".join(f"{column} = v.c{i}" for i, (column, _) in enumerate(self.columns, 2))
        return (
            f"UPDATE {self.table} SET {sets} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
            f"WHERE {self.table}.id = v.c0 AND {self.table}.{self.guard} = v.c1"
        )

    def _executemany(self) -> str:
        # Numbered as the row's items: the id ?1, the guard ?2, the new values from ?3.
        sets = ", ".join(f"{column} = ?{i}" for i, (column, _) in enumerate(self.columns, 3))
        return f"UPDATE {self.table} SET {sets} WHERE id = ?1 AND {self.guard} = ?2"  # noqa: S608


# --- master ---------------------------------------------------------------------------------


# The PostgreSQL advisory lock that makes master rotations start one at a time.
MASTER_JOB_START_LOCK = 733101


def _serialise_job_start(db: Session) -> None:
    """Two `rotate-master` started at once must agree on one new version. SQLite already runs
    one writing transaction at a time; PostgreSQL takes a transaction-scoped advisory lock."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": MASTER_JOB_START_LOCK})


def _behind(target: int) -> ColumnElement[bool]:
    """Master slots still under an older version. Versions only grow (a new one is the highest
    plus one, and becomes primary), so `<` finds the same slots as `!=`, and the index on
    (kind, master_version) serves it. A master slot always has a version: slots without one
    (NULL) are of other kinds, which neither `<` nor `!=` ever matched."""
    return and_(KeySlot.kind == MASTER_SLOT, KeySlot.master_version < target)


def master_slots_behind(db: Session, target: int) -> int:
    return db.scalar(select(func.count()).where(_behind(target))) or 0


def start_master_rotation(rt: Runtime) -> tuple[int, int]:
    """(target version, slots to re-wrap). A new version is made only when no earlier rotation
    is left unfinished, so running the command again resumes rather than starting over."""
    with transaction(rt.sessions) as db:
        _serialise_job_start(db)
        job = db.scalar(
            select(KeyJob).where(KeyJob.kind == "master", KeyJob.finished_at.is_(None)).limit(1)
        )
        if job is None:
            target = rt.master_keys.add_version()
            _job(db, "master", "", target)
        else:
            # The job's own target: this process's keyring may not have looked at the master
            # versions since another instance made it. Asking for them looks again.
            target = job.target_version or rt.master_keys.primary_version()
            if target != max(rt.master_keys.versions()):
                raise ConflictError(
                    f"The unfinished master rotation targets version {target}, not the primary."
                )
        return target, master_slots_behind(db, target)


REWRAP_SLOT = CompareAndSet(
    "key_slots", "master_version", "int", (("master_version", "int"), ("wrapped_key", "bytea"))
)


def rewrap_master_batch(db: Session, rt: Runtime, target: int, batch: int) -> Unit:
    slots = db.execute(
        select(
            KeySlot.id,
            # Never NULL here (see _behind): typed as the int it is.
            type_coerce(KeySlot.master_version, Integer).label("old_version"),
            KeySlot.wrapped_key,
            UserKey.person_id,
            UserKey.version,
        )
        .join(UserKey, UserKey.id == KeySlot.user_key_id)
        .where(_behind(target))
        # In index order: with no order, PostgreSQL, whose statistics say every slot is behind,
        # walks another index and steps over every slot already done, batch after batch.
        .order_by(KeySlot.kind, KeySlot.master_version)
        .limit(batch)
        .with_for_update(skip_locked=True, of=KeySlot)
    ).all()
    rows: list[tuple[object, ...]] = []
    for slot in slots:
        key = open_user_key(
            rt.master_keys, slot.person_id, slot.version, slot.old_version, slot.wrapped_key
        )
        new_version, wrapped = seal_user_key(rt.master_keys, slot.person_id, slot.version, key)
        if new_version != target:
            raise ConflictError(f"Master key version {new_version} became primary meanwhile.")
        rows.append((slot.id, slot.old_version, new_version, wrapped))
    return Unit(len(slots), REWRAP_SLOT.write(db, rows))


def rotate_master(
    rt: Runtime, batch: int, on_progress: Callable[[int], None], workers: int = 1
) -> int:
    """Re-wrap every user key under a new master version, `workers` batches at a time, each
    worker a thread with a connection of its own. While one waits for the database, another
    re-wraps its batch: the batch's select skips the slots another worker has locked, so no
    slot is done twice, and a worker stops when it finds none left to take. SQLite writes one
    transaction at a time, in this process: one worker there."""
    target, _behind = start_master_rotation(rt)
    if rt.engine.dialect.name != "postgresql":
        workers = 1

    def work() -> int:
        return _run(rt.sessions, lambda db: rewrap_master_batch(db, rt, target, batch), on_progress)

    if workers == 1:
        done = work()
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = sum(job.result() for job in [pool.submit(work) for _ in range(workers)])
    with transaction(rt.sessions) as db:
        # Locked: when two runs end together, one finishes the job and the other finds it
        # finished, rather than starting a job of its own.
        job = db.scalar(
            select(KeyJob)
            .where(
                KeyJob.kind == "master",
                KeyJob.target_version == target,
                KeyJob.finished_at.is_(None),
            )
            .limit(1)
            .with_for_update()
        )
        if job is not None:
            _count(db, job.id, done)
            if master_slots_behind(db, target) == 0:
                _finish(db, job.id)
    return done


def retire_master(rt: Runtime, version: int) -> None:
    """Forget an old master version, refused while anything still references it."""
    with transaction(rt.sessions) as db:
        used = db.scalar(select(func.count()).where(KeySlot.master_version == version)) or 0
    if version == rt.master_keys.primary_version():
        raise ConflictError(f"Master key version {version} is the primary one.")
    if used:
        raise ConflictError(
            f"Master key version {version} still wraps {used} user keys: rotate first."
        )
    rt.master_keys.remove_version(version)


# --- user -----------------------------------------------------------------------------------


def people_for(db: Session, login: str | None) -> list[str]:
    query = select(Person.id).where(Person.erased_at.is_(None)).order_by(Person.id)
    if login is not None:
        query = query.where(Person.login == login)
    ids = list(db.scalars(query))
    if login is not None and not ids:
        raise NotFoundError(f"No person with login {login}.")
    return ids


def everyone_to_rotate(db: Session) -> tuple[KeyJob, list[str]]:
    """`rotate-user --all`, as a job, and the people it has still to do. Run again after a
    stop, it goes on: those whose key was rotated to the end since the job began (or made
    since: a new account) are not rotated again."""
    job = _job(db, "user", "*", None)
    done = (
        select(UserKey.person_id)
        .where(UserKey.state == "active")
        .group_by(UserKey.person_id)
        .having(func.count() == 1, func.min(UserKey.created_at) >= job.started_at)
    )
    people = select(Person.id).where(Person.erased_at.is_(None), Person.id.not_in(done))
    return job, list(db.scalars(people.order_by(Person.id)))


def finish_job(db: Session, job_id: str, units: int) -> None:
    _count(db, job_id, units)
    _finish(db, job_id)


def start_user_rotation(db: Session, rt: Runtime, person_id: str) -> UserKey:
    """The version to move to: a new one, or the newest if an earlier run did not finish."""
    newest = db.scalars(
        select(UserKey)
        .where(UserKey.person_id == person_id, UserKey.state == "active")
        .order_by(UserKey.version.desc())
        .limit(1)
    ).one()
    older = db.scalar(
        select(func.count()).where(
            UserKey.person_id == person_id,
            UserKey.state == "active",
            UserKey.version < newest.version,
        )
    )
    if older:
        return newest
    return create_user_key(db, rt.master_keys, person_id)


@dataclass(frozen=True)
class _Move:
    """One unit of a person's user rotation: every live version of their key, opened, and the
    version everything moves to."""

    person_id: str
    target: UserKey
    keys: dict[str, tuple[UserKey, bytes]]

    @property
    def older(self) -> list[str]:
        return [key_id for key_id in self.keys if key_id != self.target.id]

    def reseal(self, old_key_id: str, row_id: str, field: str, sealed: bytes) -> bytes:
        """A sealed text opened with the key it was sealed under, sealed again with the target."""
        text = open_field(self.keys[old_key_id][1], self.person_id, row_id, field, sealed)
        return seal_field(self.keys[self.target.id][1], self.person_id, row_id, field, text)


MOVE_BLOB = CompareAndSet(
    "blobs", "user_key_id", "varchar", (("user_key_id", "varchar"), ("wrapped_data_key", "bytea"))
)
MOVE_DOCUMENT = CompareAndSet(
    "documents",
    "user_key_id",
    "varchar",
    (("user_key_id", "varchar"), ("title_sealed", "bytea"), ("filename_sealed", "bytea")),
)
MOVE_SHARE = CompareAndSet(
    "shares",
    "user_key_id",
    "varchar",
    (("user_key_id", "varchar"), ("recipient_sealed", "bytea"), ("purpose_sealed", "bytea")),
)


def rewrap_user_batch(db: Session, rt: Runtime, target: UserKey, batch: int) -> Unit:
    """Move up to `batch` data keys, document texts and link texts of the person to `target`.
    Rows are found by the older versions of the person's key (an indexed column), not through
    their vault: papers in the bin move too, so that a restore still opens them."""
    keys = {k.id: (k, key) for k, key in live_user_keys(db, rt.master_keys, target.person_id)}
    move = _Move(target.person_id, target, keys)
    if not move.older:
        return Unit(0, 0)
    return (
        _rewrap_blobs(db, move, batch)
        + _reseal_documents(db, move, batch)
        + _reseal_shares(db, move, batch)
    )


def _rewrap_blobs(db: Session, move: _Move, batch: int) -> Unit:
    blobs = db.execute(
        select(Blob.id, Blob.document_id, Blob.user_key_id, Blob.wrapped_data_key)
        .where(Blob.user_key_id.in_(move.older))
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    target, new_key_bytes = move.keys[move.target.id]
    rows: list[tuple[object, ...]] = []
    for blob in blobs:
        old, old_key = move.keys[blob.user_key_id]
        ids = (move.person_id, blob.document_id, blob.id)
        data_key = unwrap_data_key(old_key, blob.wrapped_data_key, *ids, old.version)
        wrapped = wrap_data_key(new_key_bytes, data_key, *ids, target.version)
        rows.append((blob.id, old.id, target.id, wrapped))
    return Unit(len(blobs), MOVE_BLOB.write(db, rows))


def _reseal_documents(db: Session, move: _Move, batch: int) -> Unit:
    documents = db.execute(
        select(Document.id, Document.user_key_id, Document.title_sealed, Document.filename_sealed)
        .where(Document.user_key_id.in_(move.older))
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    rows: list[tuple[object, ...]] = []
    for document in documents:
        old_key_id = document.user_key_id
        filename = document.filename_sealed
        if filename is not None:
            filename = move.reseal(old_key_id, document.id, "filename", filename)
        title = move.reseal(old_key_id, document.id, "title", document.title_sealed)
        rows.append((document.id, old_key_id, move.target.id, title, filename))
    return Unit(len(documents), MOVE_DOCUMENT.write(db, rows))


def _reseal_shares(db: Session, move: _Move, batch: int) -> Unit:
    """A link's recipient and purpose move to the new key like a title."""
    shares = db.execute(
        select(Share.id, Share.user_key_id, Share.recipient_sealed, Share.purpose_sealed)
        .where(Share.user_key_id.in_(move.older))
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    rows: list[tuple[object, ...]] = []
    for share in shares:
        old_key_id = share.user_key_id
        recipient = move.reseal(old_key_id, share.id, "recipient", share.recipient_sealed)
        purpose = move.reseal(old_key_id, share.id, "purpose", share.purpose_sealed)
        rows.append((share.id, old_key_id, move.target.id, recipient, purpose))
    return Unit(len(shares), MOVE_SHARE.write(db, rows))


def finish_user_rotation(db: Session, rt: Runtime, target: UserKey) -> int:
    """Re-seal the person's own fields, then destroy every older version of their key, unless
    a row still needs one: returns how many rows do (none: the older versions are destroyed).

    The person's row is locked first, the lock under which a row naming one of their key
    versions is written (keychain.recording_key): the rows are counted once none can be
    written meanwhile, and a version is never destroyed while anything needs it."""
    person = db.get_one(Person, target.person_id, with_for_update=True)
    new_key_bytes = open_key(db, rt.master_keys, target)
    for field in PERSON_FIELDS:
        column = "totp_secret_sealed" if field == "totp" else f"{field}_sealed"
        sealed = getattr(person, column)
        if sealed is None:
            continue
        for _k, key in live_user_keys(db, rt.master_keys, person.id):
            try:
                text = open_field(key, person.id, person.id, field, sealed)
            except Exception:  # noqa: S112 - the next version may open it
                continue
            setattr(person, column, seal_field(new_key_bytes, person.id, person.id, field, text))
            break
    older = list(
        db.scalars(
            select(UserKey).where(
                UserKey.person_id == person.id,
                UserKey.version < target.version,
                UserKey.state != "destroyed",
            )
        )
    )
    left = rows_needing(db, [user_key.id for user_key in older])
    if left:
        return left
    for user_key in older:
        db.execute(delete(KeySlot).where(KeySlot.user_key_id == user_key.id))
        user_key.state = "destroyed"
    db.flush()
    return 0


def rows_needing(db: Session, user_key_ids: list[str]) -> int:
    """Papers, blobs and links whose sealed text or data key these key versions hold."""
    if not user_key_ids:
        return 0
    return sum(
        db.scalar(select(func.count()).where(model.user_key_id.in_(user_key_ids))) or 0
        for model in (Document, Blob, Share)
    )


@dataclass(frozen=True)
class UserRotation:
    """What rotating one person's key did: the rows moved to the new version, and those left
    on an older one, which is then kept (another job held them: a later run moves them)."""

    moved: int
    left: int


def rotate_user(
    rt: Runtime, person_id: str, batch: int, on_progress: Callable[[int], None]
) -> UserRotation:
    """Move the person's rows to a new version of their key, then destroy the older ones. A
    pass skips the rows another job holds (see rewrap_user_batch): while passes still move
    rows, another follows; once one moves none, the older versions those rows need are kept."""
    with transaction(rt.sessions) as db:
        target = start_user_rotation(db, rt, person_id)
    moved = 0
    while True:
        moved_now = _run(
            rt.sessions, lambda db: rewrap_user_batch(db, rt, target, batch), on_progress
        )
        moved += moved_now
        with transaction(rt.sessions) as db:
            left = finish_user_rotation(db, rt, db.get_one(UserKey, target.id))
        if not left or not moved_now:
            return UserRotation(moved, left)


# --- reencrypt ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reencryption:
    """What re-encrypting did: the blobs that now use a new object, and the ids of those that
    could not be read (their object missing or damaged, their key chain broken): left as they
    were, for `coffre keys verify` to name their papers."""

    done: int
    unreadable: list[str]


def reencrypt(
    rt: Runtime, login: str | None, batch: int, on_progress: Callable[[int], None]
) -> Reencryption:
    """New data keys and new objects for every blob (of one person, or everyone). A blob that
    cannot be read is passed over: one damaged paper does not stop the others' turn."""
    scope = login or "*"
    with transaction(rt.sessions) as db:
        job = _job(db, "reencrypt", scope, None)
        cutoff, job_id = job.started_at, job.id
        owners = None if login is None else people_for(db, login)
    done, unreadable = 0, set[str]()
    while True:
        with transaction(rt.sessions) as db:
            read, old_objects = _reencrypt_batch(db, rt, cutoff, owners, batch, unreadable)
        # The rows point at the new objects now that this is committed; the old objects go
        # next, and if that is interrupted the orphan sweeper finds them.
        for name in old_objects:
            rt.store.delete(name)
        if not read:
            break
        done += len(old_objects)
        on_progress(len(old_objects))
    with transaction(rt.sessions) as db:
        finish_job(db, job_id, done)
    return Reencryption(done, sorted(unreadable))


def _reencrypt_batch(
    db: Session,
    rt: Runtime,
    cutoff: datetime,
    owners: list[str] | None,
    batch: int,
    unreadable: set[str],
) -> tuple[int, list[str]]:
    """Re-encrypt up to `batch` blobs; returns how many were done, and the names of the objects
    that those switched to a new object no longer use. The new objects are named by no
    committed row until the batch commits, and the sweep (vault.sweeper) removes such objects
    once older than its grace period: past half of it, the batch ends early (slow transfers of
    big papers) and the blobs left are taken by the next one. A sweep is held off from before
    the first new object until the commit (hold_off_the_sweep): one that read the names before
    the commit would take a new object for an orphan. A blob that cannot be read is added to
    `unreadable`, which the next batches pass over."""
    hold_off_the_sweep(db)
    query = (
        select(Blob, Vault.owner_id)
        .join(Document, Document.id == Blob.document_id)
        .join(Vault, Vault.id == Document.vault_id)
        .where(Blob.created_at < cutoff)
        # In the order of the index on created_at: a switched blob is stamped now and leaves
        # the range, so no batch steps over the blobs done before it (see rewrap_master_batch).
        .order_by(Blob.created_at)
        .limit(batch)
        .with_for_update(skip_locked=True, of=Blob)
    )
    if owners is not None:
        query = query.where(Vault.owner_id.in_(owners))
    if unreadable:
        query = query.where(Blob.id.not_in(unreadable))
    rows = db.execute(query).all()
    began = utcnow()
    done, old_objects = 0, []
    for blob, owner_id in rows:
        done += 1
        try:
            if _reencrypt_one(db, rt, blob, owner_id):
                old_objects.append(blob.object_name)
        except (CryptoError, BlobNotFoundError):
            # Raised before this blob's row changed; a new object half-written is not kept.
            log.warning("blob %s cannot be read: not re-encrypted", blob.id)
            unreadable.add(blob.id)
        if unnamed_for_long(rt.settings, began):
            break
    return done, old_objects


def _reencrypt_one(db: Session, rt: Runtime, blob: Blob, owner_id: str) -> bool:
    """Whether the blob now uses a new object. Not when another job switched it in between:
    it keeps that job's object (which removes the old one), and the new one here is removed."""
    old_data_key, context = blob_decryption(db, rt, blob, owner_id)
    user_key_row = db.get_one(UserKey, blob.user_key_id)
    user_key = open_key(db, rt.master_keys, user_key_row)
    data_key = new_key()
    name = uuid.uuid4().hex
    digest = hashlib.sha256()

    def hashed(pieces: Iterator[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            digest.update(piece)
            yield piece

    plaintext = decrypt_blob(old_data_key, context, rt.store.get(blob.object_name))
    stored = rt.store.put(
        name, hashed(encrypt_blob(data_key, user_key_row.version, context, plaintext))
    )
    check = BlobContext(owner_id, blob.document_id, blob.id, blob.role)
    size = sum(len(p) for p in decrypt_blob(data_key, check, rt.store.get(name)))
    if size != blob.plain_size:
        rt.store.delete(name)
        raise ConflictError(f"re-encrypted blob {blob.id} does not read back whole")
    wrapped = wrap_data_key(
        user_key, data_key, owner_id, blob.document_id, blob.id, user_key_row.version
    )
    # One row at a time, unlike the rotations: only this row's own answer says which object
    # to keep, and each blob's transfers take far longer than its UPDATE.
    switched = db.connection().execute(
        update(Blob)
        .where(Blob.id == blob.id, Blob.object_name == blob.object_name)
        .values(
            object_name=name,
            wrapped_data_key=wrapped,
            stored_size=stored,
            stored_sha256=digest.hexdigest(),
            created_at=utcnow(),
        )
    )
    if switched.rowcount:
        return True
    rt.store.delete(name)
    return False
