"""Pictures made from papers, always in the separate, limited process of preview_worker:
several photos of one paper become one PDF; each paper gets a small thumbnail for the lists.

A thumbnail is a blob like any other (role "thumbnail", its own data key wrapped by the owner's
user key, bound to the paper): rotation, re-encryption, verification and erasure treat it as
they treat the original. A paper that cannot be drawn simply has none.
"""

import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from keys.errors import IntegrityError
from storage.base import BlobNotFoundError
from vault.audit import journal
from vault.config import Settings
from vault.db import rows_for_stored, transaction
from vault.documents import preview_worker, watermark
from vault.documents.content_check import PICTURE_TOO_BIG, PICTURE_UNREADABLE
from vault.documents.format_checks import TOO_MANY_PAGES
from vault.documents.service import (
    ORIGINAL,
    BlobOwner,
    KeyCache,
    decrypt_stored_blob,
    note_use,
    recording_owner,
    store_blob,
)
from vault.documents.warm_workers import WORKERS
from vault.documents.watermark import MarkedCopy, copy_type
from vault.documents.worker_process import worker_command
from vault.errors import N_, DamagedFileError, FileTooLargeError, NotFoundError
from vault.models import Blob, Document, Person, Vault, utcnow
from vault.policy import Action, require_document
from vault.runtime import Runtime

THUMBNAIL = "thumbnail"
THUMBNAIL_TYPE = "image/jpeg"
THUMBNAIL_NAME = "vignette.jpg"
JPEG_START = b"\xff\xd8\xff"
# Thumbnails are drawn from papers up to this size, read back whole: larger ones keep the icon.
THUMBNAIL_SOURCE_MAX = 32 * 1024 * 1024
MAX_PHOTOS = 30

NO_THUMBNAIL = N_("Ce papier n'a pas de vignette.")
CANNOT_MARK = N_("Ce papier est abîmé : impossible d'en faire une copie marquée.")
TOO_MANY_PAGES_TO_MARK = N_(
    "Ce papier a trop de pages pour en faire une copie marquée (%(max)s au plus)."
)

log = logging.getLogger(__name__)


class PreviewFailedError(Exception):
    """The worker refused, failed or ran out of time."""

    def __init__(self, status: int | None = None) -> None:
        super().__init__("preview worker failed")
        self.status = status

    @property
    def too_many_pixels(self) -> bool:
        return self.status == preview_worker.TOO_MANY_PIXELS


def run_worker(settings: Settings, job: str, parts: list[bytes]) -> bytes:
    """Run one job of preview_worker on the parts, in a child of its own."""
    command = worker_command(settings, job, settings.preview_memory_mib)
    sizes = b" ".join(b"%d" % len(part) for part in parts) + b"\n"
    with WORKERS.taken(command) as worker:
        try:
            for piece in (sizes, *parts):
                worker.stdin.write(piece)
        except BrokenPipeError:
            raise PreviewFailedError from None  # it stopped before reading it all
        answer = worker.answer(settings.preview_timeout_seconds)
    if answer is None or answer.status != 0 or not answer.result:
        raise PreviewFailedError(answer.status if answer else None)
    return answer.result


def photos_as_one_file(settings: Settings, photos: list[bytes]) -> bytes:
    """One photo cleaned (upright, reduced, without its EXIF and GPS position), or several as
    one PDF in their order. The photos were recognised as JPEG or PNG by their content."""
    try:
        return run_worker(settings, "photos", photos)
    except PreviewFailedError as exc:
        if exc.too_many_pixels:
            raise FileTooLargeError(PICTURE_TOO_BIG, field="file") from exc
        raise DamagedFileError(PICTURE_UNREADABLE, field="file") from exc


def marked_copy(settings: Settings, content: bytes, content_type: str, text: str) -> MarkedCopy:
    """The paper with `text` written across it (watermark), drawn in the limited worker: PDFium
    reads the paper there, not in the process that holds the keys."""
    parts = [content_type.encode(), text.encode(), content]
    try:
        drawn = run_worker(settings, "mark", parts)
    except PreviewFailedError as exc:
        if exc.status == TOO_MANY_PAGES:
            raise DamagedFileError(TOO_MANY_PAGES_TO_MARK, max=watermark.MAX_PAGES) from exc
        raise DamagedFileError(CANNOT_MARK) from exc
    return MarkedCopy(drawn, copy_type(content_type))


def add_thumbnail(rt: Runtime, document_id: str) -> bool:
    """Draw and store the paper's thumbnail; False when it has none (too big, cannot be drawn,
    or gone meanwhile). No transaction stays open while the worker runs."""
    with transaction(rt.sessions) as db:
        document = db.get(Document, document_id)
        original = db.scalars(
            select(Blob).where(Blob.document_id == document_id, Blob.role == ORIGINAL)
        ).one_or_none()
        if (
            document is None
            or document.deleted_at is not None
            or original is None
            or original.plain_size > THUMBNAIL_SOURCE_MAX
        ):
            return False
        owner_id = db.scalars(select(Vault.owner_id).where(Vault.id == document.vault_id)).one()
        keys = KeyCache(db, rt)  # the thumbnail is stored under the original's user key
        plain = b"".join(decrypt_stored_blob(db, rt, original, owner_id, keys))
        user_key_id = original.user_key_id
        owner = BlobOwner(owner_id, user_key_id, keys.get(user_key_id), keys.version(user_key_id))
    try:
        small = run_worker(rt.settings, "thumbnail", [plain])
        # What comes back from a process that read a hostile file is checked too.
        if not small.startswith(JPEG_START):
            raise PreviewFailedError
    except PreviewFailedError:
        log.info("no thumbnail for document %s", document_id)
        return False
    stored = store_blob(rt, owner, document_id, THUMBNAIL, [small])

    def record(db: Session) -> bool:
        document = db.get(Document, document_id)
        if document is None or document.deleted_at is not None:
            rt.store.delete(stored.object_name)
            return False
        live = recording_owner(db, rt, owner)
        db.add(stored.under(document_id, owner, live).row(document_id, THUMBNAIL, live, utcnow()))
        return True

    return rows_for_stored(rt.sessions, record, lambda: rt.store.delete(stored.object_name))


def open_thumbnail(db: Session, rt: Runtime, actor: Person, document_id: str) -> bytes:
    """The thumbnail, for whoever may see the paper. A small picture still shows the paper:
    a professional who gets it is journaled like one who opens the paper (the caller
    commits). One that cannot be read is as good as none."""
    document, access = require_document(db, rt.settings, actor, document_id, Action.VIEW)
    blob = db.scalars(
        select(Blob).where(Blob.document_id == document.id, Blob.role == THUMBNAIL)
    ).first()
    if blob is None:
        raise NotFoundError(NO_THUMBNAIL)
    note_use(db, actor, access, journal.DOCUMENT_DOWNLOADED, document)
    try:
        return b"".join(decrypt_stored_blob(db, rt, blob, access.vault.owner_id))
    except (IntegrityError, BlobNotFoundError) as exc:
        log.error(
            "unreadable thumbnail of paper %s in vault %s: %s",
            document.id,
            document.vault_id,
            type(exc).__name__,
        )
        raise NotFoundError(NO_THUMBNAIL) from None


def with_thumbnail(db: Session, document_ids: Iterable[str]) -> set[str]:
    """Which of these papers have a thumbnail (one query for a whole list)."""
    ids = list(document_ids)
    if not ids:
        return set()
    return set(
        db.scalars(
            select(Blob.document_id).where(Blob.document_id.in_(ids), Blob.role == THUMBNAIL)
        )
    )
