"""A setting given a wrong value (a typo in a URL, a keyring file others may read, a database
that is not there, a folder that cannot be made, a number that is not one) is a short message
and a non-zero exit, not a Python traceback of 25 to 460 lines (vault.wiring.as_refusal)."""

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from vault.config import get_settings
from webui.cli import app


def coffre(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> Result:
    for name in list(os.environ):
        if name.startswith("COFFRE_") and not name.startswith("COFFRE_TEST"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()


def refused_plainly(result: Result) -> None:
    # An exception other than SystemExit is what Typer prints as a traceback.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code != 0
    assert len(result.output.strip().splitlines()) <= 3, result.output


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("COFFRE_STORAGE_URL", "fil:///srv/coffre/blobs", ["keys", "status"]),
        ("COFFRE_STORAGE_URL", "file://srv/coffre/blobs", ["keys", "status"]),
        ("COFFRE_STORAGE_URL", "s3://coffre?endpont_url=http://127.0.0.1:1", ["keys", "status"]),
        ("COFFRE_KEYRING", "/srv/keys/keyring.json", ["keys", "status"]),
        ("COFFRE_DATABASE_URL", "postgres://coffre@127.0.0.1/coffre", ["keys", "status"]),
        (
            "COFFRE_DATABASE_URL",
            "postgresql+psycopg://coffre@127.0.0.1:1/coffre",
            ["db", "current"],
        ),
        ("COFFRE_DATA_DIR", "/proc/coffre-data", ["db", "upgrade"]),
        ("COFFRE_MAX_REQUESTS", "two hundred", ["check"]),
        ("COFFRE_ENV", "prod", ["check"]),
        ("COFFRE_TIMEZONE", "Europe", ["check"]),
        ("COFFRE_REMINDER_DAYS", "60,30", ["check"]),
    ],
)
def test_a_wrong_setting_is_one_line_and_a_non_zero_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, command: list[str]
) -> None:
    env = {"COFFRE_DATA_DIR": str(tmp_path / "data"), variable: value}
    refused_plainly(coffre(monkeypatch, env, *command))


def test_a_keyring_others_can_read_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"COFFRE_DATA_DIR": str(tmp_path / "data")}
    assert coffre(monkeypatch, env, "keys", "status").exit_code == 0
    keyring = tmp_path / "data" / "keyring.json"
    keyring.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    refused_plainly(coffre(monkeypatch, env, "keys", "status"))


def test_retiring_a_version_that_does_not_exist_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"COFFRE_DATA_DIR": str(tmp_path / "data")}
    assert coffre(monkeypatch, env, "keys", "status").exit_code == 0
    refused_plainly(coffre(monkeypatch, env, "keys", "retire-master", "7"))


def test_a_restore_onto_a_database_that_is_not_there_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keys.backup

    monkeypatch.setattr(keys.backup, "_TIME_COST", 1)
    monkeypatch.setattr(keys.backup, "_MEMORY_KIB", 1024)
    monkeypatch.setattr(keys.backup, "_PARALLELISM", 1)
    passphrase = {"COFFRE_BACKUP_PASSPHRASE": "une phrase de passe assez longue"}
    source = {"COFFRE_DATA_DIR": str(tmp_path / "source"), **passphrase}
    written = coffre(monkeypatch, source, "backup", str(tmp_path / "backup"))
    assert written.exit_code == 0, written.output
    target = {
        "COFFRE_DATA_DIR": str(tmp_path / "target"),
        "COFFRE_DATABASE_URL": "postgresql+psycopg://coffre@127.0.0.1:1/coffre_drill",
        **passphrase,
    }
    refused_plainly(coffre(monkeypatch, target, "restore", str(tmp_path / "backup")))
