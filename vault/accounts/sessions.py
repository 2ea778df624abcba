"""Server-side sessions: random tokens, stored hashed, with idle and absolute lifetimes."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, not_, select
from sqlalchemy.orm import Session

from vault.config import Settings
from vault.models import AuthSession, Person, utcnow

# "mfa": half signed in, the password checked and the second factor still to come.
KINDS = ("api", "web", "mfa")
# A session seen less than this long ago is not written again: a page and the pictures in it,
# or a script's requests in a row, cost one write (and its disk flush) rather than one each.
# The pages sign out by themselves 5 s before the idle limit (static/idle.js): a last-seen time
# up to this much older still ends the session after them.
SEEN_EVERY = timedelta(seconds=2)


@dataclass(frozen=True)
class SignedIn:
    person: Person
    session: AuthSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    db: Session,
    settings: Settings,
    person: Person,
    kind: str,
    device: str = "",
    lifetime: timedelta | None = None,
) -> tuple[str, AuthSession]:
    """A fresh session and its token; the token is shown once and only its hash is kept.
    The person's sessions that ended by themselves (a tab closed without signing out) go: no
    row stays for ever, and none is listed as open."""
    if kind not in KINDS:
        raise ValueError(f"unknown session kind {kind!r}")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.execute(
        delete(AuthSession).where(AuthSession.person_id == person.id, not_(_open_at(settings, now)))
    )
    record = AuthSession(
        token_hash=_hash(token),
        person_id=person.id,
        kind=kind,
        csrf_token=secrets.token_urlsafe(32),
        device=device[:100],
        created_at=now,
        last_seen_at=now,
        expires_at=now + (lifetime or timedelta(hours=settings.session_max_hours)),
    )
    db.add(record)
    db.flush()
    return token, record


def resolve_session(
    db: Session, settings: Settings, token: str, kind: str, now: datetime | None = None
) -> SignedIn | None:
    """The signed-in person for a token, or None when unknown, idle too long or expired."""
    now = now or utcnow()
    record = db.scalar(
        select(AuthSession).where(AuthSession.token_hash == _hash(token), AuthSession.kind == kind)
    )
    if record is None:
        return None
    idle_limit = record.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if now >= record.expires_at or now >= idle_limit:
        db.delete(record)
        db.flush()
        return None
    if now - record.last_seen_at >= SEEN_EVERY:
        record.last_seen_at = now
    person = db.get(Person, record.person_id)
    if person is None:
        return None
    return SignedIn(person=person, session=record)


def close_session(db: Session, session_id: str) -> None:
    """End a session on the server: its token stops working at once."""
    db.execute(delete(AuthSession).where(AuthSession.id == session_id))


def close_all_sessions(db: Session, person_id: str, keep: str | None = None) -> int:
    """Sign out everywhere (but for the session `keep`); returns how many ended."""
    query = delete(AuthSession).where(AuthSession.person_id == person_id)
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    result = db.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


def sessions_of(db: Session, settings: Settings, person_id: str) -> list[AuthSession]:
    """The person's sessions still open, the last seen first."""
    return list(
        db.scalars(
            select(AuthSession)
            .where(AuthSession.person_id == person_id, _open_at(settings, utcnow()))
            .order_by(AuthSession.last_seen_at.desc())
        )
    )


def _open_at(settings: Settings, now: datetime) -> ColumnElement[bool]:
    """What resolve_session still takes at `now`: neither past its lifetime nor idle too long."""
    idle_limit = timedelta(minutes=settings.session_idle_minutes)
    return and_(AuthSession.expires_at > now, AuthSession.last_seen_at > now - idle_limit)
