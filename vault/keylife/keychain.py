"""Per-person user keys: created with the person, held in key slots wrapped by the master key."""

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from keys.errors import IntegrityError
from keys.hierarchy import new_user_key, open_field, open_user_key, seal_user_key
from keys.providers.base import MasterKeyProvider
from vault.models import KeySlot, UserKey

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
    user_key = db.scalars(
        select(UserKey)
        .where(UserKey.person_id == person_id, UserKey.state == "active")
        .order_by(UserKey.version.desc())
        .limit(1)
    ).one()
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
