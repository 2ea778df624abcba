"""Database engine, sessions and migrations.

Services take a Session and never commit: the request (or the CLI command) owns the transaction.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, Executable, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from vault.errors import VaultError

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    # Timestamps are stored with their zone, but a PostgreSQL session reads them (and
    # `date()` cuts days) in its own time zone: UTC, as on SQLite, whatever the server says.
    return create_engine(url, pool_pre_ping=True, connect_args={"options": "-c timezone=utc"})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, starts transactions (see _begin_immediate).
    dbapi_connection.isolation_level = None
    # WAL + synchronous=FULL: a committed row survives a crash; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    # Take the write lock at the start: a transaction that reads then writes (the journal's
    # chain, the sign-in counters) would otherwise fail with "database is locked" when another
    # one wrote in between. One that only reads takes no lock: in WAL mode it reads a snapshot
    # while a writer works.
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


READ_ONLY = "coffre_read_only"


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_reader_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read (e.g. before a password hash): no write lock on SQLite, a READ
    ONLY transaction on PostgreSQL (where a write fails)."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return sessionmaker(engine.execution_options(**options), expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit if the block succeeds, roll back if it raises."""
    with factory() as session, session.begin():
        yield session


def rows_for_stored(
    factory: sessionmaker[Session], write: Callable[[Session], T], discard: Callable[[], None]
) -> T:
    """Write, in one transaction, the rows that name an object already stored; `discard`
    removes that object when the rows are certainly not kept: anything that fails before the
    commit. A commit that fails may have been made all the same (its answer lost with the
    connection to PostgreSQL): the object then stays, for the sweep of objects that no
    committed row names (vault.sweeper) to judge after its grace period. A refusal keeps what
    it must (VaultError.keeps_writes: the journal line of an access refused), raised by `write`
    before any row naming the object."""
    with factory() as session:
        try:
            result = write(session)
            session.flush()
        except VaultError as exc:
            if exc.keeps_writes:
                session.commit()
            else:
                session.rollback()
            discard()
            raise
        except BaseException:
            session.rollback()
            discard()
            raise
        session.commit()
        return result


_KEPT = "statements kept after a rollback"


def keep_after_rollback(session: Session, statement: Executable) -> None:
    """`statement`, already run in this session, is run again after a rollback of its work
    (replay_kept): what must stay whatever the request comes to, as a code of an app once
    spent. It must give the same result when run twice."""
    session.info.setdefault(_KEPT, []).append(statement)


@event.listens_for(Session, "after_commit")
def _forget_kept(session: Session) -> None:
    # Committed: nothing of it is to be written again after a later rollback.
    session.info.pop(_KEPT, None)


def replay_kept(session: Session) -> bool:
    """Run again what keep_after_rollback kept, after a rollback; whether there was any."""
    kept: list[Executable] = session.info.get(_KEPT, [])
    for statement in kept:
        session.execute(statement)
    return bool(kept)


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to `revision` (the newest by default); the revision it was at (None:
    no schema), read under the lock that keeps a second upgrade from running at once."""
    return _run_migrations(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to an older revision (tests of every migration use it)."""
    _run_migrations(engine, lambda config: command.downgrade(config, revision))


def migrations_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("vault") / "migrations"))
    return config


# Any number, the same in every process: the key of PostgreSQL's lock for migrating.
MIGRATION_LOCK = 0x636F66667265  # "coffre"


def _run_migrations(engine: Engine, step: Callable[[Config], None]) -> str | None:
    config = migrations_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table by rebuilding it (copy, drop, rename): with foreign keys
            # on, dropping a table others refer to fails. The switch only works outside a
            # transaction, so it goes straight to the driver; the references are checked
            # before the migration commits (https://sqlite.org/lang_altertable.html).
            _driver_execute(connection, "PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    # Two upgrades started together: the second waits for the first to commit,
                    # then finds the schema at its revision and has nothing left to do.
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                found = MigrationContext.configure(connection).get_current_revision()
                config.attributes["connection"] = connection
                step(config)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"a migration broke {len(broken)} references")
        finally:
            if sqlite:
                _driver_execute(connection, "PRAGMA foreign_keys=ON")
    return found


def _driver_execute(connection: Connection, statement: str) -> None:
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("no database connection")
    driver.execute(statement)
