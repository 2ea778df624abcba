"""Key rotation jobs, each made of small units that commit on their own with a compare-and-set
on the old version: kill the process at any point, run the command again, and it finishes; two
processes on the same job never redo each other's units (rows are locked and skipped, and an
update only applies if the row still has the version it was read with).

- master: a new master key version becomes primary; every user-key slot is re-wrapped under it.
  No blob is read or written.
- user: a new user key version for a person; that person's data keys, titles and contact
  fields are re-wrapped or re-sealed under it; then the older versions are destroyed.
- reencrypt: fresh data keys; every blob is re-encrypted into a new object, checked, the row
  switched, and only then the old object removed.
"""

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

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
from vault.db import transaction
from vault.documents.service import blob_decryption
from vault.errors import ConflictError, NotFoundError
from vault.keychain import MASTER_SLOT, create_user_key, live_user_keys, open_key
from vault.models import Blob, Document, KeyJob, KeySlot, Person, Share, UserKey, Vault, utcnow
from vault.runtime import Runtime

PERSON_FIELDS = ("email", "phone", "totp")


@dataclass(frozen=True)
class JobProgress:
    done: int
    total: int


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
    step: Callable[[Session], int],
    on_progress: Callable[[int], None],
) -> int:
    """Run `step` in its own transaction until it finds nothing left to do."""
    total = 0
    while True:
        with transaction(sessions) as db:
            done = step(db)
        if not done:
            return total
        total += done
        on_progress(done)


# --- master ---------------------------------------------------------------------------------


def _serialise_job_start(db: Session) -> None:
    """Two `rotate-master` started at once must agree on one new version. SQLite already runs
    one writing transaction at a time; PostgreSQL takes a transaction-scoped advisory lock."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(733101)"))


def master_slots_behind(db: Session, target: int) -> int:
    query = select(func.count()).where(
        KeySlot.kind == MASTER_SLOT, KeySlot.master_version != target
    )
    return db.scalar(query) or 0


def start_master_rotation(rt: Runtime) -> tuple[int, int]:
    """(target version, slots to re-wrap). A new version is made only when no earlier rotation
    is left unfinished, so running the command again resumes rather than starting over."""
    with transaction(rt.sessions) as db:
        _serialise_job_start(db)
        primary = rt.master_keys.primary_version()
        job = db.scalar(
            select(KeyJob).where(KeyJob.kind == "master", KeyJob.finished_at.is_(None)).limit(1)
        )
        if job is None:
            primary = rt.master_keys.add_version()
            _job(db, "master", "", primary)
        return primary, master_slots_behind(db, primary)


def rewrap_master_batch(db: Session, rt: Runtime, target: int, batch: int) -> int:
    # The updates skip matching the session's objects (synchronize_session=False): nothing
    # reads them again in the unit, and matching costs O(batch) per update.
    rows = db.execute(
        select(KeySlot, UserKey.person_id, UserKey.version)
        .join(UserKey, UserKey.id == KeySlot.user_key_id)
        .where(KeySlot.kind == MASTER_SLOT, KeySlot.master_version != target)
        .limit(batch)
        .with_for_update(skip_locked=True, of=KeySlot)
    ).all()
    for slot, person_id, version in rows:
        old_version = slot.master_version or 0
        key = open_user_key(rt.master_keys, person_id, version, old_version, slot.wrapped_key)
        new_version, wrapped = seal_user_key(rt.master_keys, person_id, version, key)
        db.execute(
            update(KeySlot)
            .where(KeySlot.id == slot.id, KeySlot.master_version == old_version)
            .values(master_version=new_version, wrapped_key=wrapped)
            .execution_options(synchronize_session=False)
        )
    return len(rows)


def rotate_master(rt: Runtime, batch: int, on_progress: Callable[[int], None]) -> int:
    target, _behind = start_master_rotation(rt)
    done = _run(rt.sessions, lambda db: rewrap_master_batch(db, rt, target, batch), on_progress)
    with transaction(rt.sessions) as db:
        if master_slots_behind(db, target) == 0:
            job = _job(db, "master", "", target)
            _count(db, job.id, done)
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


def rewrap_user_batch(db: Session, rt: Runtime, target: UserKey, batch: int) -> int:
    """Move up to `batch` data keys and document texts of the person to `target`."""
    person_id = target.person_id
    new_key_bytes = open_key(db, rt.master_keys, target)
    keys = {k.id: (k, key) for k, key in live_user_keys(db, rt.master_keys, person_id)}
    blobs = db.scalars(
        select(Blob)
        .join(Document, Document.id == Blob.document_id)
        .join(Vault, Vault.id == Document.vault_id)
        .where(Vault.owner_id == person_id, Blob.user_key_id != target.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=Blob)
    ).all()
    for blob in blobs:
        old, old_key = keys[blob.user_key_id]
        data_key = unwrap_data_key(
            old_key, blob.wrapped_data_key, person_id, blob.document_id, blob.id, old.version
        )
        wrapped = wrap_data_key(
            new_key_bytes, data_key, person_id, blob.document_id, blob.id, target.version
        )
        db.execute(
            update(Blob)
            .where(Blob.id == blob.id, Blob.user_key_id == old.id)
            .values(user_key_id=target.id, wrapped_data_key=wrapped)
            .execution_options(synchronize_session=False)
        )
    documents = db.scalars(
        select(Document)
        .join(Vault, Vault.id == Document.vault_id)
        .where(Vault.owner_id == person_id, Document.user_key_id != target.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=Document)
    ).all()
    for document in documents:
        _old, old_key = keys[document.user_key_id]
        values: dict[str, object] = {"user_key_id": target.id}
        for field in ("title", "filename"):
            sealed = getattr(document, f"{field}_sealed")
            if sealed is not None:
                text = open_field(old_key, person_id, document.id, field, sealed)
                values[f"{field}_sealed"] = seal_field(
                    new_key_bytes, person_id, document.id, field, text
                )
        db.execute(
            update(Document)
            .where(Document.id == document.id, Document.user_key_id == document.user_key_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return len(blobs) + len(documents) + _reseal_shares(db, person_id, keys, target, batch)


def _reseal_shares(
    db: Session,
    person_id: str,
    keys: dict[str, tuple[UserKey, bytes]],
    target: UserKey,
    batch: int,
) -> int:
    """A link's recipient and purpose move to the new key like a title."""
    new_key_bytes = keys[target.id][1]
    shares = db.scalars(
        select(Share)
        .join(Document, Document.id == Share.document_id)
        .join(Vault, Vault.id == Document.vault_id)
        .where(Vault.owner_id == person_id, Share.user_key_id != target.id)
        .limit(batch)
        .with_for_update(skip_locked=True, of=Share)
    ).all()
    for share in shares:
        _old, old_key = keys[share.user_key_id]
        values: dict[str, object] = {"user_key_id": target.id}
        for field in ("recipient", "purpose"):
            text = open_field(
                old_key, person_id, share.id, field, getattr(share, f"{field}_sealed")
            )
            values[f"{field}_sealed"] = seal_field(new_key_bytes, person_id, share.id, field, text)
        db.execute(
            update(Share)
            .where(Share.id == share.id, Share.user_key_id == share.user_key_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return len(shares)


def finish_user_rotation(db: Session, rt: Runtime, target: UserKey) -> None:
    """Re-seal the person's own fields, then destroy every older version of their key."""
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
    for user_key in older:
        db.execute(delete(KeySlot).where(KeySlot.user_key_id == user_key.id))
        user_key.state = "destroyed"
    db.flush()


def rotate_user(rt: Runtime, person_id: str, batch: int, on_progress: Callable[[int], None]) -> int:
    with transaction(rt.sessions) as db:
        target = start_user_rotation(db, rt, person_id)
    done = _run(rt.sessions, lambda db: rewrap_user_batch(db, rt, target, batch), on_progress)
    with transaction(rt.sessions) as db:
        finish_user_rotation(db, rt, db.get_one(UserKey, target.id))
    return done


# --- reencrypt ------------------------------------------------------------------------------


def reencrypt(
    rt: Runtime, login: str | None, batch: int, on_progress: Callable[[int], None]
) -> int:
    """New data keys and new objects for every blob (of one person, or everyone)."""
    scope = login or "*"
    with transaction(rt.sessions) as db:
        job = _job(db, "reencrypt", scope, None)
        cutoff, job_id = job.started_at, job.id
        owners = None if login is None else people_for(db, login)
    done = 0
    while True:
        with transaction(rt.sessions) as db:
            old_objects = _reencrypt_batch(db, rt, cutoff, owners, batch)
        # The rows point at the new objects now that this is committed; the old objects go
        # next, and if that is interrupted the orphan sweeper finds them.
        for name in old_objects:
            rt.store.delete(name)
        if not old_objects:
            break
        done += len(old_objects)
        on_progress(len(old_objects))
    with transaction(rt.sessions) as db:
        _count(db, job_id, done)
        _finish(db, job_id)
    return done


def _reencrypt_batch(
    db: Session, rt: Runtime, cutoff: datetime, owners: list[str] | None, batch: int
) -> list[str]:
    """Re-encrypt up to `batch` blobs; returns the names of the objects they no longer use."""
    query = (
        select(Blob, Vault.owner_id)
        .join(Document, Document.id == Blob.document_id)
        .join(Vault, Vault.id == Document.vault_id)
        .where(Blob.created_at < cutoff)
        .limit(batch)
        .with_for_update(skip_locked=True, of=Blob)
    )
    if owners is not None:
        query = query.where(Vault.owner_id.in_(owners))
    old_objects = []
    for blob, owner_id in db.execute(query).all():
        old_objects.append(blob.object_name)
        _reencrypt_one(db, rt, blob, owner_id)
    return old_objects


def _reencrypt_one(db: Session, rt: Runtime, blob: Blob, owner_id: str) -> None:
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
    db.execute(
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
