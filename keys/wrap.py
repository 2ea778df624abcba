"""AES-256-GCM for small secrets: wrapped keys and sealed free text.

Layout: version (1 byte) | random nonce (12) | ciphertext and tag (16). Random 96-bit nonces are
safe here: no key seals more than a few million small values, far below the 2**32 limit of
NIST SP 800-38D. The associated data says where the value belongs (see the *_aad builders), so a
value moved to another row, person or field fails to open.

Sealing with a key that is not 32 bytes raises ValueError (a programming error); opening with one
raises IntegrityError, like every other failure to open.
"""

import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keys.canonical import encode
from keys.errors import IntegrityError

KEY_SIZE = 32
_VERSION = 1
_NONCE_SIZE = 12
_TAG_SIZE = 16


def new_key() -> bytes:
    return secrets.token_bytes(KEY_SIZE)


def wrap_key(kek: bytes, key: bytes, aad: bytes) -> bytes:
    if len(key) != KEY_SIZE:
        raise ValueError("only 256-bit keys are wrapped")
    return _seal(kek, key, aad)


def unwrap_key(kek: bytes, wrapped: bytes, aad: bytes) -> bytes:
    return _unseal(kek, wrapped, aad)


def seal_text(key: bytes, text: str, aad: bytes) -> bytes:
    return _seal(key, text.encode(), aad)


def open_text(key: bytes, sealed: bytes, aad: bytes) -> str:
    return _unseal(key, sealed, aad).decode()


def derive_subkey(key: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, so that one key never serves two roles."""
    return _hkdf(key, None, b"coffre/" + purpose.encode(), KEY_SIZE)


def data_key_aad(owner_id: str, document_id: str, blob_id: str, user_key_version: int) -> bytes:
    return encode(b"coffre/data-key/v1", owner_id, document_id, blob_id, user_key_version)


def user_key_aad(person_id: str, user_key_version: int, master_version: int) -> bytes:
    return encode(b"coffre/user-key/v1", person_id, user_key_version, master_version)


def text_aad(owner_id: str, record_id: str, field: str) -> bytes:
    return encode(b"coffre/text/v1", owner_id, record_id, field)


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    if len(key) != KEY_SIZE:
        raise ValueError("the key must be 32 bytes")
    nonce = os.urandom(_NONCE_SIZE)
    return bytes((_VERSION,)) + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _unseal(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < 1 + _NONCE_SIZE + _TAG_SIZE:
        raise IntegrityError("the sealed value is truncated")
    if sealed[0] != _VERSION:
        raise IntegrityError(f"unknown sealed value version {sealed[0]}")
    return _open(key, sealed[1 : 1 + _NONCE_SIZE], sealed[1 + _NONCE_SIZE :], aad)


def _open(key: bytes, nonce: bytes, ct_and_tag: bytes, aad: bytes) -> bytes:
    """AES-256-GCM decryption, the primitive under unwrap_key and open_text."""
    if len(key) != KEY_SIZE:
        raise IntegrityError("the key has an invalid size")
    try:
        return AESGCM(key).decrypt(nonce, ct_and_tag, aad)
    except InvalidTag:
        raise IntegrityError("the sealed value is altered or belongs elsewhere") from None


def _hkdf(ikm: bytes, salt: bytes | None, info: bytes, size: int) -> bytes:
    """HKDF-SHA256, the primitive under derive_subkey."""
    return HKDF(algorithm=SHA256(), length=size, salt=salt, info=info).derive(ikm)
