"""The levels of the key hierarchy: master key -> user key -> data key, and sealed free text.

The user key never encrypts directly: it serves two roles (wrapping data keys, sealing text)
through two HKDF subkeys, so a value of one role can never be opened as the other.
"""

from keys.errors import KeyringError
from keys.providers.base import MasterKeyProvider
from keys.wrap import (
    data_key_aad,
    derive_subkey,
    new_key,
    open_text,
    seal_text,
    text_aad,
    unwrap_key,
    user_key_aad,
    wrap_key,
)

_DATA_KEY_WRAP = "data-key-wrap"
_TEXT = "text"


def new_user_key() -> bytes:
    return new_key()


def seal_user_key(
    provider: MasterKeyProvider, person_id: str, user_key_version: int, user_key: bytes
) -> tuple[int, bytes]:
    """Wrap under the provider's primary master key; returns (master_version, wrapped)."""
    master_version = provider.primary_version()
    aad = user_key_aad(person_id, user_key_version, master_version)
    used_version, wrapped = provider.wrap(user_key, aad)
    # The aad names the master version, so a rotation between the two calls would make a wrap
    # that never opens.
    if used_version != master_version:
        raise KeyringError("the master key changed during the operation; retry")
    return used_version, wrapped


def open_user_key(
    provider: MasterKeyProvider,
    person_id: str,
    user_key_version: int,
    master_version: int,
    wrapped: bytes,
) -> bytes:
    aad = user_key_aad(person_id, user_key_version, master_version)
    return provider.unwrap(master_version, wrapped, aad)


def wrap_data_key(
    user_key: bytes,
    data_key: bytes,
    owner_id: str,
    document_id: str,
    blob_id: str,
    user_key_version: int,
) -> bytes:
    aad = data_key_aad(owner_id, document_id, blob_id, user_key_version)
    return wrap_key(derive_subkey(user_key, _DATA_KEY_WRAP), data_key, aad)


def unwrap_data_key(
    user_key: bytes,
    wrapped: bytes,
    owner_id: str,
    document_id: str,
    blob_id: str,
    user_key_version: int,
) -> bytes:
    aad = data_key_aad(owner_id, document_id, blob_id, user_key_version)
    return unwrap_key(derive_subkey(user_key, _DATA_KEY_WRAP), wrapped, aad)


def seal_field(user_key: bytes, owner_id: str, record_id: str, field: str, text: str) -> bytes:
    return seal_text(derive_subkey(user_key, _TEXT), text, text_aad(owner_id, record_id, field))


def open_field(user_key: bytes, owner_id: str, record_id: str, field: str, sealed: bytes) -> str:
    return open_text(derive_subkey(user_key, _TEXT), sealed, text_aad(owner_id, record_id, field))
