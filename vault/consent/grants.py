"""Consent: grants from a beneficiary to a counsellor or a whole organisation.

A grant has scopes (view, upload, manage, recover), may be limited to some categories, has an
end date (default and maximum are settings), ends by itself after long inactivity, and can be
ended by the beneficiary at any moment. A counsellor may ask; the beneficiary accepts or refuses.
A counsellor who creates an account for a person sitting in front of them records consent given
in person.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from anyascii import anyascii
from sqlalchemy import select
from sqlalchemy.orm import Session, subqueryload

from vault.accounts import hold
from vault.accounts.accounts import create_person, normalise_login, vault_of
from vault.accounts.recovery import new_recovery_codes
from vault.audit import journal
from vault.consent.organisations import organisation_names
from vault.documents.categories import Category
from vault.documents.expiry import Attention, attention_in
from vault.errors import N_, ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from vault.models import (
    Grant,
    GrantCategory,
    GrantScope,
    Membership,
    Organisation,
    Person,
    Vault,
    utcnow,
)
from vault.policy import (
    SCOPES,
    acting_for,
    giving_needs_identity,
    grant_categories,
    grant_is_current,
    grant_scopes,
    held_by,
    is_beneficiary,
    is_professional,
    require_granted_person,
)
from vault.runtime import Runtime
from vault.text import folded, matches
from vault.vocabulary import Consent, GrantStatus, Role, Scope

NOT_FOUND = N_("Cet accès n'existe pas.")
# A request answered twice: in another tab, or by a form sent again.
ANSWERED = N_("Cette demande a déjà reçu une réponse.")


@dataclass(frozen=True)
class GrantTerms:
    scopes: Sequence[str]
    categories: Sequence[str] = ()
    expires_on: date | None = None


@dataclass(frozen=True)
class CleanTerms:
    scopes: list[Scope]
    categories: list[Category]
    ends_at: datetime

    def rows(self) -> dict[str, list[Any]]:
        return {
            "scope_rows": [GrantScope(scope=s) for s in self.scopes],
            "category_rows": [GrantCategory(category=c) for c in self.categories],
        }


def _clean(rt: Runtime, terms: GrantTerms) -> CleanTerms:
    """Judge the terms before anything is looked up, so the answer never depends on who
    exists: every scope and category known, none twice, an end date within the limits."""
    if (
        not terms.scopes
        or len(set(terms.scopes)) != len(terms.scopes)
        or not set(terms.scopes) <= set(Scope)
    ):
        raise InvalidInputError("Choisissez ce que la personne peut faire.", field="scopes")
    if not set(terms.categories) <= set(Category):
        raise InvalidInputError("Ce type de papier n'existe pas.", field="categories")
    if len(set(terms.categories)) != len(terms.categories):
        raise InvalidInputError(
            "Choisissez chaque type de papier une seule fois.", field="categories"
        )
    today = utcnow().date()
    latest = today + timedelta(days=rt.settings.grant_max_days)
    end = terms.expires_on or today + timedelta(days=rt.settings.grant_default_days)
    if end <= today or end > latest:
        raise InvalidInputError(
            "La date de fin doit être entre demain et le %(latest)s.",
            field="expires_on",
            latest=latest.strftime("%d/%m/%Y"),
        )
    ends_at = datetime.combine(end, time(23, 59, 59), tzinfo=UTC)
    return CleanTerms(
        scopes=[s for s in Scope if s in set(terms.scopes)],
        categories=[c for c in Category if c in set(terms.categories)],
        ends_at=ends_at,
    )


def _own_vault(db: Session, owner: Person) -> Vault:
    vault = vault_of(db, owner.id) if is_beneficiary(owner) else None
    if vault is None:
        raise ForbiddenError("Seule une personne qui a un coffre donne un accès.")
    return vault


def create_grant(
    db: Session,
    rt: Runtime,
    owner: Person,
    terms: GrantTerms,
    *,
    counsellor_id: str | None = None,
    organisation_id: str | None = None,
) -> Grant:
    """The beneficiary gives access to a counsellor or to a whole organisation."""
    vault = _own_vault(db, owner)
    hold.refuse_during_hold(db, owner, hold.NO_NEW_ACCESS)
    if (counsellor_id is None) == (organisation_id is None):
        raise InvalidInputError(
            "Choisissez un conseiller ou une organisation.", field="counsellor_id"
        )
    if counsellor_id is not None:
        counsellor = db.get(Person, counsellor_id)
        if counsellor is None or not is_professional(counsellor):
            raise InvalidInputError("Ce conseiller n'existe pas.", field="counsellor_id")
    if organisation_id is not None and db.get(Organisation, organisation_id) is None:
        raise InvalidInputError("Cette organisation n'existe pas.", field="organisation_id")
    clean = _clean(rt, terms)
    grant = Grant(
        vault_id=vault.id,
        counsellor_id=counsellor_id,
        organisation_id=organisation_id,
        status=GrantStatus.ACTIVE,
        given_at=utcnow(),
        consent=Consent.ONLINE,
        expires_at=clean.ends_at,
        last_used_at=utcnow(),
        **clean.rows(),
    )
    db.add(grant)
    db.flush()
    _note(db, grant, owner.id, journal.GRANT_CREATED)
    return grant


def request_access(
    db: Session, rt: Runtime, counsellor: Person, login: str, terms: GrantTerms
) -> Grant | None:
    """A counsellor asks; the person answers at their next sign-in. Callers must answer the
    same whether the login exists or not (None)."""
    if not is_professional(counsellor):
        raise ForbiddenError("Seul un professionnel peut demander un accès.")
    clean = _clean(rt, terms)
    person = db.scalar(select(Person).where(Person.login == normalise_login(login)))
    vault = vault_of(db, person.id) if person is not None else None
    if person is None or vault is None or _too_many_requests(db, rt, counsellor, vault):
        return None
    grant = Grant(
        vault_id=vault.id,
        counsellor_id=counsellor.id,
        status=GrantStatus.PENDING,
        consent=Consent.ONLINE,
        requested_by=counsellor.id,
        expires_at=clean.ends_at,
        last_used_at=utcnow(),
        **clean.rows(),
    )
    db.add(grant)
    db.flush()
    _note(db, grant, counsellor.id, journal.GRANT_REQUESTED)
    return grant


def _too_many_requests(db: Session, rt: Runtime, counsellor: Person, vault: Vault) -> bool:
    """Whether this professional already has as many requests pending or refused on this vault
    as the window allows; the request is then silently not recorded, so that asking again and
    again cannot wear the person down, and the answer stays the same as for an unknown login."""
    since = utcnow() - timedelta(days=rt.settings.access_request_window_days)
    recent = db.scalars(
        select(Grant.id).where(
            Grant.vault_id == vault.id,
            Grant.requested_by == counsellor.id,
            Grant.status.in_((GrantStatus.PENDING, GrantStatus.REFUSED)),
            Grant.created_at >= since,
        )
    ).all()
    return len(recent) >= rt.settings.access_request_limit


def _owned_grant(db: Session, owner: Person, grant_id: str) -> Grant:
    grant = db.get(Grant, grant_id)
    vault = db.get(Vault, grant.vault_id) if grant is not None else None
    if grant is None or vault is None or vault.owner_id != owner.id:
        raise NotFoundError(NOT_FOUND)
    return grant


def answering_needs_identity(db: Session, owner: Person, grant_id: str) -> bool:
    """Whether accepting this request asks for the current password (see the policy)."""
    grant = _owned_grant(db, owner, grant_id)
    return grant.status == GrantStatus.PENDING and giving_needs_identity(grant_scopes(grant))


def answer_request(db: Session, owner: Person, grant_id: str, accept: bool) -> Grant:
    grant = _owned_grant(db, owner, grant_id)
    if grant.status != GrantStatus.PENDING:
        raise ConflictError(ANSWERED)
    if accept:
        hold.refuse_during_hold(db, owner, hold.NO_REQUEST_ACCEPTED)
    now = utcnow()
    grant.status = GrantStatus.ACTIVE if accept else GrantStatus.REFUSED
    grant.last_used_at = now
    if accept:
        grant.given_at = now
    else:
        grant.ended_at = now
    db.flush()
    _note(db, grant, owner.id, journal.GRANT_ACCEPTED if accept else journal.GRANT_REFUSED)
    return grant


def revoke(db: Session, owner: Person, grant_id: str) -> Grant:
    """End an access now; it stops working at the next request. Ending a request never
    accepted is refusing it."""
    grant = _owned_grant(db, owner, grant_id)
    if grant.status == GrantStatus.PENDING:
        return answer_request(db, owner, grant_id, accept=False)
    if grant.status == GrantStatus.ACTIVE:
        grant.status = GrantStatus.REVOKED
        grant.ended_at = utcnow()
        db.flush()
        _note(db, grant, owner.id, journal.GRANT_REVOKED)
    return grant


def expire_due(db: Session, rt: Runtime, grants: Sequence[Grant]) -> None:
    """Mark as expired the active grants past their end date or unused too long."""
    now = utcnow()
    ended = [
        grant
        for grant in grants
        if grant.status == GrantStatus.ACTIVE and not grant_is_current(grant, rt.settings, now)
    ]
    for grant in ended:
        grant.status = GrantStatus.EXPIRED
        grant.ended_at = now
    # Every grant changed before the first journal line: grant locks come before the journal's
    # head (vault.policy._CHANGES).
    db.flush()
    for grant in ended:
        _note(db, grant, None, journal.GRANT_EXPIRED)


def grants_of(db: Session, rt: Runtime, person: Person) -> list[Grant]:
    """A beneficiary's grants on their vault, or the grants a professional holds."""
    if is_beneficiary(person):
        vault = vault_of(db, person.id)
        query = select(Grant).where(Grant.vault_id == (vault.id if vault else ""))
    elif is_professional(person):
        query = select(Grant).where(held_by(person.id))
    else:
        return []
    # One statement for each list of rows, rather than one for every 500 grants (an
    # organisation's members may hold thousands).
    query = query.options(subqueryload(Grant.scope_rows), subqueryload(Grant.category_rows))
    grants = list(db.scalars(query.order_by(Grant.created_at.desc())))
    expire_due(db, rt, grants)
    return grants if is_beneficiary(person) else held_grants(grants)


def held_grants(grants: Sequence[Grant]) -> list[Grant]:
    """What a professional sees of their grants: only those the person gave or accepted. A
    request pending or refused stays out of sight, as a request to an unknown login does."""
    return [g for g in grants if g.status not in (GrantStatus.PENDING, GrantStatus.REFUSED)]


def pending_requests(db: Session, person: Person) -> int:
    vault = vault_of(db, person.id)
    if vault is None:
        return 0
    return len(
        db.scalars(
            select(Grant.id).where(Grant.vault_id == vault.id, Grant.status == GrantStatus.PENDING)
        ).all()
    )


@dataclass(frozen=True)
class CreatedInPerson:
    person: Person
    vault: Vault
    grant: Grant
    recovery_codes: list[str]


def create_account_in_person(
    db: Session,
    rt: Runtime,
    counsellor: Person,
    *,
    login: str,
    display_name: str,
    password: str,
    consent: bool,
) -> CreatedInPerson:
    """The person sits in front of the counsellor and types their own password; the counsellor
    gets a grant with every scope for the default period, recorded as consent given in person."""
    if not is_professional(counsellor):
        raise ForbiddenError("Seul un professionnel peut créer un compte pour quelqu'un.")
    if not consent:
        raise InvalidInputError(
            "La personne doit être d'accord : cochez la case avec elle.", field="consent"
        )
    person = create_person(
        db,
        rt.master_keys,
        login=login,
        display_name=display_name,
        password=password,
        role=Role.BENEFICIARY,
    )
    vault = _own_vault(db, person)
    clean = _clean(rt, GrantTerms(SCOPES))
    grant = Grant(
        vault_id=vault.id,
        counsellor_id=counsellor.id,
        status=GrantStatus.ACTIVE,
        given_at=utcnow(),
        consent=Consent.IN_PERSON,
        requested_by=counsellor.id,
        expires_at=clean.ends_at,
        last_used_at=utcnow(),
        **clean.rows(),
    )
    db.add(grant)
    db.flush()
    codes = new_recovery_codes(db, person, seen_by=counsellor)
    journal.record(
        db,
        subject_id=person.id,
        actor_id=counsellor.id,
        action=journal.ACCOUNT_CREATED_IN_PERSON,
        organisation_id=_organisation_of(db, grant, counsellor.id),
        grant_id=grant.id,
    )
    _note(db, grant, counsellor.id, journal.GRANT_CREATED)
    return CreatedInPerson(person, vault, grant, codes)


@dataclass(frozen=True)
class GrantedVault:
    vault_id: str
    person_id: str
    display_name: str
    login: str
    scopes: list[str]
    categories: list[str]
    expires_at: datetime


def granted_vaults(
    db: Session, rt: Runtime, professional: Person, search: str = ""
) -> list[GrantedVault]:
    """The people who gave the caller access, with what they may do, by name; only those whose
    name or login has every word of `search` (vault.text.matches) when there is one. Read in a
    few statements, however many people: an organisation's grant may give thousands."""
    now = utcnow()
    grants = [g for g in grants_of(db, rt, professional) if grant_is_current(g, rt.settings, now)]
    owners = _owners_seen_by(db, professional)
    result: dict[str, GrantedVault] = {}
    for grant in grants:
        owner_id, display_name, login = owners[grant.vault_id]
        known = result.get(grant.vault_id)
        held = set(grant_scopes(grant)) | set(known.scopes if known else ())
        # The union of the grants: one without categories covers every kind of paper.
        categories = (
            []
            if not grant_categories(grant) or (known is not None and not known.categories)
            else sorted(set(grant_categories(grant)) | set(known.categories if known else ()))
        )
        result[grant.vault_id] = GrantedVault(
            grant.vault_id,
            owner_id,
            display_name,
            login,
            [s for s in Scope if s in held],
            categories,
            max(grant.expires_at, known.expires_at) if known else grant.expires_at,
        )
    found = [v for v in result.values() if _found(v, search)]
    return sorted(found, key=lambda v: (folded(v.display_name), v.login))


def _owners_seen_by(db: Session, professional: Person) -> dict[str, tuple[str, str, str]]:
    """The id, name and login of the owner of each vault the professional holds a grant on."""
    rows = db.execute(
        select(Vault.id, Person.id, Person.display_name, Person.login)
        .join(Person, Person.id == Vault.owner_id)
        .where(Vault.id.in_(select(Grant.vault_id).where(held_by(professional.id))))
    )
    return {vault_id: (owner_id, name, login) for vault_id, owner_id, name, login in rows}


def _found(person: GrantedVault, search: str) -> bool:
    """A name is found as written and in Latin letters (« irina » finds « Ирина »)."""
    return matches(search, person.display_name, anyascii(person.display_name), person.login)


PEOPLE_PER_PAGE = 50


@dataclass(frozen=True)
class PeoplePage:
    """One page of the people a professional helps: those with papers that need attention
    (expired or expiring soon) first, then the others, each part by name. `number` is between
    1 and `last`."""

    people: list[GrantedVault]
    attention: dict[str, Attention]
    number: int
    last: int
    found: int


def people_page(
    db: Session, rt: Runtime, professional: Person, *, search: str = "", number: int = 1
) -> PeoplePage:
    """Page `number` of the people `search` finds (granted_vaults): past the last page, the
    last; before the first, the first."""
    found = granted_vaults(db, rt, professional, search)
    attention = attention_in(db, rt.settings, professional)
    found.sort(key=lambda v: not attention.get(v.vault_id, Attention()).needed)
    last = max(1, -(-len(found) // PEOPLE_PER_PAGE))
    number = min(max(number, 1), last)
    shown = found[(number - 1) * PEOPLE_PER_PAGE : number * PEOPLE_PER_PAGE]
    return PeoplePage(
        shown,
        {v.vault_id: attention[v.vault_id] for v in shown if v.vault_id in attention},
        number,
        last,
        len(found),
    )


def granted_person(db: Session, rt: Runtime, professional: Person, vault_id: str) -> GrantedVault:
    """One person who gave the caller a current access, as in `granted_vaults`, their login
    included; absent for anyone else (and the attempt in their journal)."""
    require_granted_person(db, rt.settings, professional, vault_id)
    return next(v for v in granted_vaults(db, rt, professional) if v.vault_id == vault_id)


@dataclass(frozen=True)
class GrantHolder:
    """Who holds a grant, as the person reads it: the professional and the organisations they
    belong to (« Claire Martin », « CCAS de Lyon »), or an organisation alone (no name)."""

    name: str
    organisation: str


def grant_holders(db: Session, grants: Iterable[Grant]) -> dict[str, GrantHolder]:
    """The holder of each grant, by grant id. Memberships are read now: a professional's
    organisations are those they belong to today."""
    grants = list(grants)
    people = {g.counsellor_id for g in grants if g.counsellor_id}
    names = dict(
        db.execute(select(Person.id, Person.display_name).where(Person.id.in_(people))).all()
    )
    organisations: dict[str, list[str]] = {}
    for person_id, organisation in db.execute(
        select(Membership.person_id, Organisation.name)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.person_id.in_(people))
        .order_by(Organisation.name)
    ):
        organisations.setdefault(person_id, []).append(organisation)
    granted_to = organisation_names(db, {g.organisation_id for g in grants if g.organisation_id})
    return {
        g.id: GrantHolder(
            name=names.get(g.counsellor_id, "") if g.counsellor_id else "",
            organisation=(
                granted_to.get(g.organisation_id, "")
                if g.organisation_id
                else ", ".join(organisations.get(g.counsellor_id or "", []))
            ),
        )
        for g in grants
    }


def _note(db: Session, grant: Grant, actor_id: str | None, action: str) -> None:
    vault = db.get_one(Vault, grant.vault_id)
    journal.record(
        db,
        subject_id=vault.owner_id,
        actor_id=actor_id,
        action=action,
        organisation_id=_organisation_of(db, grant, actor_id),
        grant_id=grant.id,
    )


def _organisation_of(db: Session, grant: Grant, actor_id: str | None) -> str | None:
    """The organisation a journal line about this grant names: the grant's own, or, when the
    professional who holds it acted (a request, an account made with the person), theirs, as
    the lines of what they do through it name it (vault.documents.service.note_use)."""
    if grant.organisation_id or actor_id is None or actor_id != grant.counsellor_id:
        return grant.organisation_id
    return acting_for(db, actor_id, grant)
