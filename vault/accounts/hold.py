"""After a password reset made with a counsellor, the account gets no more than that counsellor.

People lose everything, their printed recovery codes included, so a counsellor the person
trusts (the "recover" scope) may reset their password with them. Such a reset must not turn
the counsellor into the person: for a waiting period (`assisted_reset_hold_hours`) the account
may open only the papers the counsellor may open through their current grants (never a private
paper, never a category outside the grant, nothing at all without the "view" scope), plus the
papers added during the hold. The person ends the hold at once with one of their own recovery
codes (vault/accounts/recovery.py). Meanwhile the account cannot give new accesses nor replace its
recovery codes, which would widen the counsellor's reach or take the person's way back.

The policy asks here for the owner's papers (vault/policy.py `require_document`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import policy
from vault.audit import journal
from vault.config import Settings
from vault.errors import N_, LockedError
from vault.models import Document, Organisation, Person, Vault, utcnow
from vault.wall_clock import on_the_wall


@dataclass(frozen=True)
class Hold:
    """Who reset the password with the person, when, and until when papers stay closed."""

    since: datetime
    until: datetime
    by_id: str | None
    by_name: str
    organisation_name: str | None

    @property
    def who(self) -> str:
        """« Claire Martin (CCAS d'Orléans) »."""
        if self.organisation_name:
            return f"{self.by_name} ({self.organisation_name})"
        return self.by_name


def _described(db: Session, person: Person) -> Hold | None:
    if person.held_since is None or person.held_by is None:
        return None
    helper = db.get(Person, person.held_by)
    organisation = (
        db.get(Organisation, person.held_organisation_id) if person.held_organisation_id else None
    )
    return Hold(
        since=person.held_since,
        until=person.held_until or person.held_since,
        by_id=person.held_by,
        by_name=helper.display_name if helper else N_("Un conseiller"),
        organisation_name=organisation.name if organisation else None,
    )


def current_hold(db: Session, person: Person, now: datetime | None = None) -> Hold | None:
    """The hold in force on this account, or None (it ends by itself at `held_until`)."""
    if person.held_until is None or person.held_until <= (now or utcnow()):
        return None
    return _described(db, person)


def last_assisted_reset(db: Session, person: Person) -> Hold | None:
    """The last reset made with a counsellor, in force or not: for the person's notice."""
    return _described(db, person)


def start(
    db: Session,
    settings: Settings,
    person: Person,
    helper: Person,
    organisation_id: str | None,
) -> None:
    """A counsellor just reset this person's password (with them, or with a code)."""
    now = utcnow()
    person.held_since = now
    person.held_until = now + timedelta(hours=settings.assisted_reset_hold_hours)
    person.held_by = helper.id
    person.held_organisation_id = organisation_id
    person.reset_notice_pending = True
    db.flush()


def end(db: Session, person: Person, source: str = "") -> None:
    """The person entered one of their own recovery codes: everything opens now. Who made the
    reset stays, for the notice at their next sign-in."""
    if current_hold(db, person) is not None:
        journal.record(
            db, subject_id=person.id, actor_id=person.id, action=journal.HOLD_ENDED, source=source
        )
    person.held_until = None
    db.flush()


def notice_seen(db: Session, person: Person) -> None:
    person.reset_notice_pending = False
    db.flush()


# ngettext(singular, plural, count): the words of one language, given by the pages.
Plural = Callable[[str, str, int], str]


def in_french(singular: str, plural: str, count: int) -> str:
    """The source language's plural: more than one."""
    return plural if count > 1 else singular


def hold_words(settings: Settings, ngettext: Plural = in_french) -> str:
    """« 3 jours », « 36 heures »: the waiting period in plain words, in `ngettext`'s language."""
    hours = settings.assisted_reset_hold_hours
    if hours and hours % 24 == 0:
        days = hours // 24
        return ngettext("%(num)s jour", "%(num)s jours", days) % {"num": days}
    return ngettext("%(num)s heure", "%(num)s heures", hours) % {"num": hours}


class Gate:
    """What the account may open while a hold lasts: what the counsellor may open."""

    def __init__(
        self, db: Session, settings: Settings, owner: Person, vault: Vault, hold: Hold
    ) -> None:
        self.db, self.settings, self.owner, self.vault, self.hold = db, settings, owner, vault, hold
        self._helper = db.get(Person, hold.by_id) if hold.by_id else None
        self._access: dict[policy.Action, policy.Access | None] = {}

    def closes(self, document: Document, action: policy.Action | None = None) -> bool:
        """Whether the account may not do `action` (default: view) on this paper now."""
        action = action or policy.Action.VIEW
        if self._added_by_the_account(document):
            return False
        if self._helper is None:
            return True
        if action not in self._access:
            self._access[action] = policy.vault_access(
                self.db, self.settings, self._helper, self.vault, action
            )
        access = self._access[action]
        return access is None or not access.shows(document)

    def _added_by_the_account(self, document: Document) -> bool:
        """A paper the account itself added during the hold: its own. One a professional added
        meanwhile stays within the reach of whoever changed the password, like the rest."""
        return (
            document.created_at is not None
            and document.created_at >= self.hold.since
            and document.uploaded_by == self.owner.id
        )

    def refusal(self) -> LockedError:
        hold = self.hold
        return LockedError(
            "%(who)s a changé votre mot de passe le %(since_day)s à %(since_time)s. "
            "Par sécurité, ce papier reste fermé jusqu'au %(until_day)s à %(until_time)s. "
            "Pour l'ouvrir maintenant, entrez un de vos codes de secours.",
            who=hold.who,
            since_day=_day(hold.since),
            since_time=_time(hold.since),
            until_day=_day(hold.until),
            until_time=_time(hold.until),
        )


def gate_for(
    db: Session, settings: Settings, owner: Person, vault: Vault | None = None
) -> Gate | None:
    """None when no hold is in force on the owner's account."""
    hold = current_hold(db, owner)
    if hold is None:
        return None
    vault = vault or db.scalar(select(Vault).where(Vault.owner_id == owner.id))
    if vault is None:
        return None
    return Gate(db, settings, owner, vault, hold)


def closes_any_paper(db: Session, settings: Settings, owner: Person) -> bool:
    """Whether a hold in force closes at least one of the owner's papers (the bin's left
    out): the banner that says some are closed is not shown to someone who has none."""
    gate = gate_for(db, settings, owner)
    if gate is None:
        return False
    papers = db.scalars(
        select(Document).where(Document.vault_id == gate.vault.id, Document.deleted_at.is_(None))
    )
    return any(gate.closes(paper) for paper in papers)


def check_document(
    db: Session, settings: Settings, owner: Person, document: Document, action: policy.Action
) -> None:
    """Raise LockedError when this paper of the owner is closed by a hold."""
    if owner.held_until is None:
        return
    gate = gate_for(db, settings, owner, db.get(Vault, document.vault_id))
    if gate is not None and gate.closes(document, action):
        raise gate.refusal()


# What a held account may not do, each refusal a whole sentence (refuse_during_hold).
NO_NEW_ACCESS = N_(
    "Pendant que vos papiers sont fermés, vous ne pouvez pas donner un nouvel accès. "
    "Entrez d'abord un de vos codes de secours, ou attendez le %(day)s à %(time)s."
)
NO_REQUEST_ACCEPTED = N_(
    "Pendant que vos papiers sont fermés, vous ne pouvez pas accepter une demande d'accès. "
    "Entrez d'abord un de vos codes de secours, ou attendez le %(day)s à %(time)s."
)
NO_NEW_RECOVERY_CODES = N_(
    "Pendant que vos papiers sont fermés, vous ne pouvez pas avoir de nouveaux codes de "
    "secours. Entrez d'abord un de vos codes de secours, ou attendez le %(day)s à %(time)s."
)


def refuse_during_hold(db: Session, person: Person, refusal: str) -> None:
    """Refuse what would widen a helper's reach or take the person's way back while held;
    `refusal` is one of the sentences above."""
    hold = current_hold(db, person)
    if hold is not None:
        raise LockedError(refusal, day=_day(hold.until), time=_time(hold.until))


# Dates in a refusal are numbers, read the same way in every language of the pages.
def _day(moment: datetime) -> str:
    return on_the_wall(moment).strftime("%d/%m")


def _time(moment: datetime) -> str:
    return on_the_wall(moment).strftime("%H:%M")
