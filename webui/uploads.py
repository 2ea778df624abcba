"""The upload journey shared by the API and the pages: stream the file part of a form into
the vault (checked, encrypted, stored), collect the other fields, then record the document.

A form may carry one PDF, or one or more photos of the same paper (JPEG, PNG): a PDF streams
straight into the vault, whatever its size; photos are held in memory (the whole body is bounded
by max_upload_bytes) until the last one, then become one file (vault/documents/previews.py)."""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import anyio.to_thread
from fastapi import Request
from sqlalchemy.orm import Session

from vault.db import rows_for_stored
from vault.documents import previews
from vault.documents.content_check import read_checked, store_checked
from vault.documents.inspection import too_large
from vault.documents.png_metadata import without_metadata
from vault.documents.service import (
    DocumentFields,
    DocumentView,
    StoredUpload,
    UploadPlan,
    create_document,
    discard_upload,
    inspect_upload,
    plan_upload,
    store_upload,
)
from vault.errors import N_, FileTooLargeError, InvalidInputError, VaultError
from vault.models import Person
from vault.runtime import Runtime
from webui.api.schemas import calendar_date
from webui.bodies import declared_length
from webui.multipart import FilePart, MultipartReader, TextField

# Room for the form's other fields and multipart boundaries on top of the file itself.
FORM_OVERHEAD = 256 * 1024
PDF = "application/pdf"
# A PNG alone keeps its pixels as they were sent (a scan or a screenshot, lossless); only
# its metadata goes (vault/documents/png_metadata.py).
KEPT_AS_IS = "image/png"

MIXED = N_("Envoyez soit des photos, soit un seul PDF.")
TOO_MANY_PHOTOS = N_("Envoyez %(max)s photos au plus.")
TWICE = N_("Le formulaire envoyé a deux fois le même champ.")

log = logging.getLogger(__name__)

Found = TypeVar("Found")


@dataclass
class Photo:
    content_type: str
    content: bytes


@dataclass
class ReceivedForm:
    fields: dict[str, str] = field(default_factory=dict)
    stored: StoredUpload | None = None
    filename: str | None = None
    # The photos of one paper, in the order they were sent, until they become one file.
    photos: list[Photo] = field(default_factory=list)


def declared_oversize(request: Request, rt: Runtime) -> FileTooLargeError | None:
    """The refusal a body too big by its headers alone gets, before its file is read."""
    limit = rt.settings.max_upload_bytes
    if _declared(request) > limit + FORM_OVERHEAD:
        return too_large(limit)
    return None


def _declared(request: Request) -> int:
    return declared_length(request.headers) or 0


async def read_then_release(db: Session, read: Callable[[Session], Found]) -> Found:
    """What `read` finds with the request's session, which then ends: no connection is held
    while the body streams in (the upload has its own transactions). In a worker thread, as
    any database work: a round trip or an fsync on the event loop would hold up every other
    request."""

    def run() -> Found:
        found = read(db)
        db.commit()
        db.close()
        return found

    return await anyio.to_thread.run_sync(run)


async def receive_form(
    request: Request,
    rt: Runtime,
    actor: Person,
    vault_id: str,
    check_fields: Callable[[dict[str, str]], None] | None = None,
    into: ReceivedForm | None = None,
) -> ReceivedForm:
    """Read the whole form. `check_fields` (e.g. of a CSRF token) sees the fields sent before
    the file, and may raise to stop before a single byte is stored; it sees every field again
    once the form is read, where a refusal removes what was stored. A field sent twice is
    refused: a second value could differ from the one checked before the file.

    `into` is filled as the parts arrive, so a caller that catches a refusal still has what was
    typed, before the file or after it, to show the form again. A body declared too big is
    refused before any of it is read; with `into`, after the fields sent before the file."""
    form = into if into is not None else ReceivedForm()
    oversize = declared_oversize(request, rt)
    if oversize is not None and into is None:
        raise oversize
    limit = rt.settings.max_upload_bytes
    reader = MultipartReader(request, max_body=limit + FORM_OVERHEAD)
    plan: UploadPlan | None = None
    try:
        while (part := await reader.next_part()) is not None:
            if isinstance(part, TextField):
                if part.name in form.fields:
                    raise InvalidInputError(TWICE, field=part.name)
                form.fields[part.name] = part.value
            elif oversize is not None:
                raise oversize
            elif part.name == "file" and part.filename:
                if plan is None:
                    if check_fields is not None:
                        check_fields(form.fields)
                    plan = await anyio.to_thread.run_sync(_plan, rt, actor, vault_id)
                    if _declared(request) > plan.free_bytes + FORM_OVERHEAD:
                        raise plan.over_quota()
                    form.filename = part.filename
                await anyio.to_thread.run_sync(
                    _take_file, rt, plan, reader.file_chunks_in_thread(), form
                )
            else:
                await _skip_file(reader, part)
        if plan is not None and form.photos:
            form.stored = await anyio.to_thread.run_sync(_store_photos, rt, plan, form)
        if check_fields is not None:
            check_fields(form.fields)
    except VaultError as exc:
        form.photos.clear()
        if form.stored is not None:
            discard_upload(rt.store, form.stored)
        if not isinstance(exc, FileTooLargeError):
            for name, value in (await reader.remaining_fields()).items():
                form.fields.setdefault(name, value)
        raise
    except BaseException:
        form.photos.clear()
        if form.stored is not None:
            discard_upload(rt.store, form.stored)
        raise
    return form


def _take_file(rt: Runtime, plan: UploadPlan, chunks: Iterator[bytes], form: ReceivedForm) -> None:
    """In a worker thread: a PDF streams into the vault; a photo is kept for later. Each is
    recognised by its content before anything else is done with it, and opened by its format's
    library as it streams (content_check)."""
    upload = inspect_upload(rt, plan, chunks)
    content_type = upload.content_type()
    if form.stored is not None or (content_type == PDF and form.photos):
        raise InvalidInputError(MIXED, field="file")
    if content_type == PDF:
        form.stored = store_checked(rt, plan, upload)
        return
    if len(form.photos) >= previews.MAX_PHOTOS:
        raise InvalidInputError(TOO_MANY_PHOTOS, field="file", max=previews.MAX_PHOTOS)
    form.photos.append(Photo(content_type, read_checked(rt.settings, upload)))
    limit = rt.settings.max_upload_bytes
    if sum(len(p.content) for p in form.photos) > min(limit, plan.free_bytes):
        raise plan.over_quota() if plan.free_bytes < limit else too_large(limit)


def _store_photos(rt: Runtime, plan: UploadPlan, form: ReceivedForm) -> StoredUpload:
    """One PNG without its metadata; one JPEG cleaned; several photos as one PDF."""
    photos, form.photos = form.photos, []
    if len(photos) == 1 and photos[0].content_type == KEPT_AS_IS:
        return store_upload(rt, plan, [without_metadata(photos[0].content)])
    made = previews.photos_as_one_file(rt.settings, [p.content for p in photos])
    return store_upload(rt, plan, [made])


async def _skip_file(reader: MultipartReader, _part: FilePart) -> None:
    while await reader.read_file_chunk() is not None:
        pass


def _plan(rt: Runtime, actor: Person, vault_id: str) -> UploadPlan:
    """A refusal keeps what it must (VaultError.keeps_writes): the owner's journal line of an
    addition someone was refused."""
    with rt.sessions() as db:
        try:
            plan = plan_upload(db, rt, actor, vault_id)
        except VaultError as exc:
            if exc.keeps_writes:
                db.commit()
            raise
        db.commit()
        return plan


def parse_date(value: str | None, field_name: str) -> date | None:
    if not value or not value.strip():
        return None
    try:
        return calendar_date(value.strip())
    except ValueError as exc:
        raise InvalidInputError(
            "La date doit être une vraie date, par exemple 2030-12-31.", field=field_name
        ) from exc


async def record_document(
    rt: Runtime,
    actor: Person,
    form: ReceivedForm,
    read_date: Callable[[str | None, str], date | None] = parse_date,
) -> DocumentView:
    """Write the rows of a stored upload; if that fails, a wrong date included, the stored
    object is removed. `read_date`: how the form's date is read (the pages take more ways of
    writing one than the API). The caller then has its thumbnail made
    (thumbnail_if_possible)."""
    if form.stored is None:
        raise InvalidInputError("Choisissez un fichier.", field="file")
    stored = form.stored

    def write(db: Session) -> DocumentView:
        fields = DocumentFields(
            title=form.fields.get("title", ""),
            category=form.fields.get("category", ""),
            expires_on=read_date(form.fields.get("expires_on"), "expires_on"),
            filename=form.filename,
        )
        return create_document(db, rt, actor, stored, fields)

    def record() -> DocumentView:
        return rows_for_stored(rt.sessions, write, lambda: discard_upload(rt.store, stored))

    return await anyio.to_thread.run_sync(record)


def thumbnail_if_possible(rt: Runtime, document_id: str) -> None:
    """The paper is kept whatever happens to its thumbnail: without one, lists show an icon.
    A paper's thumbnail is made after it is recorded (see the routes that call this)."""
    try:
        previews.add_thumbnail(rt, document_id)
    except Exception:
        log.exception("thumbnail of document %s not stored", document_id)
