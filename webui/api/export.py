"""Take everything through the API: one ZIP of the whole vault."""

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from webui.api.documents import resolve_vault_id
from webui.api.schemas import ErrorOut
from webui.deps import ApiUser, DbSession, RuntimeDep
from webui.exports import export_response

router = APIRouter(tags=["documents"])


@router.get(
    "/vaults/{vault_id}/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            "description": "Every paper, in original form under `category/title.ext` (those "
            "waiting in the bin under `corbeille/category/title.ext`, with `deleted_at` in the "
            "manifest), a `manifest.json` and the journal as `journal.csv`. A paper "
            "that cannot be read is left out and listed in the manifest's `unreadable` (id, "
            "category, dates; no title).",
        },
        404: {"model": ErrorOut, "description": "Not the caller's own vault."},
        423: {"model": ErrorOut, "description": "Papers closed after an assisted reset."},
    },
)
def export_vault(
    vault_id: str, person: ApiUser, db: DbSession, rt: RuntimeDep
) -> StreamingResponse:
    """The owner alone (404 for anyone else, counsellors included), free and at any time.
    Streamed as it is made. A paper that cannot be read is left out and named in the
    manifest; one found damaged past its start stops the stream, so the archive is visibly
    incomplete rather than complete-looking with a damaged paper."""
    return export_response(db, rt, person, resolve_vault_id(db, person, vault_id))
