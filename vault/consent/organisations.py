"""Organisations (CCAS, associations, France Services...) and the professionals in them.
Platform admins create organisations; an organisation's admins manage its counsellors."""

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from keys.providers.base import MasterKeyProvider
from vault.accounts.accounts import closed_word, create_person, normalise_login, person_name
from vault.accounts.erasure import close_account, held_personally
from vault.accounts.passwords import verify_password
from vault.audit import journal
from vault.config import Settings
from vault.errors import N_, ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from vault.models import Membership, Organisation, Person
from vault.policy import (
    ClosingRefusal,
    closing_refusal,
    is_platform_admin,
    manages_members,
    may_add_member,
    may_create_organisation,
    may_join,
    may_manage_members,
    may_manage_organisation,
    membership_in,
    professional_role,
)
from vault.text import typed_line
from vault.vocabulary import GrantStatus, MemberRole

NOT_FOUND = N_("Cette organisation n'existe pas.")
NOT_A_MEMBER = N_("Ce professionnel n'est pas dans cette organisation.")
OWN_ACCOUNT = N_("Vous ne pouvez pas fermer votre propre compte.")
LAST_ADMIN = N_(
    "C'est le seul administrateur de l'organisation. "
    "Ajoutez-en un autre avant de fermer son compte."
)
NO_SUCH_PROFESSIONAL = N_("Aucun professionnel n'a cet identifiant.")
ALREADY_A_MEMBER = N_("Ce professionnel est déjà dans l'organisation.")
NOT_YOUR_OWN_PASSWORD = N_("Choisissez un autre mot de passe que le vôtre.")
TRUSTED = N_(
    "Des personnes ont donné accès à cette organisation. "
    "Seul son responsable peut y ajouter un professionnel."
)
TRUSTED_NAME = N_(
    "Des personnes ont donné accès à cette organisation. "
    "Seul son responsable peut corriger le nom d'un professionnel."
)
NAME_MISSING = N_("Écrivez son nom.")
NAMED_ELSEWHERE = N_(
    "Ce professionnel travaille aussi pour une autre organisation : son nom ne se corrige pas ici."
)


def create_organisation(db: Session, actor: Person, name: str) -> Organisation:
    if not may_create_organisation(actor):
        raise ForbiddenError("Seul un administrateur de la plateforme crée une organisation.")
    name = typed_line(name)
    if not name or len(name) > 200:
        raise InvalidInputError("Écrivez le nom de l'organisation.", field="name")
    organisation = Organisation(name=name)
    db.add(organisation)
    db.flush()
    journal.record(
        db,
        subject_id=actor.id,
        actor_id=actor.id,
        action=journal.ORGANISATION_CREATED,
        target_id=organisation.id,
    )
    return organisation


def add_member(
    db: Session,
    settings: Settings,
    master_keys: MasterKeyProvider,
    actor: Person,
    organisation_id: str,
    *,
    login: str,
    display_name: str,
    password: str,
    role: str = "counsellor",
) -> Person:
    """Create a professional's account in an organisation (vault.policy.may_add_member says
    who may). The password is the admin's choice: the professional chooses their own at their
    first sign-in, before anything else (vault.policy.must_choose_password)."""
    _require_adding(db, settings, actor, organisation_id)
    member_role = closed_word(MemberRole, role, "role")
    # A browser may fill the admin's saved password into the new account's field: the
    # professional would then know the admin's.
    if password and verify_password(actor.password_hash, password):
        raise InvalidInputError(NOT_YOUR_OWN_PASSWORD, field="password")
    person = create_person(
        db, master_keys, login=login, display_name=display_name, password=password, role=member_role
    )
    person.password_provisional = True
    db.add(Membership(person_id=person.id, organisation_id=organisation_id, role=member_role))
    db.flush()
    _note(db, actor, journal.COUNSELLOR_CREATED, person, organisation_id)
    return person


def add_existing_member(
    db: Session,
    settings: Settings,
    actor: Person,
    organisation_id: str,
    *,
    login: str,
    role: str = "counsellor",
) -> Person:
    """A professional who already works for another organisation joins this one, with the
    same account: they reach what people gave either organisation (vault.policy.held_by).
    The same admins as add_member may; an unknown login and a person's own safe get the same
    answer."""
    _require_adding(db, settings, actor, organisation_id)
    member_role = closed_word(MemberRole, role, "role")
    person = db.scalar(select(Person).where(Person.login == normalise_login(login)))
    if person is None or not may_join(person):
        raise InvalidInputError(NO_SUCH_PROFESSIONAL, field="login")
    if membership_in(db, person.id, organisation_id) is not None:
        raise ConflictError(ALREADY_A_MEMBER, field="login")
    db.add(Membership(person_id=person.id, organisation_id=organisation_id, role=member_role))
    db.flush()
    person.role = professional_role(_roles_of(db, person.id))
    _note(db, actor, journal.MEMBER_ADDED, person, organisation_id)
    _tell_givers(db, person, journal.HOLDER_JOINED, organisation_id)
    return person


@dataclass(frozen=True)
class Member:
    person: Person
    role: MemberRole
    # They work for another organisation too: leaving this one keeps their account open.
    elsewhere: bool = False

    @property
    def manages(self) -> bool:
        return manages_members(self.role)


def members_of(db: Session, actor: Person, organisation_id: str) -> list[Member]:
    """Its professionals whose account is open."""
    _require_managed(db, actor, organisation_id)
    rows = db.execute(
        select(Person, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.organisation_id == organisation_id, Person.erased_at.is_(None))
        .order_by(Person.display_name)
    ).all()
    counts = dict(
        db.execute(
            select(Membership.person_id, func.count())
            .where(Membership.person_id.in_([person.id for person, _role in rows]))
            .group_by(Membership.person_id)
        ).all()
    )
    return [Member(person, MemberRole(role), counts[person.id] > 1) for person, role in rows]


def member_to_close(db: Session, actor: Person, organisation_id: str, member_id: str) -> Member:
    """The professional the actor is about to take out of the organisation (closing their
    account when it is their only one), once checked that they may
    (vault.policy.closing_refusal)."""
    if not may_manage_members(actor):
        raise ForbiddenError("Seuls les administrateurs gèrent les professionnels.")
    members = members_of(db, actor, organisation_id)
    member = next((m for m in members if m.person.id == member_id), None)
    if member is None:
        raise NotFoundError(NOT_A_MEMBER)
    admins = sum(1 for m in members if m.manages)
    refusal = closing_refusal(actor, member.person, member.role, admins)
    if refusal is ClosingRefusal.OWN_ACCOUNT:
        raise ConflictError(OWN_ACCOUNT)
    if refusal is ClosingRefusal.LAST_ADMIN:
        raise ConflictError(LAST_ADMIN)
    return member


class Departure(StrEnum):
    CLOSED = "closed"  # their only organisation: the account is closed for good
    LEFT = "left"  # they work elsewhere too: only this organisation's accesses end for them


def close_member(db: Session, actor: Person, organisation_id: str, member_id: str) -> Departure:
    """A professional leaves, in the organisation's name, by one of its admins or a platform
    admin. When it was their only organisation their account is closed for good
    (vault.accounts.erasure.close_account); otherwise they are only taken out of it, and what
    people gave them personally stays theirs."""
    # Two admins closing each other's accounts at once would leave the organisation none: the
    # second waits here for the first, then counts the admins left (SQLite's writers wait
    # for each other from their first statement).
    db.execute(select(Organisation.id).where(Organisation.id == organisation_id).with_for_update())
    member = member_to_close(db, actor, organisation_id, member_id)
    person = member.person
    if not member.elsewhere:
        close_account(db, person, actor.id)
        db.flush()
        return Departure.CLOSED
    db.execute(
        delete(Membership).where(
            Membership.person_id == person.id, Membership.organisation_id == organisation_id
        )
    )
    person.role = professional_role(_roles_of(db, person.id))
    _note(db, actor, journal.MEMBER_REMOVED, person, organisation_id)
    _tell_givers(db, person, journal.HOLDER_LEFT, organisation_id)
    db.flush()
    return Departure.LEFT


def member_to_rename(db: Session, actor: Person, organisation_id: str, member_id: str) -> Member:
    """The professional whose name the actor is about to correct: one of the organisation's
    own, whose name no other organisation reads (the admins of one organisation do not
    rename someone for another)."""
    if not may_manage_members(actor):
        raise ForbiddenError("Seuls les administrateurs gèrent les professionnels.")
    member = next(
        (m for m in members_of(db, actor, organisation_id) if m.person.id == member_id), None
    )
    if member is None:
        raise NotFoundError(NOT_A_MEMBER)
    if member.elsewhere:
        raise ConflictError(NAMED_ELSEWHERE)
    return member


def rename_member(
    db: Session,
    settings: Settings,
    actor: Person,
    organisation_id: str,
    member_id: str,
    display_name: str,
) -> Member:
    """Correct a professional's name (mistyped when their account was made, or changed since).
    The same admins as add_member may: a platform admin only while no one trusts the
    organisation, since a name is what people read to know who reaches their papers. Each
    person who gave them an access, or was asked for one, reads it in their history, with the
    new name; the professional too, and the admin's trail keeps it."""
    _require_adding(db, settings, actor, organisation_id, TRUSTED_NAME)
    member = member_to_rename(db, actor, organisation_id, member_id)
    name = person_name(display_name, NAME_MISSING)
    person = member.person
    if name == person.display_name:
        return member
    person.display_name = name
    _note(db, actor, journal.MEMBER_RENAMED, person, organisation_id)
    journal.record(
        db,
        subject_id=person.id,
        actor_id=actor.id,
        action=journal.NAME_CHANGED,
        organisation_id=organisation_id,
    )
    _tell_givers(db, person, journal.HOLDER_RENAMED, organisation_id, asked_too=True)
    db.flush()
    return member


def _tell_givers(
    db: Session, member: Person, action: str, organisation_id: str, *, asked_too: bool = False
) -> None:
    """A line in the history of each person who gave the professional an access themselves
    (or was asked for one, when `asked_too`: a request is answered seeing the holder's
    organisations of that day): what people gave an organisation is the organisation's
    business."""
    for grant, owner_id in held_personally(db, member.id):
        if grant.status != GrantStatus.ACTIVE and not asked_too:
            continue
        journal.record(
            db,
            subject_id=owner_id,
            action=action,
            grant_id=grant.id,
            organisation_id=organisation_id,
        )


def _roles_of(db: Session, person_id: str) -> list[MemberRole]:
    return [
        MemberRole(role)
        for role in db.scalars(select(Membership.role).where(Membership.person_id == person_id))
    ]


def _require_adding(
    db: Session, settings: Settings, actor: Person, organisation_id: str, trusted: str = TRUSTED
) -> None:
    """Who may add a member to the organisation (vault.policy.may_add_member), or name one,
    or why not."""
    if not may_manage_members(actor):
        raise ForbiddenError("Seuls les administrateurs gèrent les professionnels.")
    _require_managed(db, actor, organisation_id)
    if not may_add_member(db, settings, actor, organisation_id):
        raise ConflictError(trusted)


def _note(db: Session, actor: Person, action: str, member: Person, organisation_id: str) -> None:
    """A change to the organisation's team, in the trail of the admin who made it."""
    journal.record(
        db,
        subject_id=actor.id,
        actor_id=actor.id,
        action=action,
        target_id=member.id,
        organisation_id=organisation_id,
    )


def _require_managed(db: Session, actor: Person, organisation_id: str) -> None:
    if (
        not may_manage_organisation(db, actor, organisation_id)
        or db.get(Organisation, organisation_id) is None
    ):
        raise NotFoundError(NOT_FOUND)


def visible_organisations(db: Session, actor: Person) -> list[Organisation]:
    """All of them for a platform admin; one's own for a professional; none otherwise."""
    query = select(Organisation).order_by(Organisation.name)
    if not is_platform_admin(actor):
        query = query.join(Membership, Membership.organisation_id == Organisation.id).where(
            Membership.person_id == actor.id
        )
    return list(db.scalars(query))


def organisation_names(db: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = db.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
    return dict(rows.all())
