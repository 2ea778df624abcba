"""The pages. Every journey works without JavaScript: post, redirect, then show the result."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from vault.accounts import authenticate, create_person, vault_of
from vault.documents import service
from vault.errors import AuthenticationError, ConflictError, InvalidInputError, VaultError
from vault.models import Person
from vault.sessions import SignedIn, close_session, open_session
from webui.api.documents import content_response
from webui.deps import DbSession, PageSignedIn, RuntimeDep, need
from webui.errors import status_of
from webui.pages.render import page
from webui.security import clear_session_cookie, csrf_ok, same_origin, set_session_cookie
from webui.uploads import receive_form, record_document

router = APIRouter(include_in_schema=False)

FORBIDDEN = "Cette page a expiré. Revenez en arrière, rechargez la page et recommencez."


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def check_csrf(request: Request, signed_in: SignedIn, token: str | None) -> None:
    if not csrf_ok(request, signed_in.session.csrf_token, token):
        raise HTTPException(status_code=403, detail=FORBIDDEN)


def check_origin(request: Request) -> None:
    if not same_origin(request):
        raise HTTPException(status_code=403, detail=FORBIDDEN)


def start_session(request: Request, db: DbSession, rt: RuntimeDep, person: Person) -> Response:
    token, _record = open_session(db, rt.settings, person, "web")
    db.commit()
    response = redirect("/papiers")
    set_session_cookie(request, response, token)
    return response


@router.get("/")
def home(signed_in: PageSignedIn) -> Response:
    return redirect("/papiers" if signed_in else "/connexion")


@router.get("/connexion")
def sign_in_form(request: Request, signed_in: PageSignedIn, partage: int = 0) -> Response:
    if signed_in:
        return redirect("/papiers")
    return page(request, "signin.html", None, shared=bool(partage), login="")


@router.post("/connexion")
def sign_in(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    shared: Annotated[int, Form()] = 0,
) -> Response:
    check_origin(request)
    try:
        person = authenticate(db, login, password)
    except AuthenticationError as exc:
        return page(
            request,
            "signin.html",
            None,
            status_code=401,
            errors={"login": exc.message},
            login=login,
            shared=bool(shared),
        )
    return start_session(request, db, rt, person)


@router.get("/inscription")
def sign_up_form(request: Request, rt: RuntimeDep) -> Response:
    if not rt.settings.allow_signup:
        return redirect("/connexion")
    return page(request, "signup.html", None, values={})


@router.post("/inscription")
def sign_up(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    display_name: Annotated[str, Form()] = "",
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    check_origin(request)
    if not rt.settings.allow_signup:
        return redirect("/connexion")
    try:
        person = create_person(
            db,
            rt.master_keys,
            login=login,
            display_name=display_name,
            password=password,
            role="beneficiary",
        )
    except (InvalidInputError, ConflictError) as exc:
        db.rollback()
        return page(
            request,
            "signup.html",
            None,
            status_code=status_of(exc),
            errors={exc.field or "login": exc.message},
            values={"display_name": display_name, "login": login},
        )
    return start_session(request, db, rt, person)


@router.post("/quitter")
def sign_out(
    request: Request,
    db: DbSession,
    signed_in: PageSignedIn,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if signed_in is not None:
        check_csrf(request, signed_in, csrf)
        close_session(db, signed_in.session.id)
        db.commit()
    response = redirect("/au-revoir")
    clear_session_cookie(request, response)
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@router.get("/au-revoir")
def signed_out(request: Request) -> HTMLResponse:
    return page(request, "signed_out.html", None)


@router.get("/papiers")
def papers(request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn) -> Response:
    me = need(signed_in)
    vault = vault_of(db, me.person.id)
    documents = service.list_documents(db, rt, me.person, vault.id) if vault else []
    return page(request, "papers.html", me, documents=documents, has_vault=vault is not None)


@router.get("/papiers/ajouter")
def add_form(request: Request, signed_in: PageSignedIn) -> Response:
    return page(request, "add.html", need(signed_in), values={})


@router.post("/papiers/ajouter")
async def add(request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn) -> Response:
    me = need(signed_in)
    vault = vault_of(db, me.person.id)
    db.close()
    if vault is None:
        return redirect("/papiers")
    check_origin(request)

    def csrf_first(fields: dict[str, str]) -> None:
        check_csrf(request, me, fields.get("csrf"))

    values: dict[str, str] = {}
    try:
        form = await receive_form(request, rt, me.person, vault.id, before_file=csrf_first)
        values = form.fields
        csrf_first(form.fields)
        view = await record_document(rt, me.person, form)
    except VaultError as exc:
        return page(
            request,
            "add.html",
            me,
            status_code=status_of(exc),
            errors={exc.field or "file": exc.message},
            values=values,
        )
    return redirect(f"/papiers/{view.id}?ajoute=1")


@router.get("/papiers/{document_id}")
def paper(
    document_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    ajoute: int = 0,
) -> Response:
    me = need(signed_in)
    view = service.get_document(db, rt, me.person, document_id)
    return page(request, "paper.html", me, document=view, added=bool(ajoute))


@router.get("/papiers/{document_id}/fichier")
def paper_file(
    document_id: str,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    telecharger: int = 0,
) -> StreamingResponse:
    me = need(signed_in)
    view, chunks = service.open_content(db, rt, me.person, document_id)
    db.close()
    return content_response(view, chunks, "attachment" if telecharger else "inline")


@router.get("/papiers/{document_id}/supprimer")
def delete_form(
    document_id: str, request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn
) -> Response:
    me = need(signed_in)
    view = service.get_document(db, rt, me.person, document_id)
    return page(request, "delete.html", me, document=view)


@router.post("/papiers/{document_id}/supprimer")
def delete(
    document_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    me = need(signed_in)
    check_csrf(request, me, csrf)
    names = service.delete_document(db, me.person, document_id)
    db.commit()
    service.purge_objects(rt.store, names)
    return redirect("/papiers?supprime=1")
