"""The schema as a step of its own: `coffre db upgrade` and `coffre db current`, and commands
that refuse a schema other than their code's, on the embedded default and on PostgreSQL."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from vault.config import get_settings
from vault.db import make_engine, migrate, migrations_config
from vault.schema import schema_state
from webui import cli

HEAD = ScriptDirectory.from_config(migrations_config()).get_current_head()
FUTURE = "0999"
COFFRE = str(Path(sys.executable).parent / "coffre")


@dataclass
class Coffre:
    """A coffre's settings as environment variables, and its `coffre` command in this process."""

    env: dict[str, str]
    database_url: str

    def run(self, *args: str) -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli.app, list(args), env=self.env)
        finally:
            get_settings.cache_clear()

    def engine(self) -> Engine:
        return make_engine(self.database_url)


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.pg)])
def coffre(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Coffre:
    monkeypatch.chdir(tmp_path)  # no .env file of the developer's
    data_dir = tmp_path / "data"
    env = {
        "COFFRE_DATA_DIR": str(data_dir),
        "COFFRE_KEYRING": (tmp_path / "keys" / "keyring.json").as_uri(),
    }
    if request.param == "server":
        url = request.getfixturevalue("pg_database")
        env["COFFRE_DATABASE_URL"] = url
    else:
        data_dir.mkdir(mode=0o700)
        url = f"sqlite:///{data_dir / 'coffre.db'}"
    return Coffre(env, url)


def at_revision(coffre: Coffre, revision: str) -> None:
    engine = coffre.engine()
    migrate(engine, revision)
    engine.dispose()


def state_of(coffre: Coffre) -> str | None:
    engine = coffre.engine()
    try:
        return schema_state(engine).current
    finally:
        engine.dispose()


def from_the_future(coffre: Coffre) -> None:
    """The schema as a newer coffre would leave it: a revision this code does not know."""
    engine = coffre.engine()
    migrate(engine)
    with engine.begin() as db:
        db.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
    engine.dispose()


def refused(result: Result, *words: str) -> None:
    """Refused in plain words: exit 1, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    for word in words:
        assert word in result.stderr


def test_upgrade_makes_the_schema_and_current_says_where_it_stands(coffre: Coffre) -> None:
    empty = coffre.run("db", "current")
    assert empty.exit_code == 1
    assert empty.stdout.splitlines() == [
        "Database: empty (no schema)",
        f"Code: {HEAD}",
        "Behind: run `coffre db upgrade`.",
    ]
    made = coffre.run("db", "upgrade")
    assert made.exit_code == 0, made.output
    assert made.stdout == f"Database schema upgraded from empty (no schema) to {HEAD}.\n"
    current = coffre.run("db", "current")
    assert current.exit_code == 0, current.output
    assert current.stdout.splitlines() == [f"Database: {HEAD}", f"Code: {HEAD}", "Up to date."]
    again = coffre.run("db", "upgrade")
    assert again.exit_code == 0, again.output
    assert again.stdout == f"The database schema is already at revision {HEAD}.\n"


def test_upgrade_says_from_which_revision(coffre: Coffre) -> None:
    at_revision(coffre, "0005")
    assert "Database: 0005" in coffre.run("db", "current").stdout
    result = coffre.run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Database schema upgraded from 0005 to {HEAD}.\n"
    assert state_of(coffre) == HEAD


def test_a_newer_schema_is_refused_everywhere(coffre: Coffre) -> None:
    from_the_future(coffre)
    refused(coffre.run("keys", "status"), FUTURE, "does not know")
    refused(coffre.run("db", "upgrade"), FUTURE, "does not know")
    current = coffre.run("db", "current")
    assert current.exit_code == 1
    assert f"Database: {FUTURE}" in current.stdout
    assert "does not know" in current.stdout
    assert state_of(coffre) == FUTURE


@pytest.mark.pg
def test_on_postgresql_commands_refuse_a_schema_older_than_their_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_database: str
) -> None:
    monkeypatch.chdir(tmp_path)
    coffre = Coffre(
        {"COFFRE_DATA_DIR": str(tmp_path), "COFFRE_DATABASE_URL": pg_database}, pg_database
    )
    refused(coffre.run("keys", "status"), "The database is empty", "`coffre db upgrade`")
    assert state_of(coffre) is None  # nothing was made
    at_revision(coffre, "0006")
    refused(coffre.run("audit", "verify"), "revision 0006, older", "`coffre db upgrade`")
    assert state_of(coffre) == "0006"
    assert coffre.run("db", "upgrade").exit_code == 0
    assert coffre.run("audit", "verify").exit_code == 0


@pytest.mark.parametrize("explicit_url", [False, True], ids=["default", "sqlite-url"])
def test_the_embedded_default_upgrades_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, explicit_url: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'coffre.db'}"
    env = {"COFFRE_DATA_DIR": str(tmp_path)}
    if explicit_url:
        env["COFFRE_DATABASE_URL"] = url
    coffre = Coffre(env, url)
    at_revision(coffre, "0005")
    result = coffre.run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert state_of(coffre) == HEAD


@pytest.mark.pg
def test_two_upgrades_at_once_on_postgresql(tmp_path: Path, pg_database: str) -> None:
    """Two instances' one-shot steps started together: one makes the schema, the other waits
    for it, then has nothing left to do."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COFFRE_")}
    env.update(COFFRE_DATA_DIR=str(tmp_path), COFFRE_DATABASE_URL=pg_database)
    upgrades = [
        subprocess.Popen(
            [COFFRE, "db", "upgrade"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    said = sorted(process.communicate(timeout=60)[0] for process in upgrades)
    assert [process.returncode for process in upgrades] == [0, 0], said
    assert said == [
        f"Database schema upgraded from empty (no schema) to {HEAD}.\n",
        f"The database schema is already at revision {HEAD}.\n",
    ]
