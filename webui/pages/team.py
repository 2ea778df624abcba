"""« Mon organisation »: its admins see its professionals, add one (a new account, or one who
already works for another organisation), correct one's name, and take out one who leaves
(closing their account when it was their only organisation)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from vault.accounts.sessions import SignedIn
from vault.consent.organisations import (
    Departure,
    Member,
    add_existing_member,
    add_member,
    close_member,
    member_to_close,
    member_to_rename,
    members_of,
    rename_member,
    visible_organisations,
)
from vault.errors import ThrottledError, VaultError
from vault.models import Organisation, Person
from vault.policy import may_manage_organisation
from webui import i18n
from webui.deps import (
    PAGE_CSRF,
    DbSession,
    Professional,
    RuntimeDep,
    attempt,
    confirm_caller_password,
)
from webui.pages.common import Password, redirect
from webui.pages.render import page

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])


def managed_teams(db: DbSession, me: Person) -> list[tuple[Organisation, list[Member]]]:
    """The organisations the professional manages, with their members."""
    return [
        (o, members_of(db, me, o.id))
        for o in visible_organisations(db, me)
        if may_manage_organisation(db, me, o.id)
    ]


@router.get("/organisation")
def organisation_page(
    request: Request,
    db: DbSession,
    me: Professional,
    ferme: int = 0,
    retire: int = 0,
    nom: int = 0,
) -> Response:
    return page(
        request,
        "organisation.html",
        me,
        teams=managed_teams(db, me.person),
        values={},
        closed=bool(ferme),
        left=bool(retire),
        renamed=bool(nom),
    )


@router.post("/organisation/{org_id}/conseillers")
def add_counsellor(
    org_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: Professional,
    display_name: Annotated[str, Form(max_length=200)] = "",
    login: Annotated[str, Form(max_length=200)] = "",
    password: Password = "",
    current_password: Password = "",
) -> Response:
    """The admin's own password first: whoever finds their tab open adds no one."""
    try:
        with attempt(db):
            confirm_caller_password(request, db, rt, me.person, current_password)
            add_member(
                db,
                rt.settings,
                rt.master_keys,
                me.person,
                org_id,
                login=login,
                display_name=display_name,
                password=password,
            )
    except VaultError as exc:
        return form_again(
            request, db, me, org_id, exc, {"display_name": display_name, "login": login}
        )
    return redirect("/organisation")


@router.post("/organisation/{org_id}/membres")
def add_existing(
    org_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: Professional,
    login: Annotated[str, Form(max_length=200)] = "",
    current_password: Password = "",
) -> Response:
    try:
        with attempt(db):
            confirm_caller_password(request, db, rt, me.person, current_password)
            add_existing_member(db, rt.settings, me.person, org_id, login=login)
    except VaultError as exc:
        return form_again(request, db, me, org_id, exc, {"existing_login": login}, form="existing_")
    return redirect("/organisation")


def form_again(
    request: Request,
    db: DbSession,
    me: SignedIn,
    org_id: str,
    exc: VaultError,
    typed: dict[str, str],
    form: str = "",
) -> Response:
    """The page again, with the error beside the field of the form that was sent (`form`: the
    prefix of the second form's own fields, « existing_login »)."""
    teams = managed_teams(db, me.person)
    if org_id not in {organisation.id for organisation, _members in teams}:
        raise exc  # no form of theirs to show again: the error page
    # The fields of each organisation's forms have ids prefixed with its id.
    # Too many wrong passwords (ThrottledError) is said beside the password.
    if isinstance(exc, ThrottledError) or exc.field == "current_password":
        name = f"{form}current_password"
    else:
        name = f"{form}login" if exc.field in (None, "login") else exc.field
    return page(
        request,
        "organisation.html",
        me,
        error=exc,
        errors={f"{org_id}-{name}": i18n.error_text(exc)},
        teams=teams,
        values={org_id: typed},
    )


@router.get("/organisation/{org_id}/conseillers/{member_id}/fermer")
def close_form(
    org_id: str, member_id: str, request: Request, db: DbSession, me: Professional
) -> Response:
    member = member_to_close(db, me.person, org_id, member_id)
    return page(request, "member_close.html", me, member=member, org_id=org_id)


@router.post("/organisation/{org_id}/conseillers/{member_id}/fermer")
def close(org_id: str, member_id: str, db: DbSession, me: Professional) -> Response:
    departure = close_member(db, me.person, org_id, member_id)
    return redirect(
        "/organisation?ferme=1" if departure is Departure.CLOSED else "/organisation?retire=1"
    )


@router.get("/organisation/{org_id}/conseillers/{member_id}/nom")
def rename_form(
    org_id: str, member_id: str, request: Request, db: DbSession, me: Professional
) -> Response:
    member = member_to_rename(db, me.person, org_id, member_id)
    return name_page(request, me, member, org_id, member.person.display_name)


@router.post("/organisation/{org_id}/conseillers/{member_id}/nom")
def rename(
    org_id: str,
    member_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: Professional,
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        with attempt(db):
            rename_member(db, rt.settings, me.person, org_id, member_id, display_name)
    except VaultError as exc:
        if exc.field != "display_name":
            raise
        member = member_to_rename(db, me.person, org_id, member_id)
        return name_page(request, me, member, org_id, display_name, exc)
    return redirect("/organisation?nom=1")


def name_page(
    request: Request,
    me: SignedIn,
    member: Member,
    org_id: str,
    typed: str,
    error: VaultError | None = None,
) -> Response:
    """The form to correct a member's name, with what was typed (and why it was refused)."""
    return page(
        request,
        "member_name.html",
        me,
        member=member,
        org_id=org_id,
        error=error,
        error_field="display_name",
        values={"display_name": typed},
    )
