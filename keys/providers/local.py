"""Master keys kept in a local JSON keyring file, the embedded default.

    {"format": 1, "primary": 2, "versions": {"1": "<base64 key>", "2": "<base64 key>"}}

Losing this file loses every document, so it is only ever written through a fsynced temporary
file moved into place, and a file other users could read or write is refused, not used.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
import secrets
import stat
from pathlib import Path

from keys.errors import KeyringError
from keys.wrap import KEY_SIZE, new_key, unwrap_key, wrap_key

_FORMAT = 1
_VERSION_NAME = re.compile(r"[1-9][0-9]*")


class LocalKeyring:
    """A MasterKeyProvider backed by a keyring file.

    Rotate (add_version) from one process at a time: the file is re-read just before being
    rewritten, but two simultaneous rotations could still race.
    """

    def __init__(self, path: Path, primary: int, keys: dict[int, bytes]) -> None:
        self._path = path
        self._primary = primary
        self._keys = keys
        self._seen = _stamp(path)

    def _refresh(self) -> None:
        """Pick up a rotation or retirement done by another process (another app instance, the
        `coffre keys` command): the file is re-read whenever it changed."""
        stamp = _stamp(self._path)
        if stamp != self._seen:
            self._primary, self._keys = _load(self._path)
            self._seen = stamp

    @classmethod
    def open(cls, path: Path, create: bool = True) -> LocalKeyring:
        """Open the keyring at `path`, creating it with one version if missing and `create`."""
        if create and not os.path.lexists(path):
            _write(path, _serialize(1, {1: new_key()}), replace=False)
        return cls(path, *_load(path))

    def primary_version(self) -> int:
        self._refresh()
        return self._primary

    def versions(self) -> list[int]:
        self._refresh()
        return sorted(self._keys)

    def wrap(self, key: bytes, aad: bytes) -> tuple[int, bytes]:
        self._refresh()
        return self._primary, wrap_key(self._keys[self._primary], key, aad)

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        self._refresh()
        master_key = self._keys.get(version)
        if master_key is None:
            raise KeyringError(f"master key version {version} is not in the keyring")
        return unwrap_key(master_key, wrapped, aad)

    def check(self) -> None:
        """Re-read the file: it must still be safe and give every version this object uses the
        same key, unless that version was retired meanwhile by another process (`coffre keys
        retire-master`: a version older than the file's primary, while the file still holds
        another version this object holds, the same), which is then picked up. A file that
        shares no version with this object is another keyring."""
        primary, on_disk = _load(self._path)
        shared = self._keys.keys() & on_disk.keys()
        for version, master_key in self._keys.items():
            kept = on_disk.get(version)
            if kept is None and version < primary and shared:
                continue
            if not hmac.compare_digest(kept or b"", master_key):
                raise KeyringError(
                    f"keyring {self._path} no longer holds master key version {version}"
                )
        self._refresh()

    def add_version(self) -> int:
        """Add a new random master key and make it primary; returns its version."""
        # Start from the file, not from memory, so versions added by another process are kept.
        _, keys = _load(self._path)
        missing = self._keys.keys() - keys.keys()
        if missing:
            raise KeyringError(f"keyring {self._path} lost versions {sorted(missing)}; restore it")
        version = max(keys) + 1
        keys[version] = new_key()
        _write(self._path, _serialize(version, keys), replace=True)
        self._primary, self._keys, self._seen = version, keys, _stamp(self._path)
        return version

    def remove_version(self, version: int) -> None:
        """Forget a retired master key: whatever it alone wrapped becomes unreadable for good.
        The caller checks that nothing references it any more."""
        _, keys = _load(self._path)
        if version == self._primary or version not in keys:
            raise KeyringError(f"master key version {version} is the primary one or unknown")
        del keys[version]
        _write(self._path, _serialize(self._primary, keys), replace=True)
        self._keys = keys

    def export_document(self) -> bytes:
        """The keyring file's content, for an encrypted backup (keys.backup)."""
        primary, keys = _load(self._path)
        return _serialize(primary, keys)

    @classmethod
    def unsaved(cls, path: Path, document: bytes) -> LocalKeyring:
        """The keyring a backup holds, in memory only: to check what it wrapped before anything
        is restored. Nothing is written at `path`."""
        return cls(path, *_parse(path, document))

    @classmethod
    def restore(cls, path: Path, document: bytes) -> LocalKeyring:
        """Write a keyring from a backup's content; refuses to overwrite an existing keyring."""
        primary, keys = _parse(path, document)
        if path.exists():
            raise KeyringError(f"a keyring already exists at {path}; move it away first")
        _write(path, _serialize(primary, keys), replace=False)
        return cls.open(path, create=False)


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (0, 0, 0)
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def _load(path: Path) -> tuple[int, dict[int, bytes]]:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise KeyringError(f"no keyring at {path}") from None
    except OSError as exc:
        raise KeyringError(f"cannot open keyring {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        # fstat of the opened file, so the checked file is the one read.
        mode = os.fstat(file.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise KeyringError(f"keyring {path} is not a regular file")
        if stat.S_IMODE(mode) & 0o077:
            raise KeyringError(
                f"keyring {path} is accessible to other users; run: chmod 600 {path}"
            )
        raw = file.read()
    return _parse(path, raw)


def _parse(path: Path, raw: bytes) -> tuple[int, dict[int, bytes]]:
    def malformed(why: str) -> KeyringError:
        return KeyringError(f"keyring {path} is malformed: {why}")

    try:
        doc = json.loads(raw)
    except ValueError:
        raise malformed("not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise malformed(f"format is not {_FORMAT}")
    versions = doc.get("versions")
    if not isinstance(versions, dict) or not versions:
        raise malformed("no key versions")
    keys: dict[int, bytes] = {}
    for name, encoded in versions.items():
        if not _VERSION_NAME.fullmatch(name):
            raise malformed("versions must be positive integers")
        try:
            master_key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, TypeError):
            raise malformed(f"key of version {name} is not base64") from None
        if len(master_key) != KEY_SIZE:
            raise malformed(f"key of version {name} is not {KEY_SIZE} bytes")
        keys[int(name)] = master_key
    primary = doc.get("primary")
    # type() rather than isinstance(): JSON true is a bool, and bools are ints.
    if type(primary) is not int or primary not in keys:
        raise malformed("primary is not one of the versions")
    return primary, keys


def _serialize(primary: int, keys: dict[int, bytes]) -> bytes:
    versions = {str(v): base64.b64encode(k).decode() for v, k in sorted(keys.items())}
    doc = {"format": _FORMAT, "primary": primary, "versions": versions}
    return (json.dumps(doc, indent=2) + "\n").encode()


def _write(path: Path, content: bytes, *, replace: bool) -> None:
    """Write `content` to `path` atomically and durably, mode 0600.

    replace=False links the file into place, which fails if another process created the keyring
    meanwhile: theirs is kept, as keys may already be wrapped under it.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            if replace:
                os.replace(temporary, path)
            else:
                try:
                    os.link(temporary, path)
                except FileExistsError:
                    pass
        finally:
            temporary.unlink(missing_ok=True)
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as exc:
        raise KeyringError(f"cannot write keyring {path}: {exc.strerror}") from None
