"""Builds the Runtime from the settings: opens the database, the blob store and the master keys
(the only place in vault/ that makes boto3 clients; tests/unit/test_layers.py checks it).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import boto3
from sqlalchemy import Engine, select
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError

from keys.errors import CryptoError
from keys.providers.base import MasterKeyProvider
from keys.providers.kms import KmsKeyring
from keys.providers.local import LocalKeyring
from storage.base import BlobStoreError
from storage.factory import S3Patience, open_store
from vault.accounts.passwords import limit_concurrent_hashes, use_hash_profile
from vault.backup.unfinished import UNFINISHED, restore_unfinished
from vault.config import MiB, Settings
from vault.db import make_engine, make_reader_factory, make_session_factory
from vault.documents.warm_workers import WORKERS
from vault.errors import CannotStart
from vault.models import UserKey
from vault.production import findings
from vault.right_place import keyring_opens_the_keys, store_holds_the_papers
from vault.runtime import Runtime
from vault.schema import ready_schema
from vault.wall_clock import use_timezone

# Where the versions of a KMS keyring were listed before they lived in the KMS itself.
LEGACY_KMS_STATE = "kms-keys.json"


def keyring_path(url: str) -> Path:
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise ValueError("COFFRE_KEYRING must be a file:///path URL")
    return Path(unquote(parsed.path))


def open_keyring(url: str, data_dir: Path, create: bool = True) -> MasterKeyProvider:
    """file:///path/keyring.json, or kms://KEY_ID?endpoint_url=...&region=... (the versions of a
    KMS keyring are aliases in the KMS; credentials the usual AWS way). An older install's
    <data dir>/kms-keys.json is carried over to those aliases the first time. `create`: a
    keyring not found is made (its first version), else an error."""
    parsed = urlparse(url)
    if parsed.scheme == "kms":
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        client = boto3.client(
            "kms", endpoint_url=options.get("endpoint_url"), region_name=options.get("region")
        )
        return KmsKeyring.open(
            client,
            unquote(parsed.netloc + parsed.path),
            data_dir / LEGACY_KMS_STATE,
            create=create,
        )
    return LocalKeyring.open(keyring_path(url), create=create)


def holds_keys(engine: Engine) -> bool:
    """Whether the database holds keys a keyring wrapped: past its first start, a keyring not
    found (a folder not mounted, a file moved, another COFFRE_KEYRING or KMS key for one run)
    is an error, never made again. A new one would open nothing of what is there, and the
    accounts made meanwhile would get keys the real one cannot open."""
    with engine.connect() as connection:
        return connection.scalar(select(UserKey.id).limit(1)) is not None


def keyring_in_place(url: str) -> None:
    """A local keyring file, once the database holds keys (holds_keys): its own message."""
    if urlparse(url).scheme != "file" or keyring_path(url).exists():
        return
    raise CannotStart(
        [
            f"the keyring {keyring_path(url)} is missing, but the database holds keys it "
            "wrapped: put that file back (`coffre keys import` restores it from its backup); "
            "coffre makes a new keyring only for a database without keys"
        ]
    )


@contextmanager
def as_refusal() -> Iterator[None]:
    """What stops a process from starting (a URL mistyped, a keyring others may read, a
    database not there, a folder that cannot be made) as CannotStart: one line for the
    operator, not a traceback."""
    try:
        yield
    except (OperationalError, InterfaceError, ArgumentError) as exc:
        # Reaching or naming the database; a migration's own failure keeps its traceback.
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise CannotStart([f"the database (COFFRE_DATABASE_URL): {cause}"]) from exc
    except CryptoError as exc:
        raise CannotStart([f"the keyring (COFFRE_KEYRING): {exc}"]) from exc
    except BlobStoreError as exc:
        raise CannotStart([f"the blob store (COFFRE_STORAGE_URL): {exc}"]) from exc
    except (ValueError, OSError) as exc:
        raise CannotStart([str(exc)]) from exc


def build_runtime(settings: Settings) -> Runtime:
    """Raises CannotStart in production on unfit settings, on a schema other than the code's
    newest (the embedded default brings an older one up to date itself), and on what
    `as_refusal` turns into one line."""
    with as_refusal():
        return _built(settings)


def _built(settings: Settings) -> Runtime:
    if settings.env == "production" and (problems := findings(settings)):
        raise CannotStart(problems)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    limit_concurrent_hashes(settings.max_concurrent_hashes, settings.max_waiting_hashes)
    use_hash_profile(settings.argon2_profile)
    use_timezone(settings.timezone)
    WORKERS.keep(settings.warm_workers)
    engine = make_engine(settings.resolved_database_url())
    try:
        if restore_unfinished(engine):
            raise CannotStart([UNFINISHED])
        # The embedded default (SQLite) upgrades itself: one machine, one process writing.
        ready_schema(engine, upgrade_itself=engine.dialect.name == "sqlite")
        first_start = not holds_keys(engine)
        if not first_start:
            keyring_in_place(settings.resolved_keyring())
        store = open_store(
            settings.resolved_storage_url(),
            part_size=settings.s3_part_mib * MiB,
            parts_in_flight=settings.s3_parts_in_flight,
            patience=S3Patience(
                connect_seconds=settings.s3_connect_timeout_seconds,
                read_seconds=settings.s3_read_timeout_seconds,
                attempts=settings.s3_attempts,
            ),
        )
        master_keys = open_keyring(
            settings.resolved_keyring(), settings.data_dir, create=first_start
        )
        if not first_start:
            keyring_opens_the_keys(engine, master_keys, settings.resolved_keyring())
            store_holds_the_papers(engine, store, settings.resolved_storage_url())
    except BaseException:
        engine.dispose()
        raise
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        readers=make_reader_factory(engine),
        store=store,
        master_keys=master_keys,
    )
