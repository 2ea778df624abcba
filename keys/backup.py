"""Encrypted backups of the local keyring: the keyring file's content sealed with AES-256-GCM
under a key derived from a passphrase with argon2id. Losing the keyring loses every paper; a
backup kept apart from the data is the remedy.

Also the seal of a `coffre backup` manifest: whoever can write to the backup's medium could
otherwise change the database export (a grant, a role, a password hash) and its checksums."""

import base64
import json
import os
from dataclasses import dataclass, field

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keys.canonical import encode
from keys.errors import IntegrityError, KeyringError
from keys.providers.base import MasterKeyProvider
from keys.wrap import new_key

_FORMAT = "coffre-keyring-backup/1"
_AAD = b"coffre/keyring-backup/v1"
_MANIFEST_AAD = encode(b"coffre/backup-manifest-key/v1")
# Stronger than sign-in hashing since a backup is opened rarely, yet small enough for the
# modest machine that may have to restore it: 256 MiB, 4 passes, 4 lanes.
_TIME_COST, _MEMORY_KIB, _PARALLELISM = 4, 256 * 1024, 4
MIN_PASSPHRASE = 12


def _derive(passphrase: str, salt: bytes, time_cost: int, memory_kib: int, lanes: int) -> bytes:
    return hash_secret_raw(
        passphrase.encode(),
        salt,
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=lanes,
        hash_len=32,
        type=Type.ID,
    )


def seal_backup(document: bytes, passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyringError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    key = _derive(passphrase, salt, _TIME_COST, _MEMORY_KIB, _PARALLELISM)
    sealed = AESGCM(key).encrypt(nonce, document, _AAD)
    backup = {
        "format": _FORMAT,
        "kdf": {"name": "argon2id", "t": _TIME_COST, "m": _MEMORY_KIB, "p": _PARALLELISM},
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    return (json.dumps(backup, indent=2) + "\n").encode()


def open_backup(backup: bytes, passphrase: str) -> bytes:
    try:
        doc = json.loads(backup)
        if doc["format"] != _FORMAT or doc["kdf"]["name"] != "argon2id":
            raise KeyringError("this is not a coffre keyring backup")
        kdf = doc["kdf"]
        key = _derive(
            passphrase, base64.b64decode(doc["salt"]), int(kdf["t"]), int(kdf["m"]), int(kdf["p"])
        )
        return AESGCM(key).decrypt(
            base64.b64decode(doc["nonce"]), base64.b64decode(doc["ciphertext"]), _AAD
        )
    except InvalidTag:
        raise IntegrityError("wrong passphrase, or the backup was altered") from None
    except (ValueError, KeyError, TypeError):
        raise KeyringError("this is not a coffre keyring backup") from None


@dataclass(frozen=True)
class ManifestKey:
    """A fresh key that signs one backup's manifest, and that key wrapped by the master keys:
    only the backup's own keyring (or its KMS key) can unwrap it again."""

    key: bytes = field(repr=False)
    master_version: int
    wrapped: bytes


@dataclass(frozen=True)
class ManifestSeal:
    master_version: int
    wrapped: bytes
    tag: bytes


def new_manifest_key(master_keys: MasterKeyProvider) -> ManifestKey:
    key = new_key()
    version, wrapped = master_keys.wrap(key, _MANIFEST_AAD)
    return ManifestKey(key, version, wrapped)


def seal_manifest(manifest_key: ManifestKey, manifest: bytes) -> ManifestSeal:
    """HMAC-SHA256 of the manifest's exact bytes: the manifest lists every file's SHA-256, so a
    restore that checks this seal knows every file is the one the backup wrote."""
    return ManifestSeal(
        manifest_key.master_version, manifest_key.wrapped, _tag(manifest_key.key, manifest)
    )


def check_manifest_seal(
    master_keys: MasterKeyProvider, seal: ManifestSeal, manifest: bytes
) -> None:
    """Raises IntegrityError, one for every cause: a changed manifest, a changed seal, master
    keys that are not the backup's; KeyringError when the master keys cannot be reached."""
    try:
        key = master_keys.unwrap(seal.master_version, seal.wrapped, _MANIFEST_AAD)
        check = hmac.HMAC(key, hashes.SHA256())
        check.update(manifest)
        check.verify(seal.tag)
    except (IntegrityError, InvalidSignature):
        raise IntegrityError(
            "the manifest was changed since the backup was written, or these master keys are "
            "not the backup's"
        ) from None


def _tag(key: bytes, manifest: bytes) -> bytes:
    signer = hmac.HMAC(key, hashes.SHA256())
    signer.update(manifest)
    return signer.finalize()
