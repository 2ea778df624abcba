"""A person's history as they read it: the journal lines about them, with who did it and
from which organisation."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.journal import events_of
from vault.models import Person
from vault.organisations import organisation_names


@dataclass(frozen=True)
class HistoryLine:
    id: str
    action: str
    actor_id: str | None
    actor_name: str | None
    by_someone_else: bool
    organisation_id: str | None
    organisation_name: str | None
    document_id: str | None
    occurred_at: datetime


def history(db: Session, person: Person, limit: int = 200) -> list[HistoryLine]:
    """Newest first."""
    events = events_of(db, person.id, limit)
    actor_ids = {e.actor_id for e in events if e.actor_id}
    names = dict(
        db.execute(select(Person.id, Person.display_name).where(Person.id.in_(actor_ids))).all()
    )
    organisations = organisation_names(db, {e.organisation_id for e in events if e.organisation_id})
    return [
        HistoryLine(
            id=e.id,
            action=e.action,
            actor_id=e.actor_id,
            actor_name=names.get(e.actor_id) if e.actor_id else None,
            by_someone_else=e.actor_id is not None and e.actor_id != person.id,
            organisation_id=e.organisation_id,
            organisation_name=organisations.get(e.organisation_id) if e.organisation_id else None,
            document_id=e.target_id if e.action.startswith("document") else None,
            occurred_at=e.occurred_at,
        )
        for e in events
    ]
