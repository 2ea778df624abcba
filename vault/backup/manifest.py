"""The backup folder's layout and its manifest: what each file is, its size and SHA-256, so that
a restore refuses a folder changed since it was written before changing anything. The manifest's
seal (keys.backup) proves the manifest itself is the one the backup wrote."""

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from keys.backup import ManifestSeal

FORMAT = "coffre-backup/2"
# Written before manifests were sealed: restored only when the operator vouches for the folder.
UNSEALED_FORMAT = "coffre-backup/1"
MANIFEST = "manifest.json"
SEAL = "manifest.seal.json"
SEAL_FORMAT = "coffre-backup-seal/1"
DATABASE = "database.jsonl"
OBJECTS = "objects.jsonl"
OBJECTS_DIR = "objects"
# The keyring sealed under the passphrase: to be moved away from the rest (README, "Backups").
KEYRING = "keyring.sealed.json"
# A KMS keeps its master keys itself: the backup then holds no keyring file.
KEYRING_SEALED, KEYRING_KMS = "sealed", "kms"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup that cannot be written, or a folder that cannot be restored, with why."""


@dataclass(frozen=True)
class FileSum:
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    created_at: str
    revision: str
    dialect: str
    # Rows per table, in the order they were written.
    tables: dict[str, int]
    objects: int
    object_bytes: int
    objects_copied: bool
    keyring: str
    files: dict[str, FileSum] = field(default_factory=dict)
    format: str = FORMAT

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "Manifest":
        try:
            doc: dict[str, Any] = json.loads(raw)
            if doc.get("format") not in (FORMAT, UNSEALED_FORMAT):
                raise BackupError(f"{MANIFEST} is not a coffre backup manifest ({FORMAT})")
            files = {name: FileSum(**value) for name, value in doc.pop("files").items()}
            return cls(**doc, files=files)
        except (ValueError, TypeError, KeyError, AttributeError):
            raise BackupError(f"{MANIFEST} cannot be read") from None


def seal_to_json(seal: ManifestSeal) -> bytes:
    doc = {
        "format": SEAL_FORMAT,
        "master_version": seal.master_version,
        "wrapped_key": base64.b64encode(seal.wrapped).decode(),
        "hmac_sha256": base64.b64encode(seal.tag).decode(),
    }
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def seal_from_json(raw: bytes) -> ManifestSeal:
    try:
        doc: dict[str, Any] = json.loads(raw)
        if doc.get("format") != SEAL_FORMAT or type(doc["master_version"]) is not int:
            raise ValueError
        return ManifestSeal(
            doc["master_version"],
            base64.b64decode(doc["wrapped_key"], validate=True),
            base64.b64decode(doc["hmac_sha256"], validate=True),
        )
    except (ValueError, TypeError, KeyError):  # binascii.Error is a ValueError
        raise BackupError(f"{SEAL} cannot be read") from None


def object_path(folder: Path, name: str) -> Path:
    """Objects are spread over folders by their first two characters, as the local store does,
    so that no folder holds millions of files."""
    return folder / OBJECTS_DIR / name[:2] / name


@contextmanager
def create(path: Path) -> Iterator[BinaryIO]:
    """A new file for this user only, on disk when the block ends; refuses to overwrite."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        yield file
        file.flush()
        os.fsync(file.fileno())


def chunks_of(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while piece := file.read(CHUNK):
            yield piece


def sum_of(path: Path) -> FileSum:
    digest, size = hashlib.sha256(), 0
    for piece in chunks_of(path):
        digest.update(piece)
        size += len(piece)
    return FileSum(size, digest.hexdigest())


def mismatch(path: Path, expected: FileSum) -> str | None:
    """Why `path` is not the file the backup wrote, or None if it is."""
    if not path.is_file():
        return f"{path} is missing"
    if sum_of(path) != expected:
        return f"{path} was changed since the backup was written"
    return None
