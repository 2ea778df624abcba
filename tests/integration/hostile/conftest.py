"""The corpus's back ends, and its figures printed at the end of the run."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from vault.config import Settings
from vault.runtime import Runtime
from vault.wiring import build_runtime

from .tally import TALLIES


@pytest.fixture(params=["embedded", pytest.param("server", marks=[pytest.mark.pg, pytest.mark.s3])])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The embedded default, then PostgreSQL + S3 (which refuse other things: NUL in text,
    numbers beyond 64 bits). No delay after failed secrets: the corpus sends many."""
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "keyring": (tmp_path / "keys" / "keyring.json").as_uri(),
        "throttle_base_delay_seconds": 0,
    }
    if request.param == "server":
        values["database_url"] = request.getfixturevalue("pg_migrated_database")
        values["storage_url"] = request.getfixturevalue("s3_bucket_url")
    else:
        (tmp_path / "data").mkdir(mode=0o700)
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), tmp_path / "data" / "coffre.db")
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for tally in TALLIES:
        terminalreporter.write_line(tally.line())
