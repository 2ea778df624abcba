"""The local store's disk full: a small tmpfs mounted as the embedded store's folder. An upload
that does not fit gets a clear 507 (the server's room, not the person's: that one is 413),
leaves no temp file and no row; an upload that fits goes through, before and after."""

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storage.local import TMP_DIR
from tests.integration.faults.live import (
    UPLOAD,
    MiB,
    assert_nothing_half_written,
    paper,
    sweep_and_verify,
)
from tests.integration.vault.helpers import counts
from vault.config import Settings
from vault.runtime import Runtime
from webui.errors import STORE_FULL

DISK = 6 * MiB


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "blobs"
    folder.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a small disk")
    size = f"size={DISK // 1024}k"
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"{size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small disk here (needs root): {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def settings(tmp_path: Path, sqlite_schema: Path, small_disk: Path) -> Settings:
    """The embedded default, its papers on the small disk."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    shutil.copyfile(sqlite_schema, data_dir / "coffre.db")
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        keyring=(tmp_path / "keys" / "keyring.json").as_uri(),
        storage_url=small_disk.as_uri(),
    )


def add(client: TestClient, who: dict[str, Any], title: str, size: int) -> Any:
    return client.post(
        UPLOAD,
        headers=who["headers"],
        data={"category": "identity", "title": title},
        files={"file": (f"{title}.pdf", paper(size), "application/pdf")},
    )


def test_a_full_disk_refuses_the_upload_cleanly(
    client: TestClient, rt: Runtime, amina: dict[str, Any], small_disk: Path
) -> None:
    assert add(client, amina, "carte", MiB).status_code == 201
    stored = counts(rt)

    too_big = add(client, amina, "avis", DISK)
    assert too_big.status_code == 507, too_big.text
    assert too_big.json() == {"detail": STORE_FULL, "field": None}
    assert list((small_disk / TMP_DIR).iterdir()) == []
    assert counts(rt) == stored

    assert add(client, amina, "quittance", MiB).status_code == 201
    listed = client.get(UPLOAD, headers=amina["headers"]).json()
    assert sorted(d["title"] for d in listed) == ["carte", "quittance"]
    assert "0 orphaned objects removed." in sweep_and_verify(rt)
    assert_nothing_half_written(rt)
