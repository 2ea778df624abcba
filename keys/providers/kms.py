"""Master keys held in a KMS, through the AWS KMS API (AWS, or any server speaking it).

Master version n is the KMS key that the alias `alias/coffre/<keyring>/v<n>` points at, where
<keyring> is the key id given in COFFRE_KEYRING (the first version). The list of versions thus
lives in the KMS itself, not in an instance's folder: every instance sees a rotation or a
retirement made through any other. An alias name is unique in an account and region, so two
processes making the same version at once cannot both succeed. The primary version is the
highest (a new version always becomes primary, and the primary is never retired).

A rotation creates a new KMS key and its alias; retiring a version deletes its alias and
schedules its KMS key for deletion, after which nothing it wrapped can be opened. Key material
never leaves the KMS: a user key is wrapped by Encrypt and opened by Decrypt, bound to its
context (the associated data's SHA-256 as encryption context).

Before the aliases, the versions were listed in a file of the data folder; `open` carries such
a file over to aliases once, then renames it.
"""

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from keys.errors import IntegrityError, KeyringError

_LEGACY_FORMAT = "coffre-kms/1"
CARRIED_OVER_SUFFIX = ".carried-over"
PENDING_DELETION_DAYS = 7
# How long the versions read from the KMS are trusted before asked again when wrapping: a
# rotation made through another instance is used for new wraps at most this late (an unknown
# version met when unwrapping is looked up at once).
REFRESH_SECONDS = 1.0


def _context(aad: bytes) -> dict[str, str]:
    return {"coffre-aad-sha256": hashlib.sha256(aad).hexdigest()}


def alias_prefix(first_key_id: str) -> str:
    """The aliases of one keyring. An alias name allows letters, digits, `/`, `_` and `-`: an
    ARN's other characters become `-`."""
    return f"alias/coffre/{re.sub(r'[^A-Za-z0-9/_-]', '-', first_key_id)}/v"


class KmsKeyring:
    def __init__(
        self,
        client: Any,
        first_key_id: str,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self._client = client
        self._prefix = alias_prefix(first_key_id)
        self._refresh_seconds = refresh_seconds
        self._key_ids: dict[int, str] = {}
        self._read_at = float("-inf")

    @classmethod
    def open(
        cls,
        client: Any,
        first_key_id: str,
        legacy_state: Path | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
        create: bool = True,
    ) -> "KmsKeyring":
        """The keyring whose first version is `first_key_id`. A new one is named version 1 if
        `create`; one listed in the older `legacy_state` file is carried over to aliases, once."""
        keyring = cls(client, first_key_id, refresh_seconds)
        if not keyring._listed():
            if legacy_state is not None and legacy_state.exists():
                keyring._carry_over(legacy_state)
            elif create:
                keyring._name({1: keyring._resolve(first_key_id)})
        keyring._reload()
        return keyring

    # --- the versions, as the KMS lists them -------------------------------------------------

    def _listed(self) -> dict[int, str]:
        try:
            pages = self._client.get_paginator("list_aliases").paginate()
            found: dict[int, str] = {}
            for page in pages:
                for alias in page.get("Aliases", []):
                    name = str(alias.get("AliasName", ""))
                    suffix = name.removeprefix(self._prefix)
                    if name.startswith(self._prefix) and suffix.isdigit():
                        found[int(suffix)] = str(alias["TargetKeyId"])
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(
                f"the KMS cannot list the key versions: {type(exc).__name__}"
            ) from None
        return found

    def _reload(self) -> None:
        listed = self._listed()
        if not listed:
            raise KeyringError(f"the KMS lists no master key version under {self._prefix}*")
        self._key_ids, self._read_at = listed, time.monotonic()

    def _fresh(self) -> None:
        if time.monotonic() - self._read_at >= self._refresh_seconds:
            self._reload()

    def _name(self, key_ids: dict[int, str]) -> None:
        """Give each version its alias. One that exists already is left: another process named
        it at the same time, and the caller checks what the KMS lists afterwards."""
        for version, key_id in sorted(key_ids.items()):
            try:
                self._client.create_alias(AliasName=f"{self._prefix}{version}", TargetKeyId=key_id)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "AlreadyExistsException":
                    raise KeyringError(f"the KMS refused an alias: {_code(exc)}") from None
            except BotoCoreError as exc:
                raise KeyringError(f"the KMS cannot be reached: {type(exc).__name__}") from None
        listed = self._listed()
        if any(listed.get(version) != key_id for version, key_id in key_ids.items()):
            raise KeyringError(f"the KMS aliases {self._prefix}* name other keys")

    def _resolve(self, key_id: str) -> str:
        """The key id behind an id, an ARN or an alias (an alias must target a key id)."""
        try:
            return str(self._client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"])
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(
                f"the KMS does not know key {key_id}: {type(exc).__name__}"
            ) from None

    def _carry_over(self, legacy_state: Path) -> None:
        primary, key_ids = _read_legacy(legacy_state)
        if primary != max(key_ids):
            raise KeyringError(f"KMS state {legacy_state}: the primary is not the newest version")
        self._name({version: self._resolve(key_id) for version, key_id in key_ids.items()})
        # Kept, renamed, as a record: nothing reads it any more.
        legacy_state.replace(legacy_state.with_name(legacy_state.name + CARRIED_OVER_SUFFIX))

    # --- MasterKeyProvider -----------------------------------------------------------------

    def primary_version(self) -> int:
        self._fresh()
        return max(self._key_ids)

    def versions(self) -> list[int]:
        self._reload()
        return sorted(self._key_ids)

    def wrap(self, key: bytes, aad: bytes) -> tuple[int, bytes]:
        self._fresh()
        version = max(self._key_ids)
        try:
            answer = self._client.encrypt(
                KeyId=self._key_ids[version], Plaintext=key, EncryptionContext=_context(aad)
            )
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(f"the KMS refused to wrap: {type(exc).__name__}") from None
        return version, bytes(answer["CiphertextBlob"])

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        if version not in self._key_ids:
            self._reload()  # made through another instance since the last look
        key_id = self._key_ids.get(version)
        if key_id is None:
            raise KeyringError(f"master key version {version} is not in the KMS")
        try:
            answer = self._client.decrypt(
                CiphertextBlob=wrapped, KeyId=key_id, EncryptionContext=_context(aad)
            )
        except ClientError as exc:
            code = _code(exc)
            if code == "InvalidCiphertextException":
                raise IntegrityError("the wrapped key does not open in this context") from None
            raise KeyringError(f"the KMS refused to unwrap: {code}") from None
        except BotoCoreError as exc:
            raise KeyringError(f"the KMS cannot be reached: {type(exc).__name__}") from None
        return bytes(answer["Plaintext"])

    def check(self) -> None:
        self._reload()
        try:
            self._client.describe_key(KeyId=self._key_ids[max(self._key_ids)])
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(f"the KMS is not usable: {type(exc).__name__}") from None

    def add_version(self) -> int:
        self._reload()
        version = max(self._key_ids) + 1
        try:
            created = self._client.create_key(Description="coffre master key")
            key_id = str(created["KeyMetadata"]["KeyId"])
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(f"the KMS refused a new key: {type(exc).__name__}") from None
        try:
            self._client.create_alias(AliasName=f"{self._prefix}{version}", TargetKeyId=key_id)
        except (ClientError, BotoCoreError) as exc:
            # The key made here is of no use: most likely another process made this version
            # first (an alias name is unique).
            self._schedule_deletion(key_id)
            if isinstance(exc, ClientError) and _code(exc) == "AlreadyExistsException":
                raise KeyringError(
                    f"master key version {version} was made by another process at the same time"
                ) from None
            raise KeyringError(f"the KMS refused an alias: {type(exc).__name__}") from None
        self._reload()
        return version

    def remove_version(self, version: int) -> None:
        self._reload()
        if version == max(self._key_ids) or version not in self._key_ids:
            raise KeyringError(f"master key version {version} is the primary one or unknown")
        try:
            self._client.delete_alias(AliasName=f"{self._prefix}{version}")
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(
                f"the KMS refused to forget the version: {type(exc).__name__}"
            ) from None
        self._schedule_deletion(self._key_ids.pop(version))

    def _schedule_deletion(self, key_id: str) -> None:
        try:
            self._client.schedule_key_deletion(
                KeyId=key_id, PendingWindowInDays=PENDING_DELETION_DAYS
            )
        except (ClientError, BotoCoreError) as exc:
            raise KeyringError(f"the KMS refused to delete the key: {type(exc).__name__}") from None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _read_legacy(path: Path) -> tuple[int, dict[int, str]]:
    try:
        doc = json.loads(path.read_text())
        if doc.get("format") != _LEGACY_FORMAT:
            raise ValueError
        key_ids = {int(v): str(k) for v, k in doc["versions"].items()}
        if not key_ids:
            raise ValueError
        return int(doc["primary"]), key_ids
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise KeyringError(f"KMS state {path} is unreadable or malformed") from None
