"""The seal of a backup's manifest (keys.backup): it holds for the manifest's exact bytes under
the backup's own master keys, and fails, with one opaque error, for anything else."""

import dataclasses
from pathlib import Path

import pytest

from keys.backup import check_manifest_seal, new_manifest_key, seal_manifest
from keys.errors import IntegrityError
from keys.providers.local import LocalKeyring

MANIFEST = b'{"files": {"database.jsonl": {"sha256": "ab", "size": 3}}}\n'


@pytest.fixture
def keyring(tmp_path: Path) -> LocalKeyring:
    return LocalKeyring.open(tmp_path / "keyring.json")


def test_the_manifest_it_was_made_for_passes(keyring: LocalKeyring) -> None:
    seal = seal_manifest(new_manifest_key(keyring), MANIFEST)
    check_manifest_seal(keyring, seal, MANIFEST)


def test_the_seal_does_not_show_its_key(keyring: LocalKeyring) -> None:
    manifest_key = new_manifest_key(keyring)
    assert manifest_key.key.hex() not in repr(manifest_key)
    assert manifest_key.key not in manifest_key.wrapped


def one_byte_changed(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


@pytest.mark.parametrize("part", ["manifest", "tag", "wrapped key", "master version"])
def test_anything_changed_is_refused(keyring: LocalKeyring, part: str) -> None:
    seal = seal_manifest(new_manifest_key(keyring), MANIFEST)
    manifest = one_byte_changed(MANIFEST) if part == "manifest" else MANIFEST
    if part == "tag":
        seal = dataclasses.replace(seal, tag=one_byte_changed(seal.tag))
    if part == "wrapped key":
        seal = dataclasses.replace(seal, wrapped=one_byte_changed(seal.wrapped))
    if part == "master version":
        seal = dataclasses.replace(seal, master_version=keyring.add_version())

    with pytest.raises(IntegrityError, match="changed since the backup was written"):
        check_manifest_seal(keyring, seal, manifest)


def test_another_keyring_cannot_check_it(keyring: LocalKeyring, tmp_path: Path) -> None:
    seal = seal_manifest(new_manifest_key(keyring), MANIFEST)
    other = LocalKeyring.open(tmp_path / "other.json")

    with pytest.raises(IntegrityError, match="not the backup's"):
        check_manifest_seal(other, seal, MANIFEST)


def test_a_keyring_read_from_a_backup_checks_it_without_being_written(
    keyring: LocalKeyring, tmp_path: Path
) -> None:
    seal = seal_manifest(new_manifest_key(keyring), MANIFEST)
    path = tmp_path / "restored" / "keyring.json"

    check_manifest_seal(LocalKeyring.unsaved(path, keyring.export_document()), seal, MANIFEST)
    assert not path.parent.exists()
