"""Restore a backup into an empty instance: check every file against the manifest, refuse a
database, store or keyring that holds anything and the settings production refuses, check the
manifest's seal with the backup's master keys, and only then write: the schema at the backup's
revision, the rows (with the mark of a restore under way: vault.backup.unfinished), the
objects, the keyring; then bring the schema to the code's, take the mark away, and check that
every paper opens and that the journal's chain holds."""

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, inspect, literal, select
from sqlalchemy.exc import SQLAlchemyError

from keys.backup import ManifestSeal, check_manifest_seal, open_backup
from keys.errors import CryptoError
from keys.providers.local import LocalKeyring
from storage.base import BlobStore, BlobStoreError
from storage.factory import open_store
from vault.audit.journal import verify_chain
from vault.backup.manifest import (
    DATABASE,
    KEYRING,
    KEYRING_SEALED,
    MANIFEST,
    OBJECTS,
    SEAL,
    UNSEALED_FORMAT,
    BackupError,
    FileSum,
    Manifest,
    chunks_of,
    mismatch,
    object_path,
    seal_from_json,
)
from vault.backup.rows import load_rows, tables
from vault.backup.unfinished import (
    RESTORE_UNFINISHED,
    UNFINISHED,
    mark_restore_finished,
    mark_restore_unfinished,
)
from vault.config import Settings
from vault.db import make_engine, migrate, transaction
from vault.keylife.integrity import verify_papers
from vault.production import findings
from vault.wiring import build_runtime, keyring_path, open_keyring

PARTIAL = (
    "The instance holds part of the backup: empty its database, its blob store and its "
    "keyring path, then run the restore again"
)


class RestoreStoppedError(BackupError):
    """Writing had begun when the restore failed: the instance holds part of the backup."""


@dataclass(frozen=True)
class Listed:
    name: str
    size: int
    sha256: str | None


@dataclass(frozen=True)
class ReadBackup:
    manifest: Manifest
    # The manifest's exact bytes: what its seal covers.
    content: bytes
    # None for a manifest written before they were sealed, restored on the operator's word.
    seal: ManifestSeal | None
    listing: list[Listed]


@dataclass
class RestoreReport:
    tables: dict[str, int]
    objects: int
    papers: int = 0
    journal_entries: int = 0
    # Each a line for the operator, with ids only.
    problems: list[str] = field(default_factory=list)


def read_backup(
    folder: Path, keyring_file: Path | None = None, trust_unsealed: bool = False
) -> ReadBackup:
    """The manifest, its seal and the objects' listing, once every file matches its checksum.
    The seal is checked later, with the master keys."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{manifest_path} is missing: this is not a coffre backup folder")
    content = manifest_path.read_bytes()
    manifest = Manifest.from_json(content)
    seal = _seal_of(folder, manifest, trust_unsealed)
    paths = {DATABASE: folder / DATABASE, OBJECTS: folder / OBJECTS}
    if manifest.keyring == KEYRING_SEALED:
        paths[KEYRING] = keyring_file or folder / KEYRING
    problems = [
        problem
        for name, path in paths.items()
        if (problem := _mismatch_listed(manifest, name, path)) is not None
    ]
    if problems:
        raise BackupError("; ".join(problems))
    listing = list(_listing(folder / OBJECTS))
    if manifest.objects_copied:
        problems = [
            problem for item in listing if (problem := _object_mismatch(folder, item)) is not None
        ]
    if problems:
        raise BackupError("; ".join(problems[:5]) + _more(len(problems) - 5))
    return ReadBackup(manifest, content, seal, listing)


def _seal_of(folder: Path, manifest: Manifest, trust_unsealed: bool) -> ManifestSeal | None:
    if manifest.format == UNSEALED_FORMAT:
        if trust_unsealed:
            return None
        raise BackupError(
            f"{MANIFEST} was written by an older coffre and has no seal: nothing shows that the "
            "files are the ones the backup wrote. If this folder never left your hands, run the "
            "restore again with --trust-unsealed"
        )
    path = folder / SEAL
    if not path.is_file():
        raise BackupError(f"{path} is missing: the manifest cannot be checked")
    return seal_from_json(path.read_bytes())


def _mismatch_listed(manifest: Manifest, name: str, path: Path) -> str | None:
    expected = manifest.files.get(name)
    if expected is None:
        return f"{MANIFEST} does not list {name}"
    return mismatch(path, expected)


def _object_mismatch(folder: Path, item: Listed) -> str | None:
    if item.sha256 is None:
        return f"object {item.name} has no checksum"
    return mismatch(object_path(folder, item.name), FileSum(item.size, item.sha256))


def _more(count: int) -> str:
    return f" (and {count} more)" if count > 0 else ""


def _listing(path: Path) -> Iterator[Listed]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                doc = json.loads(line)
                yield Listed(str(doc["name"]), int(doc["size"]), doc["sha256"])
            except (ValueError, TypeError, KeyError):
                raise BackupError(f"a line of {OBJECTS} cannot be read") from None


def restore_backup(
    settings: Settings,
    folder: Path,
    passphrase: Callable[[], str],
    keyring_file: Path | None = None,
    trust_unsealed: bool = False,
) -> RestoreReport:
    """`passphrase` is asked only once the folder and the instance passed every check that does
    not need the master keys."""
    backup = read_backup(folder, keyring_file, trust_unsealed)
    manifest, listing = backup.manifest, backup.listing
    _check_revision_known(manifest.revision)
    fresh = not settings.data_dir.exists()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.resolved_database_url())
    writing = False
    try:
        store = open_store(settings.resolved_storage_url())
        # Those every command refuses to start with: the restored instance would open only
        # for its check, and not even for that.
        refusals = _production_refusals(settings)
        refusals += _database_refusals(engine, manifest.revision)
        refusals += _store_refusals(store, manifest, listing)
        refusals += _keyring_refusals(settings, manifest)
        if refusals:
            raise BackupError("; ".join(refusals))
        keyring = _opened_keyring(manifest, keyring_file or folder / KEYRING, passphrase)
        if backup.seal is not None:
            _check_seal(settings, backup.seal, backup.content, keyring)
        writing = True
        try:
            counts = _write(settings, engine, store, folder, backup, keyring)
        except (BlobStoreError, CryptoError, OSError, SQLAlchemyError) as exc:
            raise RestoreStoppedError(f"{_why(exc)}. {PARTIAL}") from exc
    finally:
        engine.dispose()
        if fresh and not writing:
            # Opening the instance to check it made its empty database file and blob folder:
            # a refusal leaves no trace of them.
            shutil.rmtree(settings.data_dir, ignore_errors=True)
    report = RestoreReport(counts, len(listing))
    _check(settings, store, listing, report)
    return report


def _write(
    settings: Settings,
    engine: Engine,
    store: BlobStore,
    folder: Path,
    backup: ReadBackup,
    keyring: bytes | None,
) -> dict[str, int]:
    """The schema at the backup's revision, the rows, the objects, the keyring, then the schema
    at the code's revision; the rows per table."""
    migrate(engine, backup.manifest.revision)
    with engine.begin() as connection, (folder / DATABASE).open(encoding="utf-8") as lines:
        mark_restore_unfinished(connection)
        counts = load_rows(connection, lines)
    if backup.manifest.objects_copied:
        for item in backup.listing:
            store.put(item.name, chunks_of(object_path(folder, item.name)))
    if keyring is not None:
        LocalKeyring.restore(keyring_path(settings.resolved_keyring()), keyring)
    migrate(engine)
    mark_restore_finished(engine)
    return counts


def _why(exc: Exception) -> str:
    """The failure in one line. A database error's message quotes the rows it was given
    (password hashes, wrapped keys): its kind only."""
    if isinstance(exc, SQLAlchemyError):
        return f"the database failed ({type(getattr(exc, 'orig', None) or exc).__name__})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def _check_revision_known(revision: str) -> None:
    scripts = ScriptDirectory(str(files("vault") / "migrations"))
    try:
        scripts.get_revision(revision)
    except CommandError:
        raise BackupError(
            f"the backup's schema revision {revision} is unknown to this version of coffre: "
            "restore it with the version that wrote it, or a newer one"
        ) from None


def _production_refusals(settings: Settings) -> list[str]:
    return findings(settings) if settings.env == "production" else []


def _database_refusals(engine: Engine, revision: str) -> list[str]:
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        present = set(inspect(connection).get_table_names())
        filled = [
            table.name
            for table in tables()
            if table.name in present
            and connection.execute(select(literal(1)).select_from(table).limit(1)).first()
        ]
    refusals = [UNFINISHED] if RESTORE_UNFINISHED in present else []
    if filled:
        refusals.append(f"the database is not empty (rows in {', '.join(filled)})")
    if current not in (None, revision):
        refusals.append(
            f"the database's schema is at revision {current} and the backup's at {revision}: "
            "restore into a database without schema"
        )
    return refusals


def _store_refusals(store: BlobStore, manifest: Manifest, listing: list[Listed]) -> list[str]:
    if manifest.objects_copied:
        return ["the blob store is not empty"] if next(iter(store.list()), None) else []
    # A backup made without the objects goes with a store that kept them itself (the S3
    # cluster's replication or versioning): that store must hold every one of them, or the
    # restored papers would have no file (a bucket mistyped, another site's replica).
    stored = {info.name: info.size for info in store.list()}
    missing = [item.name for item in listing if stored.get(item.name) != item.size]
    if not missing:
        return []
    return [
        f"the blob store lacks {len(missing)} of the backup's {len(listing)} objects, or holds "
        f"them at another size (first: {missing[0]}): a backup made without its objects is "
        "restored onto the store that kept them (COFFRE_STORAGE_URL)"
    ]


def _keyring_refusals(settings: Settings, manifest: Manifest) -> list[str]:
    url = settings.resolved_keyring()
    if manifest.keyring != KEYRING_SEALED:
        if not url.startswith("kms://"):
            return ["the backup's master keys are in a KMS: set COFFRE_KEYRING to that key"]
        return []
    if not url.startswith("file://"):
        return ["the backup holds a keyring file: set COFFRE_KEYRING to a file:/// path"]
    if keyring_path(url).exists():
        return [f"a keyring already exists at {keyring_path(url)}"]
    return []


def _opened_keyring(
    manifest: Manifest, sealed: Path, passphrase: Callable[[], str]
) -> bytes | None:
    if manifest.keyring != KEYRING_SEALED:
        return None
    try:
        return open_backup(sealed.read_bytes(), passphrase())
    except CryptoError as exc:
        raise BackupError(str(exc)) from None


def _check_seal(
    settings: Settings, seal: ManifestSeal, content: bytes, keyring: bytes | None
) -> None:
    """With the backup's own keyring, still in memory, or with the KMS key it names."""
    url = settings.resolved_keyring()
    try:
        master_keys = (
            LocalKeyring.unsaved(keyring_path(url), keyring)
            if keyring is not None
            else open_keyring(url, settings.data_dir)
        )
        check_manifest_seal(master_keys, seal, content)
    except CryptoError as exc:
        raise BackupError(str(exc)) from None


def _check(
    settings: Settings, store: BlobStore, listing: list[Listed], report: RestoreReport
) -> None:
    """What `coffre keys verify`, `coffre audit verify` and a look at the store would say."""
    stored = {info.name: info.size for info in store.list()}
    for item in listing:
        if stored.get(item.name) != item.size:
            report.problems.append(f"object {item.name} is missing or of another size")
    rt = build_runtime(settings)
    try:
        with transaction(rt.sessions) as db:
            for check in verify_papers(db, rt):
                report.papers += 1
                report.problems += [
                    f"document {failure.document_id}: {failure.problem}"
                    for failure in check.failures
                ]
            chain = verify_chain(db)
        report.journal_entries = chain.entries
        report.problems += [f"journal: {problem}" for problem in chain.problems]
    finally:
        rt.engine.dispose()
