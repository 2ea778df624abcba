"""« Prendre tous mes papiers », from the account page: the same ZIP as the API's export."""

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from vault.accounts.accounts import vault_of
from vault.errors import NotFoundError
from vault.policy import NOT_FOUND_VAULT
from webui.deps import PAGE_CSRF, DbSession, PageSignedIn, RuntimeDep, need
from webui.exports import export_response

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])


@router.post("/compte/export")
def export(db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn) -> StreamingResponse:
    """A form with its CSRF token, not a link: taking everything is journaled."""
    me = need(signed_in)
    vault = vault_of(db, me.person.id)
    if vault is None:
        raise NotFoundError(NOT_FOUND_VAULT)
    return export_response(db, rt, me.person, vault.id)
