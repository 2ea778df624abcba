"""Documents through the API: upload (streamed), list, metadata, content, change, delete."""

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import StreamingResponse

from storage.readahead import ReadAhead
from vault.accounts.accounts import vault_of
from vault.documents import previews, reports, service
from vault.documents.categories import Category
from vault.documents.expiry import rule_of
from vault.documents.filenames import download_name
from vault.errors import NotFoundError
from vault.models import Person
from vault.policy import NOT_FOUND_VAULT
from webui.api.schemas import DocumentOut, DocumentPatch, ErrorOut
from webui.deps import ApiUser, DbSession, RuntimeDep
from webui.served import served_headers
from webui.uploads import (
    read_then_release,
    receive_form,
    record_document,
    thumbnail_if_possible,
)

router = APIRouter(tags=["documents"])

# What a stored paper can be: a PDF, a JPEG or a PNG (several photos are stored as one PDF).
STORED_TYPES = ("application/pdf", "image/jpeg", "image/png")
UNREADABLE: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorOut,
        "description": "The paper is damaged: its keys, sealed title or stored object cannot be "
        "read (it is listed with `readable` false, or its object is missing or altered). It "
        "can be reported: POST /documents/{id}/report.",
    }
}


def resolve_vault_id(db: DbSession, person: Person, vault_id: str) -> str:
    """`me` stands for the caller's own vault."""
    if vault_id != "me":
        return vault_id
    vault = vault_of(db, person.id)
    if vault is None:
        raise NotFoundError(NOT_FOUND_VAULT)
    return vault.id


# The form as webui/uploads.py reads it; other parts are read and dropped.
UPLOAD_FORM = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "category"],
                "properties": {
                    "file": {
                        "description": "One PDF, or one or more photos (JPEG, PNG) of one paper, "
                        "each a `file` part with a file name: several photos become one PDF, "
                        "pages in the parts' order; one photo (JPEG) is stored upright, reduced "
                        "and without its EXIF or GPS data.",
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "minItems": 1,
                        "maxItems": previews.MAX_PHOTOS,
                    },
                    # Any text (no `type`: a form part is text whatever it says, "null"
                    # included); at most 200 characters once spaces are collapsed.
                    "title": {
                        "description": "The paper's name; the category's label if left out or "
                        "blank. At most 200 characters once spaces are collapsed.",
                        "examples": ["Carte d'identité"],
                    },
                    "category": {"type": "string", "enum": list(Category)},
                    "expires_on": {
                        "type": "string",
                        "anyOf": [{"format": "date"}, {"pattern": r"^\s*$"}],
                        "description": "When the paper stops being valid; blank: it does not.",
                        "examples": ["2031-05-01"],
                    },
                },
            },
            "encoding": {"file": {"contentType": ", ".join(STORED_TYPES)}},
        }
    },
}


@router.post(
    "/vaults/{vault_id}/documents",
    status_code=201,
    responses={
        413: {
            "model": ErrorOut,
            "description": "Larger than the instance allows, or than the room left in the "
            "person's vault (the message says how much is left), a picture of more pixels "
            "(COFFRE_MAX_IMAGE_PIXELS), or a PDF of more pages (COFFRE_MAX_PDF_PAGES) than the "
            "instance allows; nothing is stored.",
        },
        415: {"model": ErrorOut, "description": "Not a JPEG, PNG or PDF; nothing is stored."},
        422: {
            "model": ErrorOut,
            "description": "A field is wrong or sent twice, the form is cut short (no closing "
            "boundary), a PDF comes with other files, more than 30 photos, a file is cut short "
            "or its format's library cannot read it, or a PDF needs a password, holds "
            "JavaScript, a launch action or attached files (the message says which); nothing "
            "is stored.",
        },
    },
    openapi_extra={"requestBody": UPLOAD_FORM},
)
async def upload_document(
    vault_id: str,
    request: Request,
    person: ApiUser,
    db: DbSession,
    rt: RuntimeDep,
    after_answer: BackgroundTasks,
) -> DocumentOut:
    """Add a paper. The file is checked, encrypted and stored as it arrives. Its thumbnail is
    made just after the answer (GET .../thumbnail answers 404 until then)."""
    target = await read_then_release(db, lambda db: resolve_vault_id(db, person, vault_id))
    form = await receive_form(request, rt, person, target)
    view = await record_document(rt, person, form)
    # A separate process draws it (~0.1 s or more): the caller need not wait for it.
    after_answer.add_task(thumbnail_if_possible, rt, view.id)
    return DocumentOut.of(view, rule_of(rt.settings))


@router.get("/vaults/{vault_id}/documents")
def list_documents(
    vault_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep
) -> list[DocumentOut]:
    views = service.list_documents(db, rt, person, resolve_vault_id(db, person, vault_id))
    rule = rule_of(rt.settings)
    return [DocumentOut.of(v, rule) for v in views]


@router.get("/documents/{document_id}")
def get_document(document_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep) -> DocumentOut:
    view = service.get_document(db, rt, person, document_id)
    return DocumentOut.of(view, rule_of(rt.settings))


@router.patch("/documents/{document_id}", responses=UNREADABLE)
def update_document(
    document_id: str, body: DocumentPatch, person: ApiUser, db: DbSession, rt: RuntimeDep
) -> DocumentOut:
    sent = body.model_fields_set
    view = service.update_document(
        db,
        rt,
        person,
        document_id,
        title=body.title,
        category=body.category,
        expires_on=body.expires_on,
        clear_expiry="expires_on" in sent and body.expires_on is None,
        private=body.private,
    )
    return DocumentOut.of(view, rule_of(rt.settings))


@router.delete("/documents/{document_id}", status_code=204)
def delete_document(document_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep) -> Response:
    """Move the paper to the bin (its owner may take it back; see /vaults/{id}/bin)."""
    service.delete_document(db, rt, person, document_id)
    return Response(status_code=204)


@router.get(
    "/documents/{document_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The paper as it was stored, in its own type.",
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}} for kind in STORED_TYPES
            },
            "headers": {
                "Content-Disposition": {
                    "description": "attachment, with the paper's file name.",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        },
        **UNREADABLE,
    },
)
def document_content(
    document_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep
) -> StreamingResponse:
    """The original bytes, decrypted as they are sent."""
    view, chunks = service.open_content(db, rt, person, document_id)
    db.commit()  # the journal line is kept before the first byte leaves, however far it gets
    db.close()
    return content_response(view, chunks, disposition="attachment")


@router.post(
    "/documents/{document_id}/report",
    status_code=204,
    responses={404: {"model": ErrorOut, "description": "No such paper, or not the caller's."}},
)
def report_document(document_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep) -> Response:
    """Tell the platform admins that this paper cannot be read (whoever may see it may report
    it). Recorded once per paper, in its owner's journal (`document_reported`); the admins see
    the reported papers' ids on their keys page."""
    reports.report_paper(db, rt, person, document_id)
    return Response(status_code=204)


@router.get(
    "/documents/{document_id}/thumbnail",
    response_class=Response,
    responses={
        200: {"content": {previews.THUMBNAIL_TYPE: {}}, "description": "A small JPEG."},
        404: {
            "model": ErrorOut,
            "description": "No such paper, or no thumbnail for it (yet: an upload's is made "
            "just after its answer).",
        },
        423: {"model": ErrorOut, "description": "Papers closed after an assisted reset."},
    },
)
def document_thumbnail(
    document_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep
) -> Response:
    """A small picture of the paper (its first page), for lists; 404 when none could be made."""
    return thumbnail_response(previews.open_thumbnail(db, rt, person, document_id))


def thumbnail_response(picture: bytes) -> Response:
    return Response(
        picture,
        media_type=previews.THUMBNAIL_TYPE,
        headers=served_headers("inline", previews.THUMBNAIL_NAME),
    )


def content_response(
    view: service.DocumentView, chunks: ReadAhead, disposition: str, named: bool = True
) -> StreamingResponse:
    """Start streaming only once the first piece has been authenticated, so a broken key chain
    or header gives an error status instead of a cut-off file. The rest is taken on the event
    loop as the read-ahead makes it: no hop to a worker thread for each piece. `named`: under
    the file's own name, else « document » of its type."""
    first = next(chunks, b"")
    name = download_name(view.filename if named else None, view.content_type)
    return StreamingResponse(
        _after(first, chunks),
        media_type=view.content_type,
        headers={"Content-Length": str(view.size), **served_headers(disposition, name)},
    )


async def _after(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for piece in rest:
        yield piece
