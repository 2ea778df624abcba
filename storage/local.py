"""Blob store in a local directory: the embedded default.

Layout: `root/ab/abcdef...` (sharded by the first two characters of the name so no directory
grows past what `ls` or a backup tool handles well) and `root/.tmp/` for writes in progress.
The temp folder lives under root so `os.replace` never crosses a file system and stays atomic.
"""

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from storage.base import BlobInfo, BlobNotFoundError, BlobStoreError, StoreFullError
from storage.names import check_name

READ_SIZE = 1024 * 1024
TMP_DIR = ".tmp"
# A write in progress never lasts this long; older temp files are leftovers of a crash, removed
# when the store opens (`coffre storage sweep` removes them sooner, after its grace period).
STALE_TMP_AGE = timedelta(hours=24)
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


@contextlib.contextmanager
def _os_errors(action: str) -> Iterator[None]:
    """Turn OSError from the file system into BlobStoreError (StoreFullError for a full disk
    or a used-up quota; permissions, I/O errors...)."""
    try:
        yield
    except OSError as exc:
        kind = StoreFullError if exc.errno in _FULL else BlobStoreError
        raise kind(f"local store: cannot {action}: {exc.strerror or exc}") from exc


def _fsync_dir(path: Path) -> None:
    # Makes the directory entry itself durable, not only the file's data.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / TMP_DIR
        with _os_errors("create the store directory"):
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._tmp.mkdir(mode=0o700, exist_ok=True)
        self.sweep_unfinished(datetime.now(UTC) - STALE_TMP_AGE)

    def sweep_unfinished(self, older_than: datetime) -> int:
        """Remove the temp files last written before `older_than`."""
        cutoff = older_than.timestamp()
        removed = 0
        with _os_errors("list the temp files"):
            entries = list(self._tmp.iterdir())
        for entry in entries:
            with _os_errors("remove a temp file"), contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed

    def _path(self, name: str) -> Path:
        check_name(name)
        return self.root / name[:2] / name

    def put(self, name: str, chunks: Iterable[bytes]) -> int:
        target = self._path(name)
        with _os_errors("create a temp file"):
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp)
        tmp = Path(tmp_name)
        total = 0
        try:
            with os.fdopen(fd, "wb") as out:
                # Only the writes are wrapped: an error raised by `chunks` is the caller's
                # and must reach them unchanged.
                for chunk in chunks:
                    with _os_errors("write"):
                        out.write(chunk)
                    total += len(chunk)
                with _os_errors("write"):
                    out.flush()
                    os.fsync(out.fileno())
            with _os_errors("store the blob"):
                self._ensure_shard(target.parent)
                os.replace(tmp, target)
                _fsync_dir(target.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return total

    def _ensure_shard(self, shard: Path) -> None:
        if shard.is_dir():
            return
        shard.mkdir(mode=0o700, exist_ok=True)
        _fsync_dir(self.root)

    def get(self, name: str) -> Iterator[bytes]:
        path = self._path(name)
        try:
            stream = path.open("rb")
        except FileNotFoundError:
            raise BlobNotFoundError(name) from None
        except OSError as exc:
            raise BlobStoreError(f"local store: cannot open: {exc.strerror or exc}") from exc
        return self._read(stream)

    @staticmethod
    def _read(stream: BinaryIO) -> Iterator[bytes]:
        with stream:
            while True:
                with _os_errors("read"):
                    chunk = stream.read(READ_SIZE)
                if not chunk:
                    return
                yield chunk

    def delete(self, name: str) -> None:
        path = self._path(name)
        with _os_errors("delete"):
            path.unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        path = self._path(name)
        with _os_errors("stat"):
            return path.is_file()

    def list(self) -> Iterator[BlobInfo]:
        with _os_errors("list"):
            shards = sorted(p for p in self.root.iterdir() if p.name != TMP_DIR and p.is_dir())
        for shard in shards:
            with _os_errors("list"):
                entries = sorted(shard.iterdir())
            for entry in entries:
                try:
                    stat = entry.stat()
                except FileNotFoundError:
                    continue  # deleted while we were listing
                yield BlobInfo(
                    name=entry.name,
                    size=stat.st_size,
                    modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
                )

    def check(self) -> None:
        with _os_errors("write a probe file"):
            fd, probe = tempfile.mkstemp(dir=self._tmp, prefix="probe-")
            try:
                os.write(fd, b"probe")
                os.fsync(fd)
            finally:
                os.close(fd)
                os.unlink(probe)
