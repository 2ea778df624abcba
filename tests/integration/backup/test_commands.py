"""`coffre backup` and `coffre restore` as an operator runs them, on the embedded default: the
passphrase from a prompt or from COFFRE_BACKUP_PASSPHRASE, the keyring kept apart."""

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import keys.backup
from storage.base import BlobStoreError, StoreFullError
from storage.local import LocalBlobStore
from tests.app_fixtures import PASSWORD, sign_up
from tests.integration.backup.test_backup_restore import written_before_seals
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.backup.manifest import KEYRING, MANIFEST
from vault.config import Settings, get_settings
from vault.production import findings
from vault.wiring import build_runtime
from webui.app import create_app
from webui.cli import app

PASSPHRASE = "une phrase de passe assez longue"


@pytest.fixture(autouse=True)
def quick_sealing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at a small cost (tests/integration/backup/test_backup_restore.py)."""
    monkeypatch.setattr(keys.backup, "_TIME_COST", 1)
    monkeypatch.setattr(keys.backup, "_MEMORY_KIB", 1024)
    monkeypatch.setattr(keys.backup, "_PARALLELISM", 1)


def run(monkeypatch: pytest.MonkeyPatch, data_dir: Path, *args: str, given: str = "") -> str:
    monkeypatch.setenv("COFFRE_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args), input=given)
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def test_backup_then_restore_with_the_keyring_kept_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("COFFRE_DATABASE_URL", "COFFRE_STORAGE_URL", "COFFRE_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    source = build_runtime(Settings(_env_file=None, data_dir=tmp_path / "source"))
    with TestClient(create_app(runtime=source), base_url="http://coffre.test") as client:
        paper = pdf("quittance")
        document_id = upload(client, sign_up(client, "amina.diallo"), paper).json()["id"]
    source.engine.dispose()
    folder, apart = tmp_path / "backup", tmp_path / "elsewhere" / KEYRING
    monkeypatch.delenv("COFFRE_BACKUP_PASSPHRASE", raising=False)

    written = run(
        monkeypatch, tmp_path / "source", "backup", str(folder), given=f"{PASSPHRASE}\n" * 2
    )
    assert "store it, and its passphrase, apart" in written
    assert PASSPHRASE not in (folder / MANIFEST).read_text()
    assert PASSPHRASE.encode() not in (folder / KEYRING).read_bytes()
    assert stat.S_IMODE((folder / KEYRING).stat().st_mode) == 0o600
    apart.parent.mkdir()
    (folder / KEYRING).rename(apart)

    monkeypatch.setenv("COFFRE_BACKUP_PASSPHRASE", PASSPHRASE)
    restored = run(
        monkeypatch, tmp_path / "target", "restore", str(folder), "--keyring-file", str(apart)
    )
    assert "1 papers checked" in restored
    assert ", 0 problems." in restored
    target = build_runtime(Settings(_env_file=None, data_dir=tmp_path / "target"))
    with TestClient(create_app(runtime=target), base_url="http://coffre.test") as client:
        token = client.post(
            "/api/v1/session", json={"login": "amina.diallo", "password": PASSWORD}
        ).json()["token"]
        opened = client.get(
            f"/api/v1/documents/{document_id}/content",
            headers={"Authorization": f"Bearer {token}"},
        )
    target.engine.dispose()
    assert opened.content == paper


def test_a_short_passphrase_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("COFFRE_DATABASE_URL", "COFFRE_STORAGE_URL", "COFFRE_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COFFRE_DATA_DIR", str(tmp_path / "source"))
    monkeypatch.setenv("COFFRE_BACKUP_PASSPHRASE", "trop court")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["backup", str(tmp_path / "backup")])
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert not (tmp_path / "backup").exists()


def test_a_backup_from_before_seals_needs_trust_unsealed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("COFFRE_DATABASE_URL", "COFFRE_STORAGE_URL", "COFFRE_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COFFRE_BACKUP_PASSPHRASE", PASSPHRASE)
    folder = tmp_path / "backup"
    run(monkeypatch, tmp_path / "source", "backup", str(folder))
    written_before_seals(folder)

    monkeypatch.setenv("COFFRE_DATA_DIR", str(tmp_path / "target"))
    get_settings.cache_clear()
    refused = CliRunner().invoke(app, ["restore", str(folder)])
    get_settings.cache_clear()
    assert refused.exit_code == 1
    assert "Restore refused" in refused.output
    assert "--trust-unsealed" in refused.output
    assert not (tmp_path / "target").exists()

    restored = run(monkeypatch, tmp_path / "target", "restore", str(folder), "--trust-unsealed")
    assert ", 0 problems." in restored


def test_a_backup_refuses_unfit_production_settings_in_plain_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As every command does (README, « Production settings »): one line per problem, no
    traceback, nothing written."""
    for name in ("COFFRE_DATABASE_URL", "COFFRE_STORAGE_URL", "COFFRE_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COFFRE_DATA_DIR", str(tmp_path / "source"))
    monkeypatch.setenv("COFFRE_ENV", "production")
    monkeypatch.setenv("COFFRE_BACKUP_PASSPHRASE", PASSPHRASE)
    get_settings.cache_clear()
    expected = findings(get_settings())
    result = CliRunner().invoke(app, ["backup", str(tmp_path / "backup")])
    get_settings.cache_clear()

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert result.stderr.splitlines() == expected
    assert not (tmp_path / "backup").exists()


def test_a_restore_stopped_by_a_full_disk_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows are in, the objects do not fit: one line says so and how to start again; it
    was a traceback. Nothing of the rows' values is printed."""
    for name in ("COFFRE_DATABASE_URL", "COFFRE_STORAGE_URL", "COFFRE_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COFFRE_BACKUP_PASSPHRASE", PASSPHRASE)
    folder = tmp_path / "backup"
    source = build_runtime(Settings(_env_file=None, data_dir=tmp_path / "source"))
    with TestClient(create_app(runtime=source), base_url="http://coffre.test") as client:
        assert upload(client, sign_up(client, "amina.diallo"), pdf()).status_code == 201
    source.engine.dispose()
    run(monkeypatch, tmp_path / "source", "backup", str(folder))

    def full(*_: object) -> int:
        raise StoreFullError("local store: cannot write: No space left on device")

    monkeypatch.setattr(LocalBlobStore, "put", full)
    monkeypatch.setenv("COFFRE_DATA_DIR", str(tmp_path / "target"))
    get_settings.cache_clear()
    stopped = CliRunner().invoke(app, ["restore", str(folder)])
    get_settings.cache_clear()

    assert stopped.exit_code == 1
    assert isinstance(stopped.exception, SystemExit)  # no traceback
    assert stopped.stderr.splitlines() == [
        "Restore stopped: local store: cannot write: No space left on device. The instance "
        "holds part of the backup: empty its database, its blob store and its keyring path, "
        "then run the restore again."
    ]


def test_a_backup_stopped_by_the_store_says_why_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("COFFRE_DATABASE_URL", "COFFRE_STORAGE_URL", "COFFRE_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COFFRE_BACKUP_PASSPHRASE", PASSPHRASE)
    source = build_runtime(Settings(_env_file=None, data_dir=tmp_path / "source"))
    with TestClient(create_app(runtime=source), base_url="http://coffre.test") as client:
        assert upload(client, sign_up(client, "amina.diallo"), pdf()).status_code == 201
    source.engine.dispose()

    def failing(*_: object) -> Iterator[bytes]:
        raise BlobStoreError("local store: cannot read: Input/output error")

    monkeypatch.setattr(LocalBlobStore, "get", failing)
    monkeypatch.setenv("COFFRE_DATA_DIR", str(tmp_path / "source"))
    get_settings.cache_clear()
    stopped = CliRunner().invoke(app, ["backup", str(tmp_path / "backup")])
    get_settings.cache_clear()

    assert stopped.exit_code == 1
    assert isinstance(stopped.exception, SystemExit)  # no traceback
    assert stopped.stderr.splitlines() == [
        "Backup refused: local store: cannot read: Input/output error"
    ]
    assert not (tmp_path / "backup" / MANIFEST).exists()


def test_the_commands_of_api_md(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`coffre backup --output DIR --passphrase-stdin` and `coffre restore --input DIR
    --passphrase-stdin`, as API.md writes them (a cron job pipes the passphrase once)."""
    for name in ("COFFRE_DATABASE_URL", "COFFRE_STORAGE_URL", "COFFRE_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("COFFRE_BACKUP_PASSPHRASE", raising=False)
    source = build_runtime(Settings(_env_file=None, data_dir=tmp_path / "source"))
    with TestClient(create_app(runtime=source), base_url="http://coffre.test") as client:
        upload(client, sign_up(client, "amina.diallo"), pdf("quittance"))
    source.engine.dispose()
    folder = tmp_path / "backup"
    once = f"{PASSPHRASE}\n"
    args = ["--output", str(folder), "--passphrase-stdin"]
    written = run(monkeypatch, tmp_path / "source", "backup", *args, given=once)
    assert f"Backup written to {folder}" in written
    args = ["--input", str(folder), "--passphrase-stdin"]
    restored = run(monkeypatch, tmp_path / "target", "restore", *args, given=once)
    assert "1 papers checked" in restored
    assert ", 0 problems." in restored


@pytest.mark.parametrize(
    "args",
    [["backup"], ["backup", "a", "--output", "b"], ["restore"], ["restore", "a", "--input", "b"]],
)
def test_the_folder_is_given_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setenv("COFFRE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, args)
    get_settings.cache_clear()
    assert result.exit_code == 2
    assert "Give the folder once" in result.output
    assert not (tmp_path / "data").exists()
