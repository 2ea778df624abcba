"""When a paper expires: "expired" from the day after its date, "soon" within
`expiry_soon_days`, "ok" beyond; no expiry without a date. The one rule the API, the pages and
the reminders use."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.config import Settings
from vault.models import Document, Grant, Person, utcnow
from vault.policy import Action, held_by, vault_accesses


class Expiry(StrEnum):
    OK = "ok"
    SOON = "soon"
    EXPIRED = "expired"


def expiry_of(expires_on: date | None, *, today: date, soon_days: int) -> Expiry | None:
    if expires_on is None:
        return None
    if expires_on < today:
        return Expiry.EXPIRED
    if expires_on <= today + timedelta(days=soon_days):
        return Expiry.SOON
    return Expiry.OK


class Expiring(Protocol):
    @property
    def expires_on(self) -> date | None: ...


Paper = TypeVar("Paper", bound=Expiring)


@dataclass(frozen=True)
class ExpiryRule:
    """The rule on one day, for pages that judge many papers at once."""

    today: date
    soon_days: int

    def of(self, expires_on: date | None) -> Expiry | None:
        return expiry_of(expires_on, today=self.today, soon_days=self.soon_days)

    def needs_attention(self, expires_on: date | None) -> bool:
        return self.of(expires_on) in (Expiry.SOON, Expiry.EXPIRED)

    def attention_first(self, papers: Sequence[Paper]) -> list[Paper]:
        """Expired and soon-expiring papers first, the nearest date first; then the others in
        the order they came."""
        urgent = sorted(
            (p for p in papers if self.needs_attention(p.expires_on)),
            key=lambda p: p.expires_on or self.today,
        )
        return urgent + [p for p in papers if not self.needs_attention(p.expires_on)]


def rule_of(settings: Settings, today: date | None = None) -> ExpiryRule:
    """The rule of `settings`, today (UTC) unless told."""
    return ExpiryRule(today=today or utcnow().date(), soon_days=settings.expiry_soon_days)


@dataclass(frozen=True)
class Attention:
    """How many papers of one person need attention, as a professional may count them."""

    soon: int = 0
    expired: int = 0

    @property
    def needed(self) -> bool:
        return bool(self.soon or self.expired)


def attention_in(
    db: Session, settings: Settings, professional: Person, today: date | None = None
) -> dict[str, Attention]:
    """For each vault the professional may view: its papers expired or expiring soon, counting
    only those their grants show (never a private paper, nor one in the bin). Dates and
    categories are in clear: nothing is opened, so nothing is journaled. A few statements for
    every vault at once."""
    rule = rule_of(settings, today)
    horizon = rule.today + timedelta(days=rule.soon_days)
    accesses = vault_accesses(db, settings, professional, Action.VIEW)
    papers = db.scalars(
        select(Document).where(
            Document.vault_id.in_(select(Grant.vault_id).where(held_by(professional.id))),
            Document.deleted_at.is_(None),
            Document.private.is_(False),
            Document.expires_on <= horizon,
        )
    )
    states: dict[str, list[Expiry | None]] = {vault_id: [] for vault_id in accesses}
    for paper in papers:
        access = accesses.get(paper.vault_id)
        if access is not None and access.shows(paper):
            states[paper.vault_id].append(rule.of(paper.expires_on))
    return {
        vault_id: Attention(found.count(Expiry.SOON), found.count(Expiry.EXPIRED))
        for vault_id, found in states.items()
    }
