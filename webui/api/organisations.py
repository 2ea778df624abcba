"""Organisations and their professionals."""

from fastapi import APIRouter, Request, Response

from vault.consent.organisations import (
    add_existing_member,
    add_member,
    close_member,
    create_organisation,
    members_of,
    rename_member,
    visible_organisations,
)
from webui.api.schemas import (
    CounsellorIn,
    CounsellorOut,
    ErrorOut,
    MemberIn,
    MemberNameIn,
    OrganisationIn,
    OrganisationOut,
)
from webui.deps import ApiUser, DbSession, RuntimeDep, confirm_caller_password

router = APIRouter(tags=["organisations"])

NO_SUCH_MEMBER = {
    "model": ErrorOut,
    "description": "No such organisation of the caller's, or no such open account in it.",
}


@router.post("/organisations", status_code=201)
def new_organisation(body: OrganisationIn, person: ApiUser, db: DbSession) -> OrganisationOut:
    """Platform admins only."""
    organisation = create_organisation(db, person, body.name)
    return OrganisationOut(id=organisation.id, name=organisation.name)


@router.get("/organisations")
def organisations(person: ApiUser, db: DbSession) -> list[OrganisationOut]:
    return [OrganisationOut(id=o.id, name=o.name) for o in visible_organisations(db, person)]


@router.post(
    "/organisations/{org_id}/counsellors",
    status_code=201,
    responses={
        409: {
            "model": ErrorOut,
            "description": "A platform admin, while someone's grant to the organisation is in "
            "force: only the organisation's own admins add members then.",
        }
    },
)
def new_counsellor(
    org_id: str,
    body: CounsellorIn,
    person: ApiUser,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
) -> CounsellorOut:
    """An admin of that organisation, or a platform admin while no one's grant to the
    organisation is in force, creates a professional's account. Needs the admin's own
    `current_password`, asked before anything else."""
    confirm_caller_password(request, db, rt, person, body.current_password)
    member = add_member(
        db,
        rt.settings,
        rt.master_keys,
        person,
        org_id,
        login=body.login,
        display_name=body.display_name,
        password=body.password,
        role=body.role,
    )
    return CounsellorOut.of(member, body.role)


@router.post(
    "/organisations/{org_id}/members",
    status_code=201,
    responses={
        409: {
            "model": ErrorOut,
            "description": "Already in the organisation; or a platform admin while someone's "
            "grant to the organisation is in force.",
        }
    },
)
def new_membership(
    org_id: str,
    body: MemberIn,
    person: ApiUser,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
) -> CounsellorOut:
    """A professional who already has an account (in another organisation) joins this one,
    with the same account: they then reach what people gave either organisation. The same
    admins as for a new account may, with their own `current_password`. 422 when no
    professional has that login."""
    confirm_caller_password(request, db, rt, person, body.current_password)
    member = add_existing_member(db, rt.settings, person, org_id, login=body.login, role=body.role)
    return CounsellorOut.of(member, body.role)


@router.get("/organisations/{org_id}/counsellors")
def counsellors(org_id: str, person: ApiUser, db: DbSession) -> list[CounsellorOut]:
    return [CounsellorOut.of_member(m) for m in members_of(db, person, org_id)]


@router.delete(
    "/organisations/{org_id}/counsellors/{member_id}",
    status_code=204,
    responses={
        404: NO_SUCH_MEMBER,
        409: {
            "model": ErrorOut,
            "description": "The caller's own account, or the organisation's last admin.",
        },
    },
)
def close_counsellor(org_id: str, member_id: str, person: ApiUser, db: DbSession) -> Response:
    """A professional leaves: an admin of their organisation (or a platform admin) takes them
    out of it. What people gave the organisation stays for its other members and no longer
    reaches them. When it was their only organisation their account is closed for good: they
    sign in no more; the accesses people gave them personally end (`grant_holder_closed` in
    each person's journal; `request_holder_closed` for a request not answered yet), as do the
    links they sent and the reset codes they gave. When they work for another organisation
    too, their account stays open, with what people gave them personally and what the other
    organisation holds."""
    close_member(db, person, org_id, member_id)
    return Response(status_code=204)


@router.patch(
    "/organisations/{org_id}/counsellors/{member_id}",
    responses={
        404: NO_SUCH_MEMBER,
        409: {
            "model": ErrorOut,
            "description": "They work for another organisation too; or a platform admin while "
            "someone's grant to the organisation is in force.",
        },
    },
)
def rename_counsellor(
    org_id: str,
    member_id: str,
    body: MemberNameIn,
    person: ApiUser,
    db: DbSession,
    rt: RuntimeDep,
) -> CounsellorOut:
    """Correct a professional's name (mistyped, or changed since): the same admins as for a new
    account may. Each person who gave them an access, or was asked for one, reads it in their
    history (`holder_renamed`), with the new name; so does the professional (`name_changed`).
    422 when the name is blank."""
    member = rename_member(db, rt.settings, person, org_id, member_id, body.display_name)
    return CounsellorOut.of_member(member)
