"""« Mes papiers »: list, add (the file streams straight into the vault), open, change, delete,
report one that cannot be read."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response, StreamingResponse

from vault.accounts.accounts import owner_of_vault, vault_of
from vault.accounts.recovery import codes_seen_by_someone_else
from vault.documents import previews, reports, service
from vault.documents.expiry import rule_of
from vault.documents.quota import used_bytes
from vault.documents.reminders import take_banners
from vault.documents.service import DocumentView
from vault.errors import InvalidInputError
from vault.policy import Action, adding_for, may_act_on_document
from webui.api.documents import content_response, thumbnail_response
from webui.deps import PAGE_CSRF, DbSession, PageSignedIn, RuntimeDep, need
from webui.pages.common import redirect
from webui.pages.idle import seconds_to_the_curtain
from webui.pages.render import page
from webui.pages.written_dates import typed_date

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])


@router.get("/papiers")
def papers(
    request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn, supprime: str = ""
) -> Response:
    """`supprime`: the id of the paper just moved to the bin, for its « Annuler » button; the
    form's address is made of it, with the session's CSRF token in the form: only an id."""
    me = need(signed_in)
    vault = vault_of(db, me.person.id)
    documents = service.list_documents(db, rt, me.person, vault.id) if vault else []
    rule = rule_of(rt.settings)
    unreadable = [d.id for d in documents if not d.readable]
    return page(
        request,
        "papers.html",
        me,
        documents=rule.attention_first(documents),
        expiry=rule,
        banners=take_banners(db, rt.settings, me.person) if vault else [],
        titles={d.id: d.title for d in documents if d.title is not None},
        thumbnails=previews.with_thumbnail(
            db, (d.id for d in documents if d.readable and not d.locked)
        ),
        reported=reports.reported_among(db, me.person.id, unreadable),
        has_vault=vault is not None,
        codes_seen=codes_seen_by_someone_else(db, me.person.id),
        used=used_bytes(db, me.person.id),
        quota=rt.settings.quota_bytes,
        deleted=supprime if is_an_id(supprime) else None,
    )


def is_an_id(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


@router.get("/papiers/ajouter")
def add_form(
    request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn, coffre: str = ""
) -> Response:
    """`coffre`: the vault of the person a professional adds a paper for (default: one's own)."""
    me = need(signed_in)
    for_name = adding_for(db, rt.settings, me.person, coffre) if is_an_id(coffre) else None
    return page(request, "add.html", me, values={}, vault_id=coffre, for_name=for_name)


@router.post("/papiers/{document_id}/prive")
def make_private(
    document_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    private: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """A private paper is never shown to anyone the person gave access to."""
    me = need(signed_in)
    service.update_document(db, rt, me.person, document_id, private=private == "yes")
    return redirect(f"/papiers/{document_id}")


@router.get("/papiers/{document_id}")
def paper(
    document_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    ajoute: int = 0,
    modifie: int = 0,
) -> Response:
    me = need(signed_in)
    view = service.get_document(db, rt, me.person, document_id)
    owner = owner_of_vault(db, view.vault_id)
    helping = owner is not None and owner.id != me.person.id
    return page(
        request,
        "paper.html",
        me,
        document=view,
        added=bool(ajoute),
        changed=bool(modifie),
        may_change=may_act_on_document(db, rt.settings, me.person, document_id, Action.MANAGE),
        owner_name=owner.display_name if owner and helping else None,
        expiry=rule_of(rt.settings),
        reported=(
            reports.reported_among(db, owner.id, [view.id])
            if owner and not view.readable
            else set()
        ),
    )


@router.get("/papiers/{document_id}/modifier")
def change_form(
    document_id: str, request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn
) -> Response:
    """Its name, its type, its end of validity: for whoever may change the paper."""
    me = need(signed_in)
    view, choices = service.get_document_to_change(db, rt, me.person, document_id)
    expires_on = view.expires_on.isoformat() if view.expires_on else ""
    values = {"title": view.title or "", "category": view.category, "expires_on": expires_on}
    return _change_page(request, signed_in, view, choices, values)


@router.post("/papiers/{document_id}/modifier")
def change(
    document_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    title: Annotated[str, Form(max_length=1000)] = "",
    category: Annotated[str | None, Form(max_length=40)] = None,
    expires_on: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """An empty end of validity takes it away; a form without the category keeps it; a wrong
    field shows the form again, with what was typed, and changes nothing."""
    me = need(signed_in)
    try:
        end = typed_date(expires_on, "expires_on")
        service.update_document(
            db,
            rt,
            me.person,
            document_id,
            title=title,
            category=category,
            expires_on=end,
            clear_expiry=end is None,
        )
    except InvalidInputError as exc:
        view, choices = service.get_document_to_change(db, rt, me.person, document_id)
        values = {"title": title, "category": category or "", "expires_on": expires_on}
        return _change_page(request, signed_in, view, choices, values, exc)
    return redirect(f"/papiers/{document_id}?modifie=1")


def _change_page(
    request: Request,
    signed_in: PageSignedIn,
    view: DocumentView,
    choices: list[str],
    values: dict[str, str],
    error: InvalidInputError | None = None,
) -> Response:
    return page(
        request,
        "paper_change.html",
        need(signed_in),
        document=view,
        choices=choices,
        values=values,
        error=error,
        error_field="title",
    )


def paper_page(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    document_id: str,
    template: str,
    *,
    readable: bool = False,
    **context: Any,
) -> Response:
    """A page about one paper the caller may see (the policy decides, and journals it).
    `readable`: a page that shows the paper itself, refused for one that cannot be read."""
    me = need(signed_in)
    read = service.get_readable_document if readable else service.get_document
    return page(request, template, me, document=read(db, rt, me.person, document_id), **context)


@router.get("/papiers/{document_id}/voir")
def paper_view(
    document_id: str, request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn
) -> Response:
    """The paper opened inside a page (header, « Retour », « Quitter », idle sign-out), never
    as a bare file left on the screen."""
    return paper_page(request, db, rt, signed_in, document_id, "paper_view.html", readable=True)


@router.get("/papiers/{document_id}/telecharger")
def download_warning(
    document_id: str, request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn
) -> Response:
    """Before a download: a downloaded file stays on the computer after « Quitter »."""
    return paper_page(request, db, rt, signed_in, document_id, "download.html", readable=True)


@router.get("/papiers/{document_id}/fichier")
def paper_file(
    document_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    telecharger: int = 0,
) -> StreamingResponse:
    me = need(signed_in)
    view, chunks = service.open_content(db, rt, me.person, document_id)
    db.commit()  # the journal line is kept before the first byte leaves, however far it gets
    db.close()
    if telecharger:
        return content_response(view, chunks, "attachment")
    # Shown in the browser under no name of the person's: the PDF viewer titles the tab with
    # it, and the browser's history keeps that title for the next person at the computer.
    shown = content_response(view, chunks, "inline", named=False)
    if request.headers.get("sec-fetch-dest", "document") == "document":
        # Opened on its own (« Ouvrir le PDF en grand », a new tab), the file is a page with
        # no script or style sheet of ours: it leaves the screen by itself once the session is
        # over, for the paper's page, which then sends to the sign-in page. Not in the paper's
        # page, whose frame must not turn into another page after « Rester connecté ».
        shown.headers["Refresh"] = (
            f"{seconds_to_the_curtain(rt.settings)}; url=/papiers/{view.id}/voir"
        )
    return shown


@router.get("/papiers/{document_id}/vignette")
def paper_thumbnail(
    document_id: str, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn
) -> Response:
    """The small picture of a paper in the lists."""
    me = need(signed_in)
    return thumbnail_response(previews.open_thumbnail(db, rt, me.person, document_id))


@router.post("/papiers/{document_id}/signaler")
def report(document_id: str, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn) -> Response:
    """Tell the platform admins that the paper cannot be read; back to the list it was on."""
    me = need(signed_in)
    vault_id = reports.report_paper(db, rt, me.person, document_id)
    owner = owner_of_vault(db, vault_id)
    if owner is not None and owner.id != me.person.id:
        return redirect(f"/personnes/{vault_id}?signale=1")
    return redirect("/papiers?signale=1")


@router.get("/papiers/{document_id}/supprimer")
def delete_form(
    document_id: str, request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn
) -> Response:
    me = need(signed_in)
    view = service.get_document(db, rt, me.person, document_id, Action.MANAGE)
    owner = owner_of_vault(db, view.vault_id)
    own = owner is not None and owner.id == me.person.id
    return page(request, "delete.html", me, document=view, bin_days=rt.settings.bin_days, own=own)


@router.post("/papiers/{document_id}/supprimer")
def delete(
    document_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
) -> Response:
    me = need(signed_in)
    vault_id = service.delete_document(db, rt, me.person, document_id)
    owner = owner_of_vault(db, vault_id)
    if owner is not None and owner.id != me.person.id:
        return redirect(f"/personnes/{vault_id}?supprime=1")
    return redirect(f"/papiers?supprime={document_id}")
