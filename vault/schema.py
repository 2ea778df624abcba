"""Where the database's schema stands against this code's migrations.

On a database server, upgrading is a step of its own (`coffre db upgrade`), run once before the
instances start: instances starting together would otherwise each try to migrate. The embedded
default (SQLite, one machine, one process writing) still upgrades itself when it starts.
"""

from dataclasses import dataclass, replace

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from vault.db import READ_ONLY, migrate, migrations_config
from vault.errors import CannotStart

UPGRADE = "coffre db upgrade"


@dataclass(frozen=True)
class SchemaState:
    # The database's revision; None when it has no schema yet (an empty database).
    current: str | None
    # The newest revision this code knows.
    head: str
    # Whether this code knows the database's revision (it does not when newer code upgraded it).
    known: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def newer(self) -> bool:
        return self.current is not None and not self.known

    def describe(self) -> str:
        return self.current or "empty (no schema)"


def schema_state(engine: Engine) -> SchemaState:
    script = ScriptDirectory.from_config(migrations_config())
    # Read-only: on SQLite, looking takes no write lock.
    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    known = {revision.revision for revision in script.walk_revisions()}
    head = script.get_current_head() or ""
    return SchemaState(current=current, head=head, known=current in known)


def newer_schema(state: SchemaState) -> str:
    return (
        f"The database schema is at revision {state.current}, which this code does not know "
        f"(its newest is {state.head}): newer code upgraded it. Run that version of coffre, "
        "or a newer one."
    )


def upgrade(engine: Engine) -> tuple[SchemaState, SchemaState]:
    """Bring the schema to this code's newest revision; the states before and after."""
    state = schema_state(engine)
    if state.newer:
        raise CannotStart([newer_schema(state)])
    # Where it stood when this upgrade got its turn: another may have run in between.
    before = replace(state, current=migrate(engine), known=True)
    return before, schema_state(engine)


def ready_schema(engine: Engine, *, upgrade_itself: bool) -> None:
    """Refuse to run on a schema other than this code's newest, unless `upgrade_itself` (the
    embedded default) and the schema is only behind."""
    state = schema_state(engine)
    if state.up_to_date:
        return
    if state.newer:
        raise CannotStart([newer_schema(state)])
    if upgrade_itself:
        upgrade(engine)
        return
    if state.current is None:
        raise CannotStart(
            [f"The database is empty: run `{UPGRADE}` to create its schema, then start again."]
        )
    raise CannotStart(
        [
            f"The database schema is at revision {state.current}, older than this code "
            f"({state.head}): run `{UPGRADE}`, then start again."
        ]
    )
