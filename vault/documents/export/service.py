"""The holder takes everything: every paper in its original form (those in the bin in a folder
of their own: they are still the holder's until the bin erases them), a manifest and the
journal. The law on digital safes gives the holder this, free, at any time; the policy
gives it to them alone (Action.EXPORT): a helper takes papers one by one, each journaled.

What needs the database happens in `prepare_export`, in the request's transaction: the
refusals, the journal line, the titles and every data key. The bytes are then read, decrypted
and zipped as the archive is sent, with no connection held (a short read follows a paper that
a re-encryption moved meanwhile).

A paper that cannot be read is left out and named in the manifest's `unreadable` list (its id,
category and dates, never a title): found before the first byte when its keys or sealed text
are damaged, or at its turn when its object is missing (not moved to a new one by a
re-encryption since: that one is read) or its first piece is not authentic. A
paper found damaged further in stops the stream: the archive is then visibly incomplete (no
central directory), never a complete-looking ZIP with a damaged paper inside."""

import csv
import hashlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import chain

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.accounts import hold
from vault.audit import journal
from vault.consent.history import MAX_PAGE_SIZE, HistoryLine, history
from vault.db import transaction
from vault.documents.expiry import expiry_of
from vault.documents.export.archive import Member
from vault.documents.export.names import UniqueNames, category_folder
from vault.documents.service import (
    DocumentView,
    OpenedPaper,
    moved_original,
    open_papers,
    own_titles,
)
from vault.documents.unreadable import Problem, decrypted
from vault.errors import N_, UnreadableError
from vault.models import Document, Person, utcnow
from vault.policy import Action, require_vault
from vault.runtime import Runtime

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
JOURNAL = "journal.csv"
# Where the papers waiting in the bin go, each in its category's folder there too.
BIN_FOLDER = "corbeille"
NO_EXPORT = N_(
    "Pendant que vos papiers sont fermés, vous ne pouvez pas prendre tous vos papiers. "
    "Entrez d'abord un de vos codes de secours, ou attendez le %(day)s à %(time)s."
)
# The columns of journal.csv, in English like the API's fields.
JOURNAL_COLUMNS = ("date", "who", "organisation", "what", "paper")
# A cell a spreadsheet would run as a formula is kept as text (a title is free text).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportStoppedError(Exception):
    """A paper could not be read while the archive was being sent: the stream stops there."""


@dataclass(frozen=True)
class Export:
    vault_id: str
    made_at: datetime
    papers: list[tuple[str, OpenedPaper]]  # (path in the archive, paper)
    expiry_soon_days: int
    # When each paper in the bin was put there, by paper id.
    binned: dict[str, datetime] = field(default_factory=dict)
    # Left out: those found before the stream, then those found at their turn in it.
    unreadable: list[DocumentView] = field(default_factory=list)
    # Filled as each paper streams: the SHA-256 of its original bytes, for the manifest.
    digests: dict[str, str] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"coffre-{self.made_at.date().isoformat()}.zip"


def prepare_export(db: Session, rt: Runtime, actor: Person, vault_id: str) -> Export:
    """Check, journal and gather; the caller commits before the first byte is sent."""
    access = require_vault(db, rt.settings, actor, vault_id, Action.EXPORT)
    # While papers are closed after a reset made with a counsellor, the account may hold
    # someone else: taking everything waits, like new recovery codes do.
    hold.refuse_during_hold(db, actor, NO_EXPORT)
    documents = db.scalars(
        select(Document)
        .where(Document.vault_id == access.vault.id)
        .order_by(Document.created_at, Document.id)
    ).all()
    # The papers first, then the bin's: sorted is stable, each part keeps its order.
    documents = sorted(documents, key=lambda d: d.deleted_at is not None)
    binned = {d.id: d.deleted_at for d in documents if d.deleted_at is not None}
    opened, unreadable = open_papers(db, rt, access.vault.owner_id, documents)
    names = UniqueNames(MANIFEST, JOURNAL)
    papers = [
        (names.path(_folder(p.view, binned), p.title, p.view.content_type), p) for p in opened
    ]
    journal.record(
        db, subject_id=access.vault.owner_id, actor_id=actor.id, action=journal.EXPORT_MADE
    )
    return Export(
        access.vault.id, utcnow(), papers, rt.settings.expiry_soon_days, binned, unreadable
    )


def _folder(view: DocumentView, binned: dict[str, datetime]) -> str:
    folder = category_folder(view.category)
    return f"{BIN_FOLDER}/{folder}" if view.id in binned else folder


def members(rt: Runtime, export: Export, journal_csv: bytes) -> Iterator[Member]:
    """The papers, then the manifest (written once every paper has streamed, with their
    checksums and the papers left out), then the journal. Each paper is opened at its turn:
    zip_stream takes a member only once the one before is written."""
    for path, paper in export.papers:
        chunks = _paper_chunks(rt, export, paper)
        if chunks is not None:
            yield Member(path, chunks, paper.view.size)
    yield Member(MANIFEST, _manifest(export))
    yield Member(JOURNAL, [journal_csv], len(journal_csv))


def _paper_chunks(rt: Runtime, export: Export, paper: OpenedPaper) -> Iterator[bytes] | None:
    """The paper's bytes, its first piece already authenticated; None (and the paper named in
    the manifest) when its object is missing or that piece is not authentic. An object that
    is missing because a re-encryption moved the paper to a new one since the export began
    is followed there."""
    try:
        pieces = _first_checked(rt, export, paper)
    except UnreadableError as exc:
        moved = _moved(rt, paper) if exc.problem == Problem.BLOB_MISSING else None
        if moved is None:
            export.unreadable.append(replace(paper.view, title=None, filename=None, readable=False))
            return None
        return _paper_chunks(rt, export, moved)
    return _streamed(export, paper, pieces)


def _first_checked(rt: Runtime, export: Export, paper: OpenedPaper) -> Iterator[bytes]:
    pieces = decrypted(rt.store, paper.object_name, paper.data_key, paper.context, export.vault_id)
    return chain([next(pieces, b"")], pieces)


def _moved(rt: Runtime, paper: OpenedPaper) -> OpenedPaper | None:
    with transaction(rt.readers) as db:
        return moved_original(db, rt, paper)


def _streamed(export: Export, paper: OpenedPaper, pieces: Iterator[bytes]) -> Iterator[bytes]:
    digest = hashlib.sha256()
    try:
        for piece in pieces:
            digest.update(piece)
            yield piece
    except Exception as exc:
        # One line, ids only, no traceback (an unreadable paper's own line is already written).
        if not isinstance(exc, UnreadableError):
            log.error(
                "export of vault %s stopped: paper %s could not be read: %s",
                export.vault_id,
                paper.view.id,
                type(exc).__name__,
            )
        raise ExportStoppedError(paper.view.id) from exc
    export.digests[paper.view.id] = digest.hexdigest()


def _manifest(export: Export) -> Iterator[bytes]:
    today = export.made_at.date()
    entries = [
        {
            "id": p.view.id,
            "path": path,
            "title": p.view.title,
            "category": p.view.category,
            "content_type": p.view.content_type,
            "size": p.view.size,
            "sha256": export.digests[p.view.id],
            "created_at": p.view.created_at.isoformat(),
            "expires_on": p.view.expires_on.isoformat() if p.view.expires_on else None,
            "expiry": expiry_of(p.view.expires_on, today=today, soon_days=export.expiry_soon_days),
            "added_by": p.view.uploaded_by_name,
            "deleted_at": _deleted_at(export, p.view),
        }
        for path, p in export.papers
        if p.view.id in export.digests
    ]
    unreadable = [
        {
            "id": view.id,
            "category": view.category,
            "content_type": view.content_type,
            "size": view.size,
            "created_at": view.created_at.isoformat(),
            "expires_on": view.expires_on.isoformat() if view.expires_on else None,
            "expiry": expiry_of(view.expires_on, today=today, soon_days=export.expiry_soon_days),
            "added_by": view.uploaded_by_name,
            "deleted_at": _deleted_at(export, view),
        }
        for view in export.unreadable
    ]
    document = {"made_at": export.made_at.isoformat(), "papers": entries, "unreadable": unreadable}
    yield json.dumps(document, ensure_ascii=False, indent=2).encode()


def _deleted_at(export: Export, view: DocumentView) -> str | None:
    deleted_at = export.binned.get(view.id)
    return deleted_at.isoformat() if deleted_at else None


def journal_csv(
    db: Session,
    rt: Runtime,
    owner: Person,
    describe: Callable[[HistoryLine, dict[str, str]], str],
) -> bytes:
    """The owner's whole history, oldest first, each line in the words of the history page
    (`describe`). Ids, names and titles only: the journal holds no secret."""
    lines: list[HistoryLine] = []
    before = None
    while True:
        page = history(db, owner, limit=MAX_PAGE_SIZE, before=before)
        lines += page.lines
        if page.older is None:
            break
        before = page.older
    titles = own_titles(db, rt, owner, {line.document_id for line in lines if line.document_id})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(JOURNAL_COLUMNS)
    for line in reversed(lines):
        writer.writerow(
            _cell(value)
            for value in (
                line.occurred_at.isoformat(timespec="seconds"),
                line.actor_name or "",
                line.organisation_name or "",
                describe(line, titles),
                titles.get(line.document_id or "", ""),
            )
        )
    # With a byte order mark, spreadsheets read the accents right.
    return ("\ufeff" + out.getvalue()).encode()


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
