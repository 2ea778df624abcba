"""A person's history as they read it: the journal lines about them, with who did it and
from which organisation, a page at a time."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.journal import actor_ids_of, lines_of
from vault.models import Person
from vault.organisations import organisation_names

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class HistoryLine:
    id: str
    seq: int
    count: int
    action: str
    actor_id: str | None
    actor_name: str | None
    by_someone_else: bool
    organisation_id: str | None
    organisation_name: str | None
    document_id: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class HistoryPage:
    lines: list[HistoryLine]
    # The cursor of the next page, None on the last one.
    older: int | None


def history(
    db: Session,
    person: Person,
    *,
    limit: int = PAGE_SIZE,
    before: int | None = None,
    actor_id: str | None = None,
) -> HistoryPage:
    """Newest first; `before` is the `seq` of the last line of the previous page."""
    # One line more than asked tells whether an older page exists.
    found = lines_of(db, person.id, limit=limit + 1, before=before, actor_id=actor_id)
    shown = found[:limit]
    events = [line.event for line in shown]
    names = _names(db, {e.actor_id for e in events if e.actor_id})
    organisations = organisation_names(db, {e.organisation_id for e in events if e.organisation_id})
    lines = [
        HistoryLine(
            id=e.id,
            seq=e.seq,
            count=line.count,
            action=e.action,
            actor_id=e.actor_id,
            actor_name=names.get(e.actor_id) if e.actor_id else None,
            by_someone_else=e.actor_id is not None and e.actor_id != person.id,
            organisation_id=e.organisation_id,
            organisation_name=organisations.get(e.organisation_id) if e.organisation_id else None,
            document_id=e.target_id if e.action.startswith("document") else None,
            occurred_at=e.occurred_at,
        )
        for line, e in zip(shown, events, strict=True)
    ]
    return HistoryPage(lines, shown[-1].event.seq if len(found) > limit else None)


def other_actors(db: Session, person: Person) -> list[tuple[str, str]]:
    """(id, name) of everyone else who acted on the person's vault, by name."""
    names = _names(db, actor_ids_of(db, person.id))
    return sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))


def _names(db: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = db.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids)))
    return dict(rows.all())
