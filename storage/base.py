"""The one interface every blob store implements.

Names are opaque (random, chosen by the caller); a store never sees a title, a category or a
person's name. Writes are atomic: after `put` returns the whole object exists, and if `put`
raises nothing readable is left under that name. A process killed in the middle of a `put`
leaves an unfinished write (a temp file, an S3 multipart upload), never an object:
`sweep_unfinished` removes it.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class BlobStoreError(Exception):
    """The store could not do what was asked (network, permissions, disk)."""


class BlobNotFoundError(BlobStoreError):
    """No object under that name."""


class StoreFullError(BlobStoreError):
    """The store has no room left (disk full, quota of the bucket reached)."""


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int
    modified: datetime


class BlobStore(Protocol):
    def put(self, name: str, chunks: Iterable[bytes]) -> int:
        """Store the stream under `name` atomically; return the number of bytes written.

        If iterating `chunks` raises, the exception propagates and nothing is left behind.
        """
        ...

    def get(self, name: str) -> Iterator[bytes]:
        """Stream the object back in chunks; BlobNotFoundError if absent."""
        ...

    def delete(self, name: str) -> None:
        """Remove the object; no error if it is already gone."""
        ...

    def exists(self, name: str) -> bool: ...

    def list(self) -> Iterator[BlobInfo]:
        """Every stored object, for the orphan sweeper and integrity checks."""
        ...

    def sweep_unfinished(self, older_than: datetime) -> int:
        """Remove the writes begun before `older_than` that never ended (left by a process
        killed mid-upload, or by a failure that could not be cleaned up); return how many."""
        ...

    def check(self) -> None:
        """Raise BlobStoreError unless the store is reachable and writable (readiness probe)."""
        ...
