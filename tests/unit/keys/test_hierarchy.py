import uuid
from pathlib import Path

import pytest

from keys.errors import IntegrityError, KeyringError
from keys.format import BlobContext, decrypt_blob, encrypt_blob, read_header
from keys.hierarchy import (
    new_user_key,
    open_field,
    open_user_key,
    seal_field,
    seal_user_key,
    unwrap_data_key,
    wrap_data_key,
)
from keys.providers.local import LocalKeyring
from keys.wrap import data_key_aad, derive_subkey, new_key, text_aad, unwrap_key

PERSON, DOCUMENT, BLOB = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())


@pytest.fixture
def keyring(tmp_path: Path) -> LocalKeyring:
    return LocalKeyring.open(tmp_path / "keyring.json")


def test_user_key_round_trip_and_binding(keyring: LocalKeyring) -> None:
    user_key = new_user_key()
    master_version, wrapped = seal_user_key(keyring, PERSON, 1, user_key)
    assert master_version == 1
    assert open_user_key(keyring, PERSON, 1, master_version, wrapped) == user_key
    with pytest.raises(IntegrityError):
        open_user_key(keyring, str(uuid.uuid4()), 1, master_version, wrapped)
    with pytest.raises(IntegrityError):
        open_user_key(keyring, PERSON, 2, master_version, wrapped)
    with pytest.raises(KeyringError):
        open_user_key(keyring, PERSON, 1, 2, wrapped)


def test_user_key_survives_master_rotation(keyring: LocalKeyring) -> None:
    user_key = new_user_key()
    old_version, old_wrapped = seal_user_key(keyring, PERSON, 1, user_key)
    keyring.add_version()
    new_version, new_wrapped = seal_user_key(keyring, PERSON, 1, user_key)
    assert (old_version, new_version) == (1, 2)
    assert open_user_key(keyring, PERSON, 1, 1, old_wrapped) == user_key
    assert open_user_key(keyring, PERSON, 1, 2, new_wrapped) == user_key
    with pytest.raises(IntegrityError):
        open_user_key(keyring, PERSON, 1, 2, old_wrapped)


class RotatingDuringWrap:
    """A provider whose primary version changes between primary_version() and wrap()."""

    def primary_version(self) -> int:
        return 1

    def versions(self) -> list[int]:
        return [1, 2]

    def wrap(self, key: bytes, aad: bytes) -> tuple[int, bytes]:
        return 2, b"wrapped"

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        raise AssertionError

    def check(self) -> None:
        pass

    def add_version(self) -> int:
        raise AssertionError

    def remove_version(self, version: int) -> None:
        raise AssertionError


def test_seal_user_key_refuses_a_wrap_made_under_another_version() -> None:
    with pytest.raises(KeyringError, match="retry"):
        seal_user_key(RotatingDuringWrap(), PERSON, 1, new_user_key())


def test_data_key_round_trip_and_binding() -> None:
    user_key, data_key = new_user_key(), new_key()
    wrapped = wrap_data_key(user_key, data_key, PERSON, DOCUMENT, BLOB, 1)
    assert unwrap_data_key(user_key, wrapped, PERSON, DOCUMENT, BLOB, 1) == data_key
    other = str(uuid.uuid4())
    for moved in (
        (other, DOCUMENT, BLOB, 1),
        (PERSON, other, BLOB, 1),
        (PERSON, DOCUMENT, other, 1),
        (PERSON, DOCUMENT, BLOB, 2),
    ):
        with pytest.raises(IntegrityError):
            unwrap_data_key(user_key, wrapped, *moved)
    with pytest.raises(IntegrityError):
        unwrap_data_key(new_user_key(), wrapped, PERSON, DOCUMENT, BLOB, 1)


def test_field_round_trip_and_binding() -> None:
    user_key = new_user_key()
    sealed = seal_field(user_key, PERSON, DOCUMENT, "title", "Titre de séjour")
    assert open_field(user_key, PERSON, DOCUMENT, "title", sealed) == "Titre de séjour"
    with pytest.raises(IntegrityError):
        open_field(user_key, PERSON, DOCUMENT, "file_name", sealed)
    with pytest.raises(IntegrityError):
        open_field(user_key, str(uuid.uuid4()), DOCUMENT, "title", sealed)
    with pytest.raises(IntegrityError):
        open_field(new_user_key(), PERSON, DOCUMENT, "title", sealed)


def test_user_key_roles_use_their_own_subkeys() -> None:
    # Pins the derivation: stored wraps and fields depend on it.
    user_key, data_key = new_user_key(), new_key()
    wrapped = wrap_data_key(user_key, data_key, PERSON, DOCUMENT, BLOB, 1)
    aad = data_key_aad(PERSON, DOCUMENT, BLOB, 1)
    assert unwrap_key(derive_subkey(user_key, "data-key-wrap"), wrapped, aad) == data_key
    with pytest.raises(IntegrityError):
        unwrap_key(user_key, wrapped, aad)
    with pytest.raises(IntegrityError):
        unwrap_key(derive_subkey(user_key, "text"), wrapped, aad)
    sealed = seal_field(user_key, PERSON, DOCUMENT, "title", "x")
    with pytest.raises(IntegrityError):
        unwrap_key(
            derive_subkey(user_key, "data-key-wrap"), sealed, text_aad(PERSON, DOCUMENT, "title")
        )


def test_whole_chain_from_master_key_to_blob(keyring: LocalKeyring) -> None:
    context = BlobContext(PERSON, DOCUMENT, BLOB, "original")
    user_key, data_key = new_user_key(), new_key()
    master_version, wrapped_user_key = seal_user_key(keyring, PERSON, 4, user_key)
    wrapped_data_key = wrap_data_key(user_key, data_key, PERSON, DOCUMENT, BLOB, 4)
    blob = b"".join(encrypt_blob(data_key, 4, context, [b"%PDF-1.7 ..."]))

    user_key_version = read_header(blob).user_key_version
    opened_user_key = open_user_key(
        keyring, PERSON, user_key_version, master_version, wrapped_user_key
    )
    opened_data_key = unwrap_data_key(
        opened_user_key, wrapped_data_key, PERSON, DOCUMENT, BLOB, user_key_version
    )
    assert b"".join(decrypt_blob(opened_data_key, context, [blob])) == b"%PDF-1.7 ..."
