"""« Ajouter un papier », the form's answer: the file streams straight into the vault.

Its own router: this body is never read as a whole form, so its CSRF token is checked as the
form's first field, before a byte of the file is stored (the other page routers check it from
the parsed form)."""

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from vault.accounts.accounts import vault_of
from vault.documents.service import DocumentView
from vault.errors import VaultError
from vault.models import Person
from vault.policy import Action, adding_for, may_act_on_document
from vault.runtime import Runtime
from webui.deps import DbSession, RuntimeDep, SignedInPage, page_stream_origin
from webui.pages.common import check_csrf, redirect
from webui.pages.render import page
from webui.pages.written_dates import typed_date
from webui.uploads import (
    ReceivedForm,
    read_then_release,
    receive_form,
    record_document,
    thumbnail_if_possible,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_stream_origin)])


@router.post("/papiers/ajouter")
async def add(
    request: Request, db: DbSession, rt: RuntimeDep, me: SignedInPage, coffre: str = ""
) -> Response:
    own = await read_then_release(db, lambda db: vault_of(db, me.person.id))
    vault_id = coffre or (own.id if own else "")
    if not vault_id:
        return redirect("/papiers")

    def csrf_first(fields: dict[str, str]) -> None:
        check_csrf(request, me, fields.get("csrf"))

    form = ReceivedForm()
    try:
        await receive_form(request, rt, me.person, vault_id, check_fields=csrf_first, into=form)
        view = await record_document(rt, me.person, form, read_date=typed_date)
        # Before the answer: the paper's page, shown next, has its thumbnail.
        await anyio.to_thread.run_sync(thumbnail_if_possible, rt, view.id)
    except VaultError as exc:
        # What was typed is shown again only in a form we served.
        csrf_first(form.fields)
        for_name = await read_then_release(
            db, lambda db: adding_for(db, rt.settings, me.person, coffre) if coffre else None
        )
        return page(
            request,
            "add.html",
            me,
            error=exc,
            error_field="file",
            values=form.fields,
            vault_id=coffre,
            for_name=for_name,
        )
    return redirect(await read_then_release(db, lambda db: _landing(db, rt, me.person, view)))


def _landing(db: Session, rt: Runtime, person: Person, view: DocumentView) -> str:
    """The paper's page; for a helper who may add but not open it, the person's page: the
    paper's would refuse them, and tell the person they tried."""
    if may_act_on_document(db, rt.settings, person, view.id, Action.VIEW):
        return f"/papiers/{view.id}?ajoute=1"
    return f"/personnes/{view.vault_id}?ajoute=1"
