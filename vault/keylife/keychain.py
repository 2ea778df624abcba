"""Per-person user keys: created with the person, held in key slots wrapped by the master key."""

from collections.abc import Iterator

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from keys.errors import IntegrityError
from keys.hierarchy import new_user_key, open_field, open_user_key, seal_user_key
from keys.providers.base import MasterKeyProvider
from vault.errors import N_, EndedMeanwhileError
from vault.models import KeySlot, Person, UserKey

CLOSED = N_("Ce compte est fermé.")

MASTER_SLOT = "master"


def create_user_key(db: Session, master_keys: MasterKeyProvider, person_id: str) -> UserKey:
    """Give a person their first (or next) user key, wrapped in a master-key slot."""
    latest = db.scalar(
        select(UserKey.version)
        .where(UserKey.person_id == person_id)
        .order_by(UserKey.version.desc())
        .limit(1)
    )
    version = (latest or 0) + 1
    key = new_user_key()
    user_key = UserKey(person_id=person_id, version=version, state="active")
    db.add(user_key)
    db.flush()
    master_version, wrapped = seal_user_key(master_keys, person_id, version, key)
    db.add(
        KeySlot(
            user_key_id=user_key.id,
            kind=MASTER_SLOT,
            master_version=master_version,
            wrapped_key=wrapped,
        )
    )
    db.flush()
    return user_key


def active_user_key(
    db: Session, master_keys: MasterKeyProvider, person_id: str
) -> tuple[UserKey, bytes]:
    """The key new data keys are wrapped with: the person's newest active version."""
    user_key = _newest(db, person_id)
    return user_key, open_key(db, master_keys, user_key)


def _newest(db: Session, person_id: str) -> UserKey:
    return db.scalars(_active_versions(person_id).limit(1)).one()


def _active_versions(person_id: str) -> Select[UserKey]:
    return (
        select(UserKey)
        .where(UserKey.person_id == person_id, UserKey.state == "active")
        .order_by(UserKey.version.desc())
    )


def recording_version(db: Session, person_id: str) -> UserKey:
    """The version for what is written now (a row that names it, a sealed field): the person's
    newest active one, read under a lock on their row held until the transaction ends.
    finish_user_rotation takes that lock before counting the rows older versions still have:
    what is written here is either counted there or written under the new version, so no row
    is ever committed naming a destroyed version. (SQLite has no row locks: its transactions
    take the write lock at their start, see vault.db.)"""
    # FOR NO KEY UPDATE: the rotation's FOR UPDATE waits for it, rows that only refer to the
    # person (the journal, a new paper's uploader) do not. The version is read by a statement
    # of its own, after the lock: on PostgreSQL it sees what a rotation committed meanwhile.
    db.execute(select(Person.id).where(Person.id == person_id).with_for_update(key_share=True))
    newest = db.scalars(_active_versions(person_id).limit(1)).first()
    if newest is None:
        raise EndedMeanwhileError(CLOSED)  # the account was closed: its keys are destroyed
    return newest


def recording_key(
    db: Session, master_keys: MasterKeyProvider, person_id: str
) -> tuple[UserKey, bytes]:
    """recording_version, opened."""
    user_key = recording_version(db, person_id)
    return user_key, open_key(db, master_keys, user_key)


def open_key(db: Session, master_keys: MasterKeyProvider, user_key: UserKey) -> bytes:
    slot = db.execute(
        select(KeySlot.master_version, KeySlot.wrapped_key).where(
            KeySlot.user_key_id == user_key.id,
            KeySlot.kind == MASTER_SLOT,
            KeySlot.master_version.is_not(None),
        )
    ).one()
    return open_user_key(
        master_keys, user_key.person_id, user_key.version, slot.master_version, slot.wrapped_key
    )


def live_user_keys(
    db: Session, master_keys: MasterKeyProvider, person_id: str
) -> Iterator[tuple[UserKey, bytes]]:
    """The person's user keys that can still be opened, newest first."""
    rows = db.scalars(
        select(UserKey)
        .where(UserKey.person_id == person_id, UserKey.state != "destroyed")
        .order_by(UserKey.version.desc())
    )
    for user_key in rows:
        yield user_key, open_key(db, master_keys, user_key)


def open_person_field(
    db: Session, master_keys: MasterKeyProvider, person_id: str, field: str, sealed: bytes
) -> str:
    """Open a field sealed about a person (contact, second-factor secret). During a rotation of
    their user key it may still be sealed under the previous version."""
    for _user_key, key in live_user_keys(db, master_keys, person_id):
        try:
            return open_field(key, person_id, person_id, field, sealed)
        except IntegrityError:
            continue
    raise IntegrityError("no user key of this person opens the field")
