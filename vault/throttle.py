"""Growing delays after failed attempts, per account and per source address, kept in the
database so that every app instance sees the same counts.

A few free attempts, then each failure doubles the wait, up to a ceiling: never a permanent
lock-out that an attacker could use to keep a person out of their papers.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vault.errors import ThrottledError
from vault.models import Throttle, utcnow

# Failures older than this are forgotten.
FORGET_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    prefix: str
    free_attempts: int
    max_delay_seconds: int


ACCOUNT = Rule("login:", free_attempts=5, max_delay_seconds=300)
ADDRESS = Rule("addr:", free_attempts=20, max_delay_seconds=900)


def key_for(rule: Rule, value: str) -> str:
    return (rule.prefix + value)[:120]


def check(db: Session, keys: list[str], now: datetime | None = None) -> None:
    """Raise ThrottledError while any of these keys is still waiting."""
    now = now or utcnow()
    waits = [
        (row.blocked_until - now).total_seconds()
        for row in db.scalars(select(Throttle).where(Throttle.key.in_(keys)))
        if row.blocked_until is not None and row.blocked_until > now
    ]
    if waits:
        raise ThrottledError(math.ceil(max(waits)))


def record_failure(
    db: Session, rule: Rule, value: str, base_delay: float, now: datetime | None = None
) -> None:
    now = now or utcnow()
    key = key_for(rule, value)
    row = db.get(Throttle, key, with_for_update=True)
    if row is None:
        row = Throttle(key=key, failures=0, last_failure_at=now)
        try:
            with db.begin_nested():
                db.add(row)
        except IntegrityError:
            row = db.get_one(Throttle, key, with_for_update=True, populate_existing=True)
    if now - row.last_failure_at > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    excess = row.failures - rule.free_attempts
    if excess > 0:
        delay = min(base_delay * 2 ** (excess - 1), rule.max_delay_seconds)
        row.blocked_until = now + timedelta(seconds=delay)
    db.flush()


def clear(db: Session, key: str) -> None:
    db.execute(delete(Throttle).where(Throttle.key == key))
