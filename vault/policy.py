"""The one place that decides who may do what. Every route asks here; none decides on its own.

A beneficiary reaches their own vault. A professional (counsellor or organisation admin)
reaches a vault only through an active grant of its owner, to them or to one of their
organisations, with the scope the action needs, before its end date and not left unused too
long; and never a private paper, nor a paper outside the grant's categories. A platform admin
has no right to read a beneficiary's papers. Anything the caller may not see is reported as
absent (NotFoundError), so its existence never leaks.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NoReturn

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, subqueryload

from vault.accounts import hold
from vault.audit import journal
from vault.config import Settings
from vault.documents.categories import CATEGORIES
from vault.errors import N_, NotFoundError
from vault.models import Document, Grant, Membership, Person, Vault, utcnow
from vault.vocabulary import GrantStatus, MemberRole, Role, Scope

NOT_FOUND_DOCUMENT = N_("Ce document n'existe pas.")
NOT_FOUND_VAULT = N_("Ce coffre n'existe pas.")
NOT_FOUND_PERSON = N_("Cette personne n'existe pas.")
PROFESSIONALS = frozenset({Role.COUNSELLOR, Role.ORG_ADMIN})
SCOPES = tuple(Scope)


def is_beneficiary(person: Person) -> bool:
    """Owns a vault of papers."""
    return person.role == Role.BENEFICIARY


def is_professional(person: Person) -> bool:
    """A counsellor or an organisation admin: reaches vaults only through grants."""
    return person.role in PROFESSIONALS


def must_choose_password(person: Person) -> bool:
    """Their password is the one the admin who made their account chose: until they choose
    their own they may only do that, or sign out, so that admin never acts as them (and never
    reaches what people give them personally)."""
    return person.password_provisional


def is_platform_admin(person: Person) -> bool:
    """Runs the platform: organisations and keys, never papers."""
    return person.role == Role.ADMIN


def may_change_own_name(person: Person) -> bool:
    """A person writes their own name; a professional's is the one their organisation gave,
    which the people they help read in their history."""
    return is_beneficiary(person)


def may_see_keys_page(person: Person) -> bool:
    return is_platform_admin(person)


def may_create_organisation(person: Person) -> bool:
    return is_platform_admin(person)


def may_manage_members(person: Person) -> bool:
    """Whether the person may manage the professionals of some organisation at all."""
    return person.role in (Role.ADMIN, Role.ORG_ADMIN)


def may_manage_organisation(db: Session, person: Person, organisation_id: str) -> bool:
    """A platform admin manages every organisation; an organisation admin, their own."""
    if is_platform_admin(person):
        return True
    membership = membership_in(db, person.id, organisation_id)
    return membership is not None and manages_members(membership.role)


def membership_in(db: Session, person_id: str, organisation_id: str) -> Membership | None:
    """The professional's place in the organisation, if they belong to it."""
    return db.scalar(
        select(Membership).where(
            Membership.person_id == person_id, Membership.organisation_id == organisation_id
        )
    )


def may_add_member(db: Session, settings: Settings, person: Person, organisation_id: str) -> bool:
    """An organisation's admins add its staff. A platform admin does only while no grant to the
    organisation is in force: a member they added then would read through the grants of people
    who trusted that organisation's own staff, not the platform's."""
    if not may_manage_organisation(db, person, organisation_id):
        return False
    return not is_platform_admin(person) or not organisation_trusted(
        db, settings, organisation_id, utcnow()
    )


class ClosingRefusal(StrEnum):
    OWN_ACCOUNT = "own_account"
    LAST_ADMIN = "last_admin"


def closing_refusal(
    actor: Person, member: Person, member_role: MemberRole, admins_left: int
) -> ClosingRefusal | None:
    """Why an organisation's manager may not close one of its members' accounts, if they may
    not: never their own (someone else must), never its last admin (no one could add its
    staff then, once people trust it: may_add_member)."""
    if member.id == actor.id:
        return ClosingRefusal.OWN_ACCOUNT
    if manages_members(member_role) and admins_left <= 1:
        return ClosingRefusal.LAST_ADMIN
    return None


def organisation_trusted(
    db: Session, settings: Settings, organisation_id: str, now: datetime
) -> bool:
    """Whether someone's grant to the organisation is in force."""
    grants = db.scalars(
        select(Grant).where(
            Grant.organisation_id == organisation_id, Grant.status == GrantStatus.ACTIVE
        )
    )
    return any(grant_is_current(g, settings, now) for g in grants)


def manages_members(role: MemberRole) -> bool:
    """Within one organisation: its admins manage its counsellors."""
    return role == MemberRole.ORG_ADMIN


def professional_role(member_roles: Iterable[MemberRole]) -> Role:
    """A professional's role on the platform, from their roles in their organisations: an
    organisation admin if they manage one (may_manage_members), a counsellor otherwise. What
    they may do in each organisation is still read from that organisation's membership."""
    return Role.ORG_ADMIN if any(manages_members(r) for r in member_roles) else Role.COUNSELLOR


def may_join(person: Person | None) -> bool:
    """Whose account an organisation's admin may add to it: a professional's open account
    (never a person's own safe, never a platform admin's)."""
    return person is not None and person.erased_at is None and is_professional(person)


def may_use_second_factor(person: Person) -> bool:
    return is_professional(person) or is_platform_admin(person)


def must_use_second_factor(person: Person) -> bool:
    return is_platform_admin(person)


class Action(StrEnum):
    VIEW = "view"
    DOWNLOAD = "download"
    UPLOAD = "upload"
    MANAGE = "manage"
    RECOVER = "recover"
    # Take every paper at once: the law on digital safes gives it to the holder, free, at any
    # time. No grant reaches it: a helper takes papers one by one, each journaled.
    EXPORT = "export"
    # Send a marked copy out of the safe: whoever may see the paper may send it.
    SHARE = "share"


# What each action needs. Changing or deleting a paper needs to see it too: a "manage" grant
# alone would otherwise read titles and file names through the answer of a change.
_NEEDS: dict[Action, tuple[Scope, ...]] = {
    Action.VIEW: (Scope.VIEW,),
    Action.DOWNLOAD: (Scope.VIEW,),
    Action.UPLOAD: (Scope.UPLOAD,),
    Action.MANAGE: (Scope.MANAGE, Scope.VIEW),
    Action.RECOVER: (Scope.RECOVER,),
    Action.EXPORT: (),
    Action.SHARE: (Scope.VIEW,),
}


# What a helper changes in the vault or the account through a grant. Before such a change
# (require_vault, require_document, require_help_recover) the grants it goes through, then the
# helper's memberships, are locked until it is committed: a person's « end this access », or an
# admin taking the helper out of the organisation, either waits for it or is seen by it
# (PostgreSQL reads a row again once it has waited for it), never comes in between. Grant locks
# come first in a transaction, before the journal's head: whatever locks both takes them in
# that order. Recording a link locks them too (shares.record_share); a link then serves only
# while its maker's access lasts, which its download judges again once counted, with no lock
# (shares.take_copy).
_CHANGES = frozenset({Action.UPLOAD, Action.MANAGE, Action.RECOVER})


def needs(action: Action) -> tuple[Scope, ...]:
    return _NEEDS[action]


def grant_scopes(grant: Grant) -> list[Scope]:
    held = {row.scope for row in grant.scope_rows}
    return [s for s in Scope if s in held]


def grant_categories(grant: Grant) -> list[str]:
    return sorted(row.category for row in grant.category_rows)


def grant_covers(grant: Grant, document: Document) -> bool:
    """A grant never shows a private paper, nor one outside its categories (if it has any)."""
    categories = grant_categories(grant)
    return not document.private and (not categories or document.category in categories)


@dataclass(frozen=True)
class Access:
    """Why the caller may act on a vault: as its owner (no grants), or through the union of
    their current grants, kept per scope the action needs."""

    vault: Vault
    by_scope: dict[Scope, tuple[Grant, ...]] = field(default_factory=dict)
    # By grant id, when the caller began to hold it (filled by maker_access, for showed_since).
    held_since: dict[str, datetime] = field(default_factory=dict)

    @property
    def is_owner(self) -> bool:
        return not self.by_scope

    @property
    def grants(self) -> tuple[Grant, ...]:
        """The grants that allow the action, first one first."""
        return next(iter(self.by_scope.values()), ())

    def shows(self, document: Document) -> bool:
        """Every scope the action needs is held by some grant that covers the paper."""
        return self.is_owner or all(
            any(grant_covers(g, document) for g in grants) for grants in self.by_scope.values()
        )

    def showed_since(self, document: Document, moment: datetime) -> bool:
        """As `shows`, by grants the caller held at or before `moment` (held_since): the same
        consent as then."""
        return self.is_owner or all(
            any(
                g.id in self.held_since
                and self.held_since[g.id] <= moment
                and grant_covers(g, document)
                for g in grants
            )
            for grants in self.by_scope.values()
        )

    def lasts_until(self, document: Document) -> datetime | None:
        """The latest the grants behind the action may still reach a paper they show: the end
        of the last of them, for each scope the action needs (they may stop sooner, ended or
        left unused); None for the owner, whose rights do not end."""
        if self.is_owner:
            return None
        return min(
            max(g.expires_at for g in grants if grant_covers(g, document))
            for grants in self.by_scope.values()
        )

    def grant_for(self, document: Document | None) -> Grant | None:
        """The grant a use goes through, for the journal (None for the owner)."""
        if document is None:
            return next(iter(self.grants), None)
        return next((g for g in self.grants if grant_covers(g, document)), None)


def grant_is_current(grant: Grant, settings: Settings, now: datetime) -> bool:
    idle_limit = grant.last_used_at + timedelta(days=settings.grant_inactivity_days)
    return grant.status == GrantStatus.ACTIVE and now < grant.expires_at and now < idle_limit


def first_organisation_of(db: Session, person_id: str) -> str | None:
    """The organisation the professional joined first (of those joined at the same instant,
    the smallest id): a choice that stays the same from one line to the next, where the
    database would return their organisations in no set order."""
    return db.scalar(
        select(Membership.organisation_id)
        .where(Membership.person_id == person_id)
        .order_by(Membership.created_at, Membership.id)
        .limit(1)
    )


def acting_for(db: Session, actor_id: str, grant: Grant | None) -> str | None:
    """The organisation a line of someone's history names for what a professional did on
    their vault: the one the person gave the grant used to; for a grant given to the
    professional personally (it records no organisation) or no grant at all (a refused
    attempt), the organisation they joined first (first_organisation_of); None when they
    belong to none."""
    if grant is not None and grant.organisation_id is not None:
        return grant.organisation_id
    return first_organisation_of(db, actor_id)


def held_by(person_id: str) -> ColumnElement[bool]:
    """The grants a professional holds: theirs, and those of the organisations they belong to
    today (a subquery, so that a statement reads them whatever their number)."""
    organisations = select(Membership.organisation_id).where(Membership.person_id == person_id)
    return or_(Grant.counsellor_id == person_id, Grant.organisation_id.in_(organisations))


def current_grants(
    db: Session,
    settings: Settings,
    actor: Person,
    vault_id: str,
    now: datetime,
    locked: bool = False,
) -> list[Grant]:
    """Every grant of the vault's owner that the actor holds now, directly or through one of
    their organisations, oldest first. A professional's rights are their union. `locked`: for
    a change made through them (see _CHANGES); only current grants are locked, so that a helper
    never waits on an ended one being marked so (grants.expire_due)."""
    if not is_professional(actor) or actor.erased_at is not None:
        return []  # a closed account holds nothing, whatever organisations it was in
    held = (
        select(Grant)
        .where(
            Grant.vault_id == vault_id,
            Grant.status == GrantStatus.ACTIVE,
            held_by(actor.id),
        )
        .order_by(Grant.created_at)
    )
    if not locked:
        return [g for g in db.scalars(held) if grant_is_current(g, settings, now)]
    idle_since = now - timedelta(days=settings.grant_inactivity_days)
    held = (
        held.where(Grant.expires_at > now, Grant.last_used_at > idle_since)
        .with_for_update(of=Grant)
        .execution_options(populate_existing=True)
    )
    grants = [g for g in db.scalars(held) if grant_is_current(g, settings, now)]
    # The organisations they belong to are held too, after the grants: an admin taking them out
    # of one (its membership deleted) waits for the change, or was waited for, and then the
    # grants of that organisation are theirs no more.
    member_of = set(
        db.scalars(
            select(Membership.organisation_id)
            .where(Membership.person_id == actor.id)
            .with_for_update(key_share=True)
        )
    )
    # Then whether their account was closed since the request read it: a closing locks their
    # memberships once it has ended their own grants (erasure.close_account), so one under way
    # has been waited for just above, and what it committed is read here.
    if db.scalar(select(Person.erased_at).where(Person.id == actor.id)) is not None:
        return []
    return [g for g in grants if g.counsellor_id == actor.id or g.organisation_id in member_of]


def _access_through(vault: Vault, grants: Iterable[Grant], action: Action) -> Access | None:
    """The access current grants give for the action: each scope it needs held by one."""
    grants = tuple(grants)
    by_scope = {
        scope: tuple(g for g in grants if scope in grant_scopes(g)) for scope in needs(action)
    }
    if not all(by_scope.values()):
        return None
    return Access(vault, by_scope)


def vault_access(
    db: Session,
    settings: Settings,
    actor: Person,
    vault: Vault,
    action: Action,
    locked: bool = False,
) -> Access | None:
    """`locked`: the grants it goes through stay locked for a change (see _CHANGES)."""
    if vault.owner_id == actor.id and is_beneficiary(actor):
        return Access(vault)
    if not needs(action):
        return None  # for the owner only
    grants = current_grants(db, settings, actor, vault.id, utcnow(), locked=locked)
    return _access_through(vault, grants, action)


def vault_accesses(
    db: Session, settings: Settings, actor: Person, action: Action
) -> dict[str, Access]:
    """Every vault a professional may act on now, by vault id, each as `vault_access` judges
    it; read in three statements however many people granted access (a whole organisation's
    people, for its members)."""
    if not is_professional(actor) or not needs(action):
        return {}
    now = utcnow()
    rows = db.execute(
        select(Grant, Vault)
        .join(Vault, Vault.id == Grant.vault_id)
        .where(Grant.status == GrantStatus.ACTIVE, held_by(actor.id))
        .order_by(Grant.created_at)
        .options(subqueryload(Grant.scope_rows), subqueryload(Grant.category_rows))
    )
    current: dict[str, tuple[Vault, list[Grant]]] = {}
    for grant, vault in rows:
        if grant_is_current(grant, settings, now):
            current.setdefault(vault.id, (vault, []))[1].append(grant)
    accesses = {
        vault_id: _access_through(vault, grants, action)
        for vault_id, (vault, grants) in current.items()
    }
    return {vault_id: access for vault_id, access in accesses.items() if access is not None}


def maker_access(
    db: Session, settings: Settings, maker_id: str, document: Document
) -> Access | None:
    """How `maker_id` may send papers of the paper's vault now: as its owner, or through current
    grants with the scope to (which papers they reach: Access.showed_since); None when they may
    not (a paper in the bin, a maker erased, an access ended)."""
    vault = db.get(Vault, document.vault_id)
    if vault is None or document.deleted_at is not None:
        return None
    if vault.owner_id == maker_id:
        return Access(vault)
    maker = db.get(Person, maker_id)
    if maker is None or maker.erased_at is not None:
        return None
    access = vault_access(db, settings, maker, vault, Action.SHARE)
    if access is None:
        return None
    joined = _joined(db, maker_id)
    held = {g.id: held_since(g, joined) for grants in access.by_scope.values() for g in grants}
    return replace(
        access, held_since={grant_id: since for grant_id, since in held.items() if since}
    )


def _joined(db: Session, person_id: str) -> dict[str, datetime]:
    """When the person joined each organisation they belong to (held_since)."""
    return dict(
        db.execute(
            select(Membership.organisation_id, Membership.created_at).where(
                Membership.person_id == person_id
            )
        ).all()
    )


def held_since(grant: Grant, joined: dict[str, datetime]) -> datetime | None:
    """When the holder began to hold a grant: when the person gave it, or, for an
    organisation's, when they joined that organisation if later (`joined`: their memberships'
    dates; one who left and was added back joined again). None: never given, or not a member."""
    if grant.given_at is None or grant.organisation_id is None:
        return grant.given_at
    since = joined.get(grant.organisation_id)
    return None if since is None else max(grant.given_at, since)


def may_still_share(access: Access | None, document: Document, made_at: datetime) -> bool:
    """Whether a link made at `made_at` by the maker of `access` (maker_access) may still serve
    its paper. The owner's own links live by their own terms (end, downloads, stop); a helper's
    link only while the helper could make it now, under a grant already given when the link was
    made that reaches the paper (not private, in its categories). A helper whose access ended
    sends nothing more, whatever end the link had, nor again once given a new access (a new
    grant, a request accepted since, an organisation joined or joined again since): that is a
    new consent, and an office may still hold a link sent under the old one."""
    return access is not None and access.showed_since(document, made_at)


def maker_may_still_share(
    db: Session, settings: Settings, maker_id: str, document: Document, made_at: datetime
) -> bool:
    """may_still_share, for one link."""
    return may_still_share(maker_access(db, settings, maker_id, document), document, made_at)


def require_vault(
    db: Session, settings: Settings, actor: Person, vault_id: str, action: Action
) -> Access:
    """The vault, for an action on it as a whole (its list, an addition, the export); else
    NotFoundError, and the refusal in its owner's journal."""
    vault = db.get(Vault, vault_id)
    locked = action in _CHANGES
    access = vault_access(db, settings, actor, vault, action, locked) if vault else None
    if access is None:
        _note_refusal(db, actor, vault, None)
        raise NotFoundError(NOT_FOUND_VAULT)
    return access


def require_document(
    db: Session,
    settings: Settings,
    actor: Person,
    document_id: str,
    action: Action,
    locked: bool = False,
) -> tuple[Document, Access]:
    """A paper in the vault (not in the bin) that the actor may act on; else NotFoundError. For
    a change (or when `locked`), the paper's row is read locked: the owner's « private » or
    change of type, or a move to the bin, committed meanwhile, is what the decision sees (on
    PostgreSQL a helper's deletion judged the paper as first read, then binned it private)."""
    locked = locked or action in _CHANGES
    # populate_existing: a paper this session read before (a plan, then a commit, then the
    # record) is read again, not taken as it was.
    document = db.get(Document, document_id, with_for_update=locked, populate_existing=locked)
    vault = db.get(Vault, document.vault_id) if document is not None else None
    access = vault_access(db, settings, actor, vault, action, locked) if vault else None
    if (
        document is None
        or vault is None
        or access is None
        or document.deleted_at is not None
        or not access.shows(document)
    ):
        _refused(db, actor, vault, document_id, access)
    if access.is_owner:
        # After a reset made with a counsellor, the owner's account gets no more than them.
        hold.check_document(db, settings, actor, document, action)
    return document, access


def require_binned_document(
    db: Session, settings: Settings, actor: Person, document_id: str
) -> tuple[Document, Access]:
    """A paper in the bin of the actor's own vault: only its owner sees the bin and takes a
    paper back out, whoever deleted it. Its row is locked until the transaction ends, so that
    the sweep erasing the bin (vault/documents/bin.py) either comes after or is waited for."""
    document = db.get(Document, document_id, with_for_update=True, populate_existing=True)
    vault = db.get(Vault, document.vault_id) if document is not None else None
    owner = vault is not None and vault.owner_id == actor.id and is_beneficiary(actor)
    if document is None or vault is None or not owner or document.deleted_at is None:
        _refused(db, actor, vault, document_id)
    return document, Access(vault)


def require_own_vault(db: Session, actor: Person, vault_id: str) -> Vault:
    """The actor's own vault, for what only its owner does (the bin, the export)."""
    vault = db.get(Vault, vault_id)
    if vault is None or vault.owner_id != actor.id or not is_beneficiary(actor):
        _note_refusal(db, actor, vault, None)
        raise NotFoundError(NOT_FOUND_VAULT)
    return vault


def _refused(
    db: Session,
    actor: Person,
    vault: Vault | None,
    document_id: str,
    access: Access | None = None,
) -> NoReturn:
    _note_refusal(db, actor, vault, document_id, access)
    raise NotFoundError(NOT_FOUND_DOCUMENT)


def _note_refusal(
    db: Session,
    actor: Person,
    vault: Vault | None,
    document_id: str | None,
    access: Access | None = None,
) -> None:
    """The owner sees attempted accesses too, to a paper or (no `document_id`) to the vault as
    a whole, with who tried and from which organisation: that of the grant they reached the
    vault through (`access`, for a paper it does not show), else acting_for's choice; the
    caller commits before answering 404 (NotFoundError keeps what was written)."""
    if vault is None or vault.owner_id == actor.id:
        return
    journal.record(
        db,
        subject_id=vault.owner_id,
        actor_id=actor.id,
        action=journal.ACCESS_REFUSED,
        target_id=document_id,
        organisation_id=acting_for(db, actor.id, access.grant_for(None) if access else None),
    )


def giving_needs_identity(scopes: Iterable[str]) -> bool:
    """Whoever may reset the password could end up holding the account: giving that right, or
    accepting a request for it, asks again who is there, like new recovery codes do."""
    return Scope.RECOVER in set(scopes)


def may_help_recover(
    db: Session, settings: Settings, helper: Person, person: Person, locked: bool = False
) -> bool:
    """Whether `helper` may issue a reset code or lift the sign-in delays of `person`: only a
    professional holding the person's "recover" scope. `locked`: for the change itself."""
    vault = db.scalar(select(Vault).where(Vault.owner_id == person.id))
    if vault is None or helper.id == person.id:
        return False
    return vault_access(db, settings, helper, vault, Action.RECOVER, locked) is not None


def helped_recover_since(
    db: Session,
    settings: Settings,
    helper: Person,
    person: Person,
    since: datetime,
    locked: bool = False,
) -> bool:
    """Whether `helper` holds the person's "recover" scope (may_help_recover) through a grant
    they already held at `since`: a code they saw or were given then is worth their reset
    while that consent lasts, not again under a later one (a new grant, a request accepted
    since, an organisation joined or joined again since). `locked`: for the reset itself, so
    that the person's « end this access » waits for it (see _CHANGES)."""
    vault = db.scalar(select(Vault).where(Vault.owner_id == person.id))
    if vault is None or helper.id == person.id:
        return False
    access = vault_access(db, settings, helper, vault, Action.RECOVER, locked)
    if access is None:
        return False
    joined = _joined(db, helper.id)
    return any(
        (held := held_since(grant, joined)) is not None and held <= since
        for grant in access.by_scope.get(Scope.RECOVER, ())
    )


def require_help_recover(
    db: Session, settings: Settings, helper: Person, person_id: str | None
) -> Person:
    """The person whose password `helper` may help change (may_help_recover); else
    NotFoundError, and the attempt in the person's journal, naming who tried."""
    person = db.get(Person, person_id) if person_id else None
    if person is not None and may_help_recover(db, settings, helper, person, locked=True):
        return person
    vault = db.scalar(select(Vault).where(Vault.owner_id == person.id)) if person else None
    if vault is not None and vault.owner_id != helper.id:
        journal.record(
            db,
            subject_id=vault.owner_id,
            actor_id=helper.id,
            action=journal.RESET_REFUSED,
            organisation_id=acting_for(db, helper.id, None),
        )
    raise NotFoundError(NOT_FOUND_PERSON)


def require_granted_person(
    db: Session, settings: Settings, professional: Person, vault_id: str
) -> Person:
    """The owner of the vault, for a professional who may see their login (may_see_login):
    their page among the people who gave the caller an access. Else NotFoundError, and the
    refusal in the owner's journal, as for their list (require_vault)."""
    vault = db.get(Vault, vault_id)
    owner = db.get(Person, vault.owner_id) if vault is not None else None
    if owner is None or not may_see_login(db, settings, professional, owner):
        _note_refusal(db, professional, vault, None)
        raise NotFoundError(NOT_FOUND_PERSON)
    return owner


def adding_for(db: Session, settings: Settings, helper: Person, vault_id: str) -> str | None:
    """The name of the person whose vault `helper` is adding a paper to, for the form's title:
    only to someone who may see their login (may_see_login); None otherwise, and for one's own
    vault. Asked without it counting as an attempt: the addition itself is judged, and
    journaled, when it is sent."""
    vault = db.get(Vault, vault_id) if vault_id else None
    owner = db.get(Person, vault.owner_id) if vault is not None else None
    if owner is None or owner.id == helper.id:
        return None
    return owner.display_name if may_see_login(db, settings, helper, owner) else None


def may_see_login(db: Session, settings: Settings, professional: Person, person: Person) -> bool:
    """A person who forgot their login can ask a professional they trust now: any current grant,
    whatever its scopes, shows the person's login to whoever holds it, and no one else."""
    vault = db.scalar(select(Vault).where(Vault.owner_id == person.id))
    return vault is not None and bool(
        current_grants(db, settings, professional, vault.id, utcnow())
    )


def may_act_on_document(
    db: Session, settings: Settings, actor: Person, document_id: str, action: Action
) -> bool:
    """Whether the actor may do the action on the paper, asked without it counting as an
    attempt: to choose the page shown once they added it (with "upload" alone they add but do
    not open), and which buttons a paper's page offers."""
    document = db.get(Document, document_id)
    vault = db.get(Vault, document.vault_id) if document is not None else None
    access = vault_access(db, settings, actor, vault, action) if vault else None
    return (
        document is not None
        and access is not None
        and document.deleted_at is None
        and access.shows(document)
    )


def categories_open_to(access: Access, private: bool) -> list[str]:
    """The types a paper may be given through this access, in the order they are offered: a
    helper never moves a paper out of the types their grants show."""
    return [c for c in CATEGORIES if access.shows(Document(category=c, private=private))]


def may_list_papers(db: Session, settings: Settings, actor: Person, vault_id: str) -> bool:
    vault = db.get(Vault, vault_id)
    return vault is not None and vault_access(db, settings, actor, vault, Action.VIEW) is not None
