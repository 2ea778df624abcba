"""« Corbeille »: the papers the person (or someone helping them) deleted, for the bin period,
each with a button to put it back."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vault.accounts.accounts import vault_of
from vault.documents import bin as paper_bin
from webui.deps import PAGE_CSRF, DbSession, PageSignedIn, RuntimeDep, need
from webui.pages.common import redirect
from webui.pages.render import page

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])


@router.get("/corbeille")
def bin_page(request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn) -> Response:
    me = need(signed_in)
    vault = vault_of(db, me.person.id)
    papers = paper_bin.list_bin(db, rt, me.person, vault.id) if vault else []
    return page(request, "bin.html", me, papers=papers, bin_days=rt.settings.bin_days)


@router.post("/corbeille/{document_id}/remettre")
def restore(
    document_id: str, request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn
) -> Response:
    me = need(signed_in)
    paper_bin.restore_document(db, rt, me.person, document_id)
    return redirect(f"/papiers?remis={document_id}")
