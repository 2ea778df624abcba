import base64
import json
import os
import stat
from pathlib import Path

import pytest

from keys.errors import IntegrityError, KeyringError
from keys.providers.base import MasterKeyProvider
from keys.providers.local import LocalKeyring
from keys.wrap import new_key

AAD = b"row"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_keyring(path: Path, doc: object, file_mode: int = 0o600) -> None:
    path.write_text(json.dumps(doc))
    path.chmod(file_mode)


def valid_doc() -> dict[str, object]:
    return {"format": 1, "primary": 1, "versions": {"1": base64.b64encode(new_key()).decode()}}


def test_created_private_with_one_version(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "keyring.json"
    keyring = LocalKeyring.open(path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert os.listdir(path.parent) == ["keyring.json"]
    doc = json.loads(path.read_text())
    assert doc["format"] == 1
    assert doc["primary"] == 1
    assert len(base64.b64decode(doc["versions"]["1"])) == 32
    assert keyring.primary_version() == 1
    assert keyring.versions() == [1]
    keyring.check()


def test_missing_file_without_create_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="no keyring"):
        LocalKeyring.open(tmp_path / "keyring.json", create=False)
    assert not (tmp_path / "keyring.json").exists()


@pytest.mark.parametrize("file_mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660])
def test_file_open_to_other_users_is_refused(tmp_path: Path, file_mode: int) -> None:
    path = tmp_path / "keyring.json"
    write_keyring(path, valid_doc(), file_mode)
    with pytest.raises(KeyringError, match=f"chmod 600 {path}"):
        LocalKeyring.open(path)


@pytest.mark.parametrize(
    "doc",
    [
        "not json",
        [],
        {"format": 2, "primary": 1, "versions": {"1": base64.b64encode(bytes(32)).decode()}},
        {"format": 1, "primary": 1, "versions": {}},
        {"format": 1, "primary": 2, "versions": {"1": base64.b64encode(bytes(32)).decode()}},
        {"format": 1, "primary": True, "versions": {"1": base64.b64encode(bytes(32)).decode()}},
        {"format": 1, "versions": {"1": base64.b64encode(bytes(32)).decode()}},
        {"format": 1, "primary": 1, "versions": {"01": base64.b64encode(bytes(32)).decode()}},
        {"format": 1, "primary": 0, "versions": {"0": base64.b64encode(bytes(32)).decode()}},
        {"format": 1, "primary": 1, "versions": {"1": "not base64!"}},
        {"format": 1, "primary": 1, "versions": {"1": 12}},
        {"format": 1, "primary": 1, "versions": {"1": base64.b64encode(b"k" * 31).decode()}},
    ],
)
def test_malformed_file_is_refused_without_leaking_keys(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "keyring.json"
    if isinstance(doc, str):
        path.write_text(doc)
        path.chmod(0o600)
    else:
        write_keyring(path, doc)
    with pytest.raises(KeyringError, match="malformed") as caught:
        LocalKeyring.open(path)
    assert "AAAA" not in str(caught.value)
    assert "a2tr" not in str(caught.value)


def test_wrap_round_trip_and_reopen_reads_the_same_keys(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring: MasterKeyProvider = LocalKeyring.open(path)
    key = new_key()
    version, wrapped = keyring.wrap(key, AAD)
    assert version == 1
    assert keyring.unwrap(version, wrapped, AAD) == key
    assert LocalKeyring.open(path, create=False).unwrap(version, wrapped, AAD) == key
    with pytest.raises(IntegrityError):
        keyring.unwrap(version, wrapped, b"another row")


def test_unknown_version_is_a_keyring_error(tmp_path: Path) -> None:
    keyring = LocalKeyring.open(tmp_path / "keyring.json")
    _, wrapped = keyring.wrap(new_key(), AAD)
    with pytest.raises(KeyringError, match="version 2"):
        keyring.unwrap(2, wrapped, AAD)


def test_add_version_keeps_old_versions(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring = LocalKeyring.open(path)
    old_key = new_key()
    _, old_wrapped = keyring.wrap(old_key, AAD)
    assert keyring.add_version() == 2
    assert keyring.primary_version() == 2
    assert keyring.versions() == [1, 2]
    new_version, new_wrapped = keyring.wrap(old_key, AAD)
    assert new_version == 2
    assert mode(path) == 0o600
    assert os.listdir(tmp_path) == ["keyring.json"]
    for reader in (keyring, LocalKeyring.open(path, create=False)):
        assert reader.primary_version() == 2
        assert reader.unwrap(1, old_wrapped, AAD) == old_key
        assert reader.unwrap(2, new_wrapped, AAD) == old_key
    with pytest.raises(IntegrityError):
        keyring.unwrap(1, new_wrapped, AAD)


def test_add_version_keeps_versions_added_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    first, second = LocalKeyring.open(path), LocalKeyring.open(path)
    _, wrapped = first.wrap(new_key(), AAD)
    assert first.add_version() == 2
    _, wrapped_v2 = first.wrap(b"k" * 32, AAD)
    assert second.add_version() == 3
    reopened = LocalKeyring.open(path)
    assert reopened.versions() == [1, 2, 3]
    assert reopened.unwrap(2, wrapped_v2, AAD) == b"k" * 32
    assert len(reopened.unwrap(1, wrapped, AAD)) == 32


def test_concurrent_creation_keeps_the_first_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keyring.json"
    first = LocalKeyring.open(path)
    before = path.read_bytes()
    # As if another process created the file just after this one checked it was missing.
    monkeypatch.setattr(os.path, "lexists", lambda _: False)
    second = LocalKeyring.open(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    _, wrapped = first.wrap(b"k" * 32, AAD)
    assert second.unwrap(1, wrapped, AAD) == b"k" * 32
    assert os.listdir(tmp_path) == ["keyring.json"]


def test_check_notices_an_unsafe_replaced_or_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring = LocalKeyring.open(path)
    keyring.check()
    path.chmod(0o644)
    with pytest.raises(KeyringError, match="chmod 600"):
        keyring.check()
    write_keyring(path, valid_doc())
    with pytest.raises(KeyringError, match="no longer holds master key version 1"):
        keyring.check()
    path.unlink()
    with pytest.raises(KeyringError, match="no keyring"):
        keyring.check()


def test_check_picks_up_a_retirement_made_by_another_process(tmp_path: Path) -> None:
    """Review finding: after `coffre keys rotate-master` then `retire-master 1`, a running
    instance's keyring still held version 1 in memory, and its readiness probe failed until a
    request used the keys: an idle instance stayed out of service."""
    path = tmp_path / "keyring.json"
    serving = LocalKeyring.open(path)
    command = LocalKeyring.open(path)
    command.add_version()
    serving.check()  # a probe of the load balancer, between the two commands
    command.remove_version(1)
    serving.check()
    assert serving.versions() == [2]


def test_check_notices_a_keyring_that_shares_no_version(tmp_path: Path) -> None:
    """Another instance's keyring put in place of this one (review finding: taken for a
    retirement, it was loaded, and every paper was unreadable behind a ready probe)."""
    path = tmp_path / "keyring.json"
    serving = LocalKeyring.open(path)
    other = LocalKeyring.open(tmp_path / "other.json")
    other.add_version()
    other.add_version()
    other.remove_version(1)
    other.remove_version(2)
    (tmp_path / "other.json").replace(path)
    with pytest.raises(KeyringError, match="no longer holds master key version 1"):
        serving.check()


def test_check_notices_a_newer_version_lost(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    serving = LocalKeyring.open(path)
    before = path.read_bytes()
    serving.add_version()
    path.chmod(0o600)
    path.write_bytes(before)
    with pytest.raises(KeyringError, match="no longer holds master key version 2"):
        serving.check()
