"""Rows as JSON lines, the same on SQLite and PostgreSQL: bytes in base64, timestamps in ISO 8601
with their zone, dates in ISO 8601; on the way back each value takes its column's type."""

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, DateTime, LargeBinary, Table, TypeDecorator, select
from sqlalchemy.types import TypeEngine

from vault.backup.manifest import BackupError
from vault.models import Base

BATCH = 1000


def tables() -> list[Table]:
    """Every table of the models, each after the tables it refers to."""
    return list(Base.metadata.sorted_tables)


def _encode(value: object) -> object:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise BackupError("a timestamp without its time zone cannot be saved")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decode(column_type: TypeEngine[Any], value: object) -> object:
    if value is None:
        return None
    kind = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
    if not isinstance(value, str):
        return value
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value, validate=True)
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    return value


def dump_table(connection: Connection, table: Table) -> Iterator[str]:
    """The table's rows as JSON lines, in the order of their primary key."""
    query = select(table).order_by(*table.primary_key.columns).execution_options(yield_per=BATCH)
    for row in connection.execute(query).mappings():
        line = {"table": table.name, "row": {key: _encode(value) for key, value in row.items()}}
        yield json.dumps(line, sort_keys=True, ensure_ascii=False)


def decode_line(line: str, known: Mapping[str, Table]) -> tuple[Table, dict[str, object]]:
    try:
        doc = json.loads(line)
        table = known[doc["table"]]
        return table, {
            name: _decode(table.columns[name].type, value) for name, value in doc["row"].items()
        }
    except (ValueError, TypeError, KeyError):
        raise BackupError(f"a line of the database export cannot be read: {line[:80]!r}") from None


def load_rows(connection: Connection, lines: Iterable[str]) -> dict[str, int]:
    """Insert the rows in their order, a batch at a time; the count per table."""
    known = {table.name: table for table in tables()}
    counts: dict[str, int] = {}
    batch: list[dict[str, object]] = []
    current: Table | None = None
    for line in lines:
        table, row = decode_line(line, known)
        if table is not current or len(batch) >= BATCH:
            _insert(connection, current, batch)
            batch, current = [], table
        batch.append(row)
        counts[table.name] = counts.get(table.name, 0) + 1
    _insert(connection, current, batch)
    return counts


def _insert(connection: Connection, table: Table | None, rows: list[dict[str, object]]) -> None:
    if table is not None and rows:
        connection.execute(table.insert(), rows)
