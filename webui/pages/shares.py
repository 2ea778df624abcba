"""« Envoyer une copie »: the person (or a counsellor who may see the paper) makes a link for
an office; the office opens it without an account and downloads a marked copy.

The office's pages (/s/...) take no session: their forms carry the double-submit token of the
signed-out forms. The copy is only served to a POST, so a mail scanner that follows links never
uses up a download."""

from itertools import chain
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response, StreamingResponse

from vault.documents import service, shares
from vault.errors import InvalidInputError, VaultError
from webui.api.shares import link_of, make_link
from webui.deps import PAGE_CSRF, DbSession, RuntimeDep, SignedInPage, attempt, client_address
from webui.pages.common import anonymous_form, redirect
from webui.pages.render import page
from webui.served import served_headers

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])

ONE_DAY, ONE_WEEK, ONE_MONTH = 24, 7 * 24, 30 * 24
GONE = 410


def durations(max_hours: int) -> list[int]:
    """The choices offered, in hours, within the instance's limit."""
    return [h for h in (ONE_DAY, ONE_WEEK, ONE_MONTH) if h <= max_hours] or [max_hours]


def _form(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedInPage,
    document_id: str,
    *,
    values: dict[str, str],
    error: VaultError | None = None,
) -> Response:
    view = service.get_readable_document(db, rt, me.person, document_id)
    return page(
        request,
        "share_new.html",
        me,
        document=view,
        values=values,
        durations=durations(rt.settings.share_max_hours),
        error=error,
        error_field="recipient",
    )


@router.get("/papiers/{document_id}/envoyer")
def share_form(
    document_id: str, request: Request, db: DbSession, rt: RuntimeDep, me: SignedInPage
) -> Response:
    return _form(request, db, rt, me, document_id, values={"hours": str(ONE_WEEK)})


@router.post("/papiers/{document_id}/envoyer")
def share_submit(
    document_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedInPage,
    recipient: Annotated[str, Form(max_length=1000)] = "",
    purpose: Annotated[str, Form(max_length=1000)] = "",
    hours: Annotated[str, Form(max_length=10)] = "",
    downloads: Annotated[str, Form(max_length=10)] = "",
    code: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The link is shown once, on the answer to this form: it is never kept, nor put in an
    address that a history or a log would keep."""
    values = {"recipient": recipient, "purpose": purpose, "hours": hours, "downloads": downloads}
    try:
        terms = shares.ShareTerms(
            recipient=recipient,
            purpose=purpose,
            expires_in_hours=_number(hours, "hours") or 0,
            max_downloads=_number(downloads, "downloads"),
            code=code,
        )
        created = make_link(db, rt, me.person, document_id, terms)
    except InvalidInputError as exc:
        # A wrong field: the form again. Anything else (no such paper...) is the error page:
        # showing the form would look at the paper a second time.
        exc.field = _FORM_FIELDS.get(exc.field or "", exc.field)
        return _form(request, db, rt, me, document_id, values=values, error=exc)
    view = service.get_document(db, rt, me.person, document_id)
    return page(
        request,
        "share_made.html",
        me,
        document=view,
        url=link_of(request, created.token),
        expires_at=created.expires_at,
        has_code=bool(code.strip()),
    )


# The service names the API's fields; the form's are shorter.
_FORM_FIELDS = {"expires_in_hours": "hours", "max_downloads": "downloads"}


def _number(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    # Digits of any script, as int() reads them (« ٣ » from an Arabic keyboard is 3); not
    # « ² », a digit to str.isdigit() that int() refuses.
    if not value.isdecimal():
        raise InvalidInputError("Écrivez un nombre.", field=field)
    return int(value)


@router.get("/papiers/{document_id}/liens")
def share_list(
    document_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedInPage,
    arrete: int = 0,
) -> Response:
    view = service.get_document(db, rt, me.person, document_id)
    links = shares.list_shares(db, rt, me.person, document_id)
    return page(request, "shares.html", me, document=view, links=links, stopped=bool(arrete))


@router.post("/liens/{share_id}/arreter")
def share_stop(share_id: str, db: DbSession, rt: RuntimeDep, me: SignedInPage) -> Response:
    document_id, names = shares.revoke_share(db, rt, me.person, share_id)
    db.commit()  # the link stops first; a crash before the purge leaves only an orphan
    service.purge_objects(rt.store, names)
    return redirect(f"/papiers/{document_id}/liens?arrete=1")


def _gone(request: Request) -> Response:
    """The same page for a link unknown, expired, stopped or used up."""
    return page(request, "share_gone.html", None, status_code=GONE)


def _office_page(request: Request, found: shares.PublicShare, *, code: str = "") -> Response:
    """The paper's title, who sends it, until when, and the download, whose form carries the
    code already typed (the page is not stored: no-store), so it is typed once."""
    return anonymous_form(request, "share_public.html", share=found, code=code)


def _code_page(request: Request, error: VaultError | None = None) -> Response:
    """A link with a code: the code first, and nothing about the paper before it is right."""
    return anonymous_form(request, "share_code.html", error=error)


@router.get("/s/{token}")
def office(token: str, request: Request, db: DbSession, rt: RuntimeDep) -> Response:
    needs_code = shares.needs_code(db, rt, token)
    if needs_code is None:
        return _gone(request)
    if needs_code:
        return _code_page(request)
    found = shares.open_share(db, rt, token, "", client_address(request))
    return _office_page(request, found) if found else _gone(request)


@router.post("/s/{token}")
def office_code(
    token: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    code: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        with attempt(db):
            found = shares.open_share(db, rt, token, code, client_address(request))
    except VaultError as exc:
        return _refused(request, db, rt, token, exc)
    return _office_page(request, found, code=code) if found else _gone(request)


@router.post("/s/{token}/copie")
def office_copy(
    token: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    code: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        with attempt(db):
            copy = shares.take_copy(db, rt, token, code, client_address(request))
    except VaultError as exc:
        return _refused(request, db, rt, token, exc)
    if copy is None:
        return _gone(request)
    db.commit()  # the download is counted and journaled before the first byte leaves
    db.close()
    first = next(copy.chunks, b"")
    return StreamingResponse(
        chain([first], copy.chunks),
        media_type=copy.content_type,
        headers={
            "Content-Length": str(copy.size),
            **served_headers("attachment", copy.filename),
        },
    )


def _refused(
    request: Request, db: DbSession, rt: RuntimeDep, token: str, exc: VaultError
) -> Response:
    """A wrong or throttled code: the code's page again with the refusal, while the link still
    works."""
    return _code_page(request, error=exc) if shares.needs_code(db, rt, token) else _gone(request)
