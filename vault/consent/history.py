"""A person's history as they read it: every journal line about them (what they did, what
others did on their vault, what was refused), with who did it and from which organisation, a
page at a time, filtered by who acted and what it was about."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.audit import journal
from vault.audit.journal import actor_ids_of, lines_of
from vault.consent.grants import GrantHolder, grant_holders
from vault.consent.organisations import organisation_names
from vault.models import Grant, JournalEvent, Person, Share

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class Topic(StrEnum):
    """What a line is about, for the history's filter."""

    PAPERS = "papers"
    ACCESS = "access"
    SIGN_IN = "sign_in"
    REFUSALS = "refusals"


_FAILURES = frozenset(
    {
        journal.SIGN_IN_FAILED,
        journal.RECOVERY_FAILED,
        journal.SECOND_FACTOR_FAILED,
        journal.REAUTHENTICATION_FAILED,
        journal.RESET_REFUSED,
    }
)
TOPIC_ACTIONS: dict[Topic, frozenset[str]] = {
    Topic.PAPERS: frozenset(
        {
            journal.DOCUMENT_LISTED,
            journal.DOCUMENT_VIEWED,
            journal.DOCUMENT_DOWNLOADED,
            journal.DOCUMENT_ADDED,
            journal.DOCUMENT_CHANGED,
            journal.DOCUMENT_DELETED,
            journal.DOCUMENT_RESTORED,
            journal.DOCUMENT_ERASED,
            journal.DOCUMENT_REPORTED,
            journal.DOCUMENT_MADE_PRIVATE,
            journal.DOCUMENT_NO_LONGER_PRIVATE,
            journal.EXPORT_MADE,
            journal.REMINDER_SENT,
            journal.SHARE_CREATED,
            journal.SHARE_VIEWED,
            journal.SHARE_OPENED,
            journal.SHARE_REVOKED,
        }
    ),
    Topic.ACCESS: frozenset(
        {
            journal.ACCOUNT_CREATED_IN_PERSON,
            journal.GRANT_CREATED,
            journal.GRANT_REQUESTED,
            journal.GRANT_ACCEPTED,
            journal.GRANT_REFUSED,
            journal.GRANT_REVOKED,
            journal.GRANT_EXPIRED,
            journal.GRANT_HOLDER_CLOSED,
            journal.REQUEST_HOLDER_CLOSED,
            journal.HOLDER_RENAMED,
            journal.HOLDER_JOINED,
            journal.HOLDER_LEFT,
        }
    ),
    Topic.SIGN_IN: _FAILURES
    | {
        journal.SIGN_IN,
        journal.SIGN_OUT_EVERYWHERE,
        journal.PASSWORD_CHANGED,
        journal.CONTACT_CHANGED,
        journal.NAME_CHANGED,
        journal.RECOVERY_CODES_CREATED,
        journal.RECOVERY_CODE_USED,
        journal.RESET_CODE_ISSUED,
        journal.RESET_CODE_USED,
        journal.SECOND_FACTOR_ENABLED,
        journal.SECOND_FACTOR_REPLACED,
        journal.SECOND_FACTOR_RESET,
        journal.THROTTLE_CLEARED,
        journal.HOLD_ENDED,
    },
    # Someone tried and was refused: a paper outside their access, a wrong secret.
    Topic.REFUSALS: _FAILURES | {journal.ACCESS_REFUSED, journal.SHARE_CODE_FAILED},
}
# The lines whose target is a link sent for a paper (the link names whom it was for).
_ABOUT_A_LINK = frozenset({journal.SHARE_VIEWED, journal.SHARE_OPENED})
# An organisation admin's trail: the lines whose target is a professional of their team.
_ABOUT_A_MEMBER = frozenset(
    {
        journal.COUNSELLOR_CREATED,
        journal.MEMBER_ADDED,
        journal.MEMBER_REMOVED,
        journal.MEMBER_RENAMED,
    }
)
# The lines whose target is a paper of the vault.
_ABOUT_A_PAPER = (
    TOPIC_ACTIONS[Topic.PAPERS] | {journal.ACCESS_REFUSED, journal.SHARE_CODE_FAILED}
) - _ABOUT_A_LINK


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
    # For a line about an access: whose access it is (« Claire Martin, CCAS de Lyon »).
    grant_holder: GrantHolder | None = None
    # For a line about a link sent for a paper (document_id), that link.
    share_id: str | None = None
    # For a line of an admin's trail, the professional it is about, by today's name.
    member_name: str | None = None


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
    helpers_only: bool = False,
    topic: Topic | None = None,
) -> HistoryPage:
    """Newest first; `before` is the `seq` of the last line of the previous page. Only what
    `actor_id` did, or what others than the person did (`helpers_only`), or lines about one
    `topic`, when asked."""
    # One line more than asked tells whether an older page exists.
    found = lines_of(
        db,
        person.id,
        limit=limit + 1,
        before=before,
        actor_id=actor_id,
        others_only=helpers_only,
        actions=TOPIC_ACTIONS[topic] if topic is not None else None,
    )
    shown = found[:limit]
    events = [line.event for line in shown]
    members = {e.target_id for e in events if e.action in _ABOUT_A_MEMBER and e.target_id}
    names = _names(db, {e.actor_id for e in events if e.actor_id} | members)
    organisations = organisation_names(db, {e.organisation_id for e in events if e.organisation_id})
    holders = _holders(db, {e.grant_id for e in events if e.grant_id})
    links = _papers_of_links(
        db, {e.target_id for e in events if e.action in _ABOUT_A_LINK and e.target_id}
    )
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
            document_id=_paper_of(e, links),
            occurred_at=e.occurred_at,
            grant_holder=holders.get(e.grant_id) if e.grant_id else None,
            share_id=e.target_id if e.action in _ABOUT_A_LINK else None,
            member_name=names.get(e.target_id)
            if e.action in _ABOUT_A_MEMBER and e.target_id
            else None,
        )
        for line, e in zip(shown, events, strict=True)
    ]
    return HistoryPage(lines, shown[-1].event.seq if len(found) > limit else None)


def _paper_of(event: JournalEvent, links: dict[str, str]) -> str | None:
    if event.action in _ABOUT_A_PAPER:
        return event.target_id
    if event.action in _ABOUT_A_LINK and event.target_id:
        return links.get(event.target_id)  # None once the link went with its erased paper
    return None


def _papers_of_links(db: Session, share_ids: set[str]) -> dict[str, str]:
    if not share_ids:
        return {}
    return dict(
        db.execute(select(Share.id, Share.document_id).where(Share.id.in_(share_ids))).all()
    )


def _holders(db: Session, grant_ids: set[str]) -> dict[str, GrantHolder]:
    if not grant_ids:
        return {}
    return grant_holders(db, db.scalars(select(Grant).where(Grant.id.in_(grant_ids))))


def other_actors(db: Session, person: Person) -> list[tuple[str, str]]:
    """(id, name) of everyone else who acted on the person's vault, by name."""
    names = _names(db, actor_ids_of(db, person.id))
    return sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))


def _names(db: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = db.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids)))
    return dict(rows.all())
