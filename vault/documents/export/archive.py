"""The ZIP, written as it is read. zipstream-ng has no types: its calls stay in this module.

Members are stored, not deflated: scans and PDFs are already compressed, and storing costs no
CPU. Nothing is read before its turn in the stream, so memory stays flat whatever the size."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import zipstream


@dataclass(frozen=True)
class Member:
    path: str
    chunks: Iterable[bytes]
    # When known, the header says it and the member needs no ZIP64 extension.
    size: int | None = None


def zip_stream(members: Iterable[Member]) -> Iterator[bytes]:
    """The archive of `members`, each taken only once the one before is written: a member may
    be decided at its turn."""
    archive = zipstream.ZipStream(compress_type=zipstream.ZIP_STORED)
    for member in members:
        archive.add(member.chunks, member.path, size=member.size)
        yield from archive.file()
    yield from archive.footer()
