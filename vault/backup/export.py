"""Write a backup: the database in one consistent read, then the blob store's objects, then the
keyring sealed under a passphrase, then the manifest that lists them all, and its seal."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic.migration import MigrationContext
from sqlalchemy import Connection, select

from keys.backup import MIN_PASSPHRASE, new_manifest_key, seal_backup, seal_manifest
from keys.providers.local import LocalKeyring
from storage.base import BlobNotFoundError, BlobStore
from vault.backup.manifest import (
    DATABASE,
    KEYRING,
    KEYRING_KMS,
    KEYRING_SEALED,
    MANIFEST,
    OBJECTS,
    SEAL,
    BackupError,
    FileSum,
    Manifest,
    create,
    object_path,
    seal_to_json,
    sum_of,
)
from vault.backup.rows import dump_table, tables
from vault.db import READ_ONLY
from vault.models import Blob, KeySlot, utcnow
from vault.runtime import Runtime


@dataclass(frozen=True)
class DatabaseExport:
    revision: str
    tables: dict[str, int]
    # The SHA-256 the database records for each object (vault.models.Blob.stored_sha256).
    recorded: dict[str, str]
    # The master key versions the user keys' slots are wrapped under.
    master_versions: set[int]


@dataclass(frozen=True)
class BackupReport:
    manifest: Manifest
    # Objects the database refers to that the store no longer held when they were copied:
    # erased by a sweep in between, or lost.
    missing_objects: list[str]


def write_backup(
    rt: Runtime,
    folder: Path,
    passphrase: str,
    *,
    copy_objects: bool = True,
    keyring_file: Path | None = None,
) -> BackupReport:
    """Write everything into `folder` (new or empty). The keyring goes to `keyring_file`
    (default: inside the folder, to be moved apart)."""
    keyring = rt.master_keys if isinstance(rt.master_keys, LocalKeyring) else None
    if keyring is not None and len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    _prepare(folder, keyring_file)
    with create(folder / DATABASE) as out:
        database = _export_database(rt, out.write)
    # Wrapped before the keyring is exported, so that the exported keyring holds its version.
    manifest_key = new_manifest_key(rt.master_keys)
    needed = database.master_versions | {manifest_key.master_version}
    # After the rows: a rotation started since then only adds versions. A retirement does not
    # wait for this backup, hence the check.
    sealed = _sealed(keyring, passphrase, needed) if keyring else None
    objects, total = _export_objects(rt.store, folder, database.recorded, copy_objects)
    files = {DATABASE: sum_of(folder / DATABASE), OBJECTS: sum_of(folder / OBJECTS)}
    if sealed is not None:
        keyring_path = keyring_file or folder / KEYRING
        with create(keyring_path) as out:
            out.write(sealed)
        files[KEYRING] = sum_of(keyring_path)
    manifest = Manifest(
        created_at=utcnow().isoformat(),
        revision=database.revision,
        dialect=rt.engine.dialect.name,
        tables=database.tables,
        objects=len(objects),
        object_bytes=total,
        objects_copied=copy_objects,
        keyring=KEYRING_KMS if sealed is None else KEYRING_SEALED,
        files=files,
    )
    content = manifest.to_json()
    with create(folder / MANIFEST) as out:
        out.write(content)
    with create(folder / SEAL) as out:
        out.write(seal_to_json(seal_manifest(manifest_key, content)))
    missing = sorted(set(database.recorded) - objects)
    return BackupReport(manifest, missing)


def _sealed(keyring: LocalKeyring, passphrase: str, needed: set[int]) -> bytes:
    document = keyring.export_document()
    lacking = needed - set(keyring.versions())
    if lacking:
        raise BackupError(
            f"master key versions {sorted(lacking)} were retired during the backup: run it again"
        )
    return seal_backup(document, passphrase)


def _prepare(folder: Path, keyring_file: Path | None) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} is not an empty folder")
    if keyring_file is not None and keyring_file.exists():
        raise BackupError(f"{keyring_file} already exists")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def _export_database(rt: Runtime, write: Callable[[bytes], object]) -> DatabaseExport:
    """Every table in one read transaction: a snapshot of SQLite in WAL mode, REPEATABLE READ
    on PostgreSQL, so the rows agree with each other while the app keeps writing."""
    options: dict[str, object] = {READ_ONLY: True}
    if rt.engine.dialect.name == "postgresql":
        options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    counts: dict[str, int] = {}
    with rt.engine.connect() as connection:
        connection.execution_options(**options)
        with connection.begin():
            revision = _revision(connection)
            for table in tables():
                counts[table.name] = 0
                for line in dump_table(connection, table):
                    write(line.encode() + b"\n")
                    counts[table.name] += 1
            recorded = dict(connection.execute(select(Blob.object_name, Blob.stored_sha256)).all())
            versions = connection.scalars(
                select(KeySlot.master_version).where(KeySlot.master_version.is_not(None)).distinct()
            ).all()
    return DatabaseExport(
        revision,
        counts,
        {str(k): str(v) for k, v in recorded.items()},
        {int(v) for v in versions if v is not None},
    )


def _revision(connection: Connection) -> str:
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        raise BackupError("the database has no schema yet: nothing to back up")
    return revision


def _export_objects(
    store: BlobStore,
    folder: Path,
    recorded: dict[str, str],
    copy_objects: bool,
) -> tuple[set[str], int]:
    """Every object the store lists, with its size and SHA-256: computed from the copy, or
    without copies the one the database records (none for an object no paper refers to)."""
    names: set[str] = set()
    total = 0
    with create(folder / OBJECTS) as listing:
        for info in store.list():
            try:
                digest = _copy(store, folder, info.name) if copy_objects else None
            except BlobNotFoundError:
                continue  # erased since it was listed: the database export no longer needs it
            if digest is not None and digest.size != info.size:
                raise BackupError(f"object {info.name} changed while it was copied")
            sha256 = digest.sha256 if digest else recorded.get(info.name)
            line = {"name": info.name, "size": info.size, "sha256": sha256}
            listing.write(json.dumps(line, sort_keys=True).encode() + b"\n")
            names.add(info.name)
            total += info.size
    return names, total


def _copy(store: BlobStore, folder: Path, name: str) -> FileSum:
    digest, size = hashlib.sha256(), 0
    path = object_path(folder, name)
    try:
        with create(path) as out:
            for piece in store.get(name):
                digest.update(piece)
                out.write(piece)
                size += len(piece)
    except BlobNotFoundError:
        path.unlink()
        raise
    return FileSum(size, digest.hexdigest())
