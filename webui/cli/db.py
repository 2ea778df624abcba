"""`coffre db`: the database schema, brought up to date as a step of its own, before the
instances start (they refuse a schema older than their code, except the embedded default)."""

import os

import typer
from sqlalchemy import Engine

from vault.config import get_settings
from vault.db import make_engine
from vault.errors import CannotStart
from vault.schema import UPGRADE, newer_schema, schema_state, upgrade
from vault.wiring import as_refusal
from webui.cli.check import refuse

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


def _engine() -> Engine:
    # Files coffre creates (the embedded database) are for its own user only.
    os.umask(0o077)
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return make_engine(settings.resolved_database_url())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the schema to this code's newest revision. Run it once before starting the
    instances; running it again, or from two places at once, is harmless."""
    try:
        with as_refusal():
            engine = _engine()
            try:
                before, after = upgrade(engine)
            finally:
                engine.dispose()
    except CannotStart as refusal:
        refuse(refusal)
    if before.up_to_date:
        typer.echo(f"The database schema is already at revision {after.current}.")
    else:
        typer.echo(f"Database schema upgraded from {before.describe()} to {after.current}.")


@db_app.command("current")
def db_current() -> None:
    """The database's revision and this code's newest; exit 1 unless they are the same."""
    try:
        with as_refusal():
            engine = _engine()
            try:
                state = schema_state(engine)
            finally:
                engine.dispose()
    except CannotStart as refusal:
        refuse(refusal)
    typer.echo(f"Database: {state.describe()}")
    typer.echo(f"Code: {state.head}")
    if state.up_to_date:
        typer.echo("Up to date.")
        return
    typer.echo(newer_schema(state) if state.newer else f"Behind: run `{UPGRADE}`.")
    raise typer.Exit(1)
