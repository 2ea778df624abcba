"""The journal: who did what, when, to whose papers. Append-only and hash-chained: each entry's
hash covers the previous entry's hash and its own fields, so `verify_chain` finds a changed,
removed, reordered or inserted entry. Ids and action names only: never a title, a file name or a
document's content."""

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vault.models import JournalEvent, JournalHead, utcnow

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT_EVERYWHERE = "sign_out_everywhere"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an action name, not a password
CONTACT_CHANGED = "contact_changed"
NAME_CHANGED = "name_changed"
RECOVERY_CODES_CREATED = "recovery_codes_created"
RECOVERY_CODE_USED = "recovery_code_used"
RECOVERY_FAILED = "recovery_failed"
RESET_CODE_ISSUED = "reset_code_issued"
RESET_CODE_USED = "reset_code_used"
SECOND_FACTOR_ENABLED = "second_factor_enabled"
SECOND_FACTOR_REPLACED = "second_factor_replaced"
SECOND_FACTOR_FAILED = "second_factor_failed"
SECOND_FACTOR_RESET = "second_factor_reset"
REAUTHENTICATION_FAILED = "reauthentication_failed"
THROTTLE_CLEARED = "throttle_cleared"
HOLD_ENDED = "hold_ended"
ACCOUNT_CREATED_IN_PERSON = "account_created_in_person"
GRANT_CREATED = "grant_created"
GRANT_REQUESTED = "grant_requested"
GRANT_ACCEPTED = "grant_accepted"
GRANT_REFUSED = "grant_refused"
GRANT_REVOKED = "grant_revoked"
GRANT_EXPIRED = "grant_expired"
# The professional who held an access personally had their account closed (they left).
GRANT_HOLDER_CLOSED = "grant_holder_closed"
# The same, for a request they had made and the person had not answered yet.
REQUEST_HOLDER_CLOSED = "request_holder_closed"
DOCUMENT_LISTED = "documents_listed"
DOCUMENT_VIEWED = "document_viewed"
DOCUMENT_DOWNLOADED = "document_downloaded"
DOCUMENT_ADDED = "document_added"
DOCUMENT_CHANGED = "document_changed"
DOCUMENT_DELETED = "document_deleted"
DOCUMENT_RESTORED = "document_restored"
DOCUMENT_ERASED = "document_erased"
DOCUMENT_REPORTED = "document_reported"
SHARE_CREATED = "share_created"
SHARE_VIEWED = "share_viewed"  # the office's page of a link, once per visit
SHARE_OPENED = "share_opened"  # a download of the marked copy
SHARE_REVOKED = "share_revoked"
SHARE_CODE_FAILED = "share_code_failed"
EXPORT_MADE = "export_made"
REMINDER_SENT = "reminder_sent"
DOCUMENT_MADE_PRIVATE = "document_made_private"
DOCUMENT_NO_LONGER_PRIVATE = "document_no_longer_private"
ACCESS_REFUSED = "access_refused"
# A professional without the person's "recover" scope tried to change their password.
RESET_REFUSED = "reset_refused"
ORGANISATION_CREATED = "organisation_created"
COUNSELLOR_CREATED = "counsellor_created"
# A professional who already has an account joins another organisation, or leaves one of theirs.
MEMBER_ADDED = "member_added"
MEMBER_REMOVED = "member_removed"
# An organisation's admin corrected a professional's name: in the admin's trail
# (member_renamed), the professional's own history (name_changed, by the admin) and the history
# of each person who gave them an access or was asked for one (holder_renamed).
MEMBER_RENAMED = "member_renamed"
HOLDER_RENAMED = "holder_renamed"
# A professional who holds someone's personal access joined or left an organisation: the access
# follows them, so the person who gave it reads where they work now.
HOLDER_JOINED = "holder_joined"
HOLDER_LEFT = "holder_left"
ACCOUNT_ERASED = "account_erased"

# Refused attempts: one person's of one kind on one day are one line in a history (see
# lines_of), so that someone refused again and again writes no flood.
GROUPED = frozenset({ACCESS_REFUSED, RESET_REFUSED})

GENESIS = "0" * 64
_HEAD_ID = 1


def _digest(prev_hash: str, event: JournalEvent) -> str:
    fields = {
        "seq": event.seq,
        "subject": event.subject_id,
        "actor": event.actor_id,
        "organisation": event.organisation_id,
        "grant": event.grant_id,
        "action": event.action,
        "target": event.target_id,
        "source": event.source,
        "at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    payload = prev_hash.encode() + json.dumps(fields, sort_keys=True).encode()
    return hashlib.sha256(payload).hexdigest()


def _locked_head(db: Session) -> JournalHead:
    head = db.get(JournalHead, _HEAD_ID, with_for_update=True)
    if head is None:
        try:
            with db.begin_nested():
                db.add(JournalHead(id=_HEAD_ID, seq=0, hash=GENESIS))
        except IntegrityError:
            pass
        head = db.get_one(JournalHead, _HEAD_ID, with_for_update=True, populate_existing=True)
    return head


def record(
    db: Session,
    *,
    subject_id: str,
    action: str,
    actor_id: str | None = None,
    target_id: str | None = None,
    source: str = "",
    organisation_id: str | None = None,
    grant_id: str | None = None,
) -> JournalEvent:
    """Append one entry; the head row's lock keeps the chain in one line across instances."""
    head = _locked_head(db)
    event = JournalEvent(
        seq=head.seq + 1,
        subject_id=subject_id,
        actor_id=actor_id,
        organisation_id=organisation_id,
        grant_id=grant_id,
        action=action,
        target_id=target_id,
        source=source[:64],
        occurred_at=utcnow(),
        prev_hash=head.hash,
    )
    event.hash = _digest(head.hash, event)
    head.seq, head.hash = event.seq, event.hash
    db.add(event)
    db.flush()
    return event


@dataclass(frozen=True)
class JournalLine:
    """An entry as the owner reads it; `count` > 1 when it stands for that person's repeated
    refused attempts of one kind on one day, `event` being the newest of them."""

    event: JournalEvent
    count: int


# The largest seq a 64-bit column holds: a cursor beyond it (a link changed by hand) bounds
# nothing, and neither database would take it as a parameter.
MAX_SEQ = 2**63 - 1


def lines_of(
    db: Session,
    subject_id: str,
    *,
    limit: int,
    before: int | None = None,
    actor_id: str | None = None,
    others_only: bool = False,
    actions: Collection[str] | None = None,
) -> list[JournalLine]:
    """Newest first, at most `limit` lines whose seq is below `before`; only what `actor_id`
    did, only what others than the subject did (`others_only`), only these `actions`, when
    asked. Refused attempts are grouped in SQL (one attacker can write any number of them) and
    a group is placed and paged by its newest seq, so it shows once, whatever the page size."""
    shown = [JournalEvent.subject_id == subject_id]
    if actor_id is not None:
        shown.append(JournalEvent.actor_id == actor_id)
    if others_only:
        shown.append(JournalEvent.actor_id != subject_id)  # NULL (nobody signed in) is left out
    if actions is not None:
        shown.append(JournalEvent.action.in_(actions))
    ordinary = (
        select(JournalEvent)
        .where(*shown, JournalEvent.action.not_in(GROUPED))
        .order_by(JournalEvent.seq.desc())
        .limit(limit)
    )
    newest = func.max(JournalEvent.seq)
    # The UTC day: SQLite stores UTC text, PostgreSQL sessions run in UTC (see vault.db).
    groups = (
        select(newest.label("seq"), func.count().label("count"))
        .where(*shown, JournalEvent.action.in_(GROUPED))
        .group_by(JournalEvent.actor_id, JournalEvent.action, func.date(JournalEvent.occurred_at))
        .order_by(newest.desc())
        .limit(limit)
    )
    if before is not None and before <= MAX_SEQ:
        ordinary = ordinary.where(JournalEvent.seq < before)
        groups = groups.having(newest < before)
    grouped = groups.subquery()
    lines = [JournalLine(event, 1) for event in db.scalars(ordinary)]
    lines += [
        JournalLine(event, count)
        for event, count in db.execute(
            select(JournalEvent, grouped.c.count).join(grouped, JournalEvent.seq == grouped.c.seq)
        )
    ]
    lines.sort(key=lambda line: line.event.seq, reverse=True)
    return lines[:limit]


def actor_ids_of(db: Session, subject_id: str) -> set[str]:
    """Everyone else who appears in a person's journal."""
    actors = db.scalars(
        select(JournalEvent.actor_id)
        .where(JournalEvent.subject_id == subject_id, JournalEvent.actor_id != subject_id)
        .distinct()
    )
    return {actor for actor in actors if actor is not None}


def acted_for_others(db: Session, person_id: str) -> bool:
    """Whether the person is the one who acted in someone else's journal (a professional who
    opened their papers, an admin who reset their second factor)."""
    found = db.scalar(
        select(JournalEvent.seq)
        .where(JournalEvent.actor_id == person_id, JournalEvent.subject_id != person_id)
        .limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class ChainReport:
    entries: int
    problems: list[str]


def verify_chain(db: Session) -> ChainReport:
    """Walk the whole journal in order and recompute every link."""
    problems: list[str] = []
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for event in db.scalars(select(JournalEvent).order_by(JournalEvent.seq)):
        count += 1
        if event.seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing or out of place (found {event.seq})")
        if event.prev_hash != prev_hash:
            problems.append(f"entry {event.seq} does not follow the entry before it")
        if _digest(event.prev_hash, event) != event.hash:
            problems.append(f"entry {event.seq} was changed")
        prev_hash, expected_seq = event.hash, event.seq + 1
    head = db.get(JournalHead, _HEAD_ID)
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        problems.append(f"the journal ends at entry {last_seq} but its head says {head.seq}")
    if head is None and count:
        problems.append("the journal head is missing")
    return ChainReport(count, problems)
