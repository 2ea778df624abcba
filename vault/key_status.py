"""What `coffre keys status` shows: key versions in use at each level, with counts."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from keys.providers.base import MasterKeyProvider
from vault.models import Blob, KeySlot, UserKey


@dataclass(frozen=True)
class KeyStatus:
    master_primary: int
    master_versions: list[int]
    slots_by_master_version: dict[Any, int]
    user_keys_by_version: dict[Any, int]
    user_keys_by_state: dict[Any, int]
    data_keys_by_format: dict[Any, int]


def _count_by(
    db: Session, column: InstrumentedAttribute[Any], *where: ColumnElement[bool]
) -> dict[Any, int]:
    query = select(column, func.count()).where(*where).group_by(column).order_by(column)
    return {key: count for key, count in db.execute(query)}


def key_status(db: Session, master_keys: MasterKeyProvider) -> KeyStatus:
    return KeyStatus(
        master_primary=master_keys.primary_version(),
        master_versions=sorted(master_keys.versions()),
        slots_by_master_version=_count_by(db, KeySlot.master_version, KeySlot.kind == "master"),
        user_keys_by_version=_count_by(db, UserKey.version),
        user_keys_by_state=_count_by(db, UserKey.state),
        data_keys_by_format=_count_by(db, Blob.format_version),
    )
