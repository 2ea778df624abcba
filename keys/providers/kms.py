"""Master keys held in a KMS, through the AWS KMS API (AWS, or any server speaking it).

Master version n is the n-th KMS key listed in a small state file (key ids only, nothing
secret). A rotation creates a new KMS key; retiring a version schedules its KMS key for
deletion, after which nothing it wrapped can be opened. Key material never leaves the KMS: a
user key is wrapped by Encrypt and opened by Decrypt, bound to its context (the associated
data's SHA-256 as encryption context).
"""

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from keys.errors import IntegrityError, KeyringError

_FORMAT = "coffre-kms/1"
PENDING_DELETION_DAYS = 7


def _context(aad: bytes) -> dict[str, str]:
    return {"coffre-aad-sha256": hashlib.sha256(aad).hexdigest()}


class KmsKeyring:
    def __init__(self, client: Any, state_path: Path, primary: int, key_ids: dict[int, str]):
        self._client = client
        self._state_path = state_path
        self._primary = primary
        self._key_ids = key_ids
        self._seen = _stamp(state_path)

    def _refresh(self) -> None:
        """Pick up a rotation or retirement done by another process (the `coffre keys` command,
        another app instance): the state file is re-read whenever it changed."""
        stamp = _stamp(self._state_path)
        if stamp != self._seen:
            self._primary, self._key_ids = _read(self._state_path)
            self._seen = stamp

    @classmethod
    def open(cls, client: Any, first_key_id: str, state_path: Path) -> "KmsKeyring":
        """Read the versions from `state_path`; a new state starts with `first_key_id`."""
        if state_path.exists():
            primary, keys = _read(state_path)
        else:
            primary, keys = 1, {1: first_key_id}
            _save(state_path, primary, keys)
        return cls(client, state_path, primary, keys)

    def primary_version(self) -> int:
        self._refresh()
        return self._primary

    def versions(self) -> list[int]:
        self._refresh()
        return sorted(self._key_ids)

    def wrap(self, key: bytes, aad: bytes) -> tuple[int, bytes]:
        self._refresh()
        version = self._primary
        try:
            answer = self._client.encrypt(
                KeyId=self._key_ids[version], Plaintext=key, EncryptionContext=_context(aad)
            )
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(f"the KMS refused to wrap: {type(exc).__name__}") from None
        return version, bytes(answer["CiphertextBlob"])

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        self._refresh()
        key_id = self._key_ids.get(version)
        if key_id is None:
            raise KeyringError(f"master key version {version} is not in the KMS state")
        try:
            answer = self._client.decrypt(
                CiphertextBlob=wrapped, KeyId=key_id, EncryptionContext=_context(aad)
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "InvalidCiphertextException":
                raise IntegrityError("the wrapped key does not open in this context") from None
            raise KeyringError(f"the KMS refused to unwrap: {code}") from None
        except BotoCoreError as exc:
            raise KeyringError(f"the KMS cannot be reached: {type(exc).__name__}") from None
        return bytes(answer["Plaintext"])

    def check(self) -> None:
        try:
            self._client.describe_key(KeyId=self._key_ids[self._primary])
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(f"the KMS is not usable: {type(exc).__name__}") from None

    def add_version(self) -> int:
        self._refresh()
        try:
            created = self._client.create_key(Description="coffre master key")
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(f"the KMS refused a new key: {type(exc).__name__}") from None
        version = max(self._key_ids) + 1
        self._key_ids[version] = str(created["KeyMetadata"]["KeyId"])
        self._primary = version
        _save(self._state_path, self._primary, self._key_ids)
        self._seen = _stamp(self._state_path)
        return version

    def remove_version(self, version: int) -> None:
        if version == self._primary or version not in self._key_ids:
            raise KeyringError(f"master key version {version} is the primary one or unknown")
        key_id = self._key_ids.pop(version)
        _save(self._state_path, self._primary, self._key_ids)
        self._seen = _stamp(self._state_path)
        try:
            self._client.schedule_key_deletion(
                KeyId=key_id, PendingWindowInDays=PENDING_DELETION_DAYS
            )
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(f"the KMS refused to delete the key: {type(exc).__name__}") from None


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (0, 0, 0)
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def _read(path: Path) -> tuple[int, dict[int, str]]:
    try:
        doc = json.loads(path.read_text())
        if doc.get("format") != _FORMAT:
            raise ValueError
        return int(doc["primary"]), {int(v): str(k) for v, k in doc["versions"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        raise KeyringError(f"KMS state {path} is unreadable or malformed") from None


def _save(path: Path, primary: int, key_ids: dict[int, str]) -> None:
    doc = {
        "format": _FORMAT,
        "primary": primary,
        "versions": {str(v): k for v, k in key_ids.items()},
    }
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(doc, indent=2) + "\n")
    with temporary.open("rb") as file:
        os.fsync(file.fileno())
    os.replace(temporary, path)
