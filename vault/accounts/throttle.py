"""Growing delays after wrong secrets (password, second-factor code, recovery or reset code,
current password on the account), per account and per source, kept in the database so that
every app instance sees the same counts.

Every place that checks a secret does the same three steps:

    attempt = throttle.attempt(db, settings, login=..., source=..., device_token=...)
    throttle.guard(db, attempt)        # ThrottledError while waiting
    ...check the secret...
    throttle.failed(db, attempt)       # a wrong one
    throttle.passed(db, attempt)       # the right one

A few free attempts, then each failure doubles the wait, up to a ceiling: never a permanent
lock-out that an attacker could use to keep a person out of their papers. A browser where the
person signed in before (a device cookie, see vault.accounts.devices) is counted on its own, not
with the account and the address: others' failures do not keep the person out, and a stolen cookie
gets a few tries before the usual rules apply again.

Self sign-ups are counted here too, per address and per hour (`count_sign_up`): each costs a
password hash. A counter whose window is over is removed by `forget_expired`
(`coffre storage sweep`).
"""

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vault import metrics
from vault.accounts import devices
from vault.config import Settings
from vault.errors import ThrottledError, TooManySignUpsError
from vault.models import Throttle, utcnow

# Failures older than this are forgotten.
FORGET_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    prefix: str
    free_attempts: int
    max_delay_seconds: int


ACCOUNT = Rule("login:", free_attempts=5, max_delay_seconds=300)
# One address (a router may hide many people) guesses a bounded number of secrets an hour,
# whatever the accounts.
ADDRESS = Rule("addr:", free_attempts=20, max_delay_seconds=900)
# A device cookie is trusted for this many failures in an hour, then the rules above apply.
DEVICE = Rule("device:", free_attempts=5, max_delay_seconds=300)
# Self sign-ups from one address in one clock hour: "signup:<hour>:<address>".
SIGN_UP_PREFIX = "signup:"
SIGN_UP_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Attempt:
    """Someone about to present a secret for an account (its normalised login)."""

    account: str
    source: str
    base_delay: float
    # A device cookie bound to this very account, if the browser sent one.
    device_id: str | None = None
    # False for a recovery or reset code (~59 bits: no guessing within the address's count):
    # the account's wait, which anyone who knows the login can keep going, does not stop it,
    # so the person always has a way in.
    per_account: bool = True


def attempt(
    db: Session, settings: Settings, *, login: str, source: str, device_token: str | None = None
) -> Attempt:
    device = devices.recognise(db, settings, device_token, login)
    return Attempt(
        account=login,
        source=source,
        base_delay=settings.throttle_base_delay_seconds,
        device_id=device.id if device is not None else None,
    )


def guard(db: Session, attempt: Attempt, now: datetime | None = None, *, lock: bool = True) -> None:
    """Raise ThrottledError while this attempt must still wait.

    The counters are locked until the transaction ends, so attempts checked side by side are
    judged one after the other: the one after the failure that starts a wait is refused, not
    counted past it. `lock=False` for a look from a read-only transaction, before a password
    hash: the writing transaction after the hash must guard again."""
    now = now or utcnow()
    keys = sorted(_key(rule, value) for rule, value in _buckets(db, attempt, now))
    if lock:
        _lock(db, keys)
    waits = [
        (row.blocked_until - now).total_seconds()
        for row in db.scalars(select(Throttle).where(Throttle.key.in_(keys)))
        if row.blocked_until is not None and row.blocked_until > now
    ]
    if waits:
        metrics.THROTTLED.labels("secret").inc()
        raise ThrottledError(math.ceil(max(waits)))


def failed(db: Session, attempt: Attempt, now: datetime | None = None) -> None:
    """A wrong secret: count it. The caller's transaction must be kept (ThrottledError and
    AuthenticationError keep their writes)."""
    now = now or utcnow()
    # In the order guard() locks them: no two attempts each hold a row the other waits for.
    for rule, value in sorted(_buckets(db, attempt, now), key=lambda bucket: _key(*bucket)):
        _count_failure(db, rule, value, attempt.base_delay, now)


def passed(db: Session, attempt: Attempt) -> None:
    """The right secret: the account's (and the device's) count starts again. The address's
    does not, so that knowing one password does not buy more guesses at others."""
    lift(db, attempt.account)
    if attempt.device_id is not None:
        db.execute(delete(Throttle).where(Throttle.key == _key(DEVICE, attempt.device_id)))


def lift(db: Session, login: str) -> None:
    """End the account's waiting time (a counsellor the person trusts may do it)."""
    db.execute(delete(Throttle).where(Throttle.key == _key(ACCOUNT, login)))


def count_sign_up(
    db: Session, settings: Settings, source: str, now: datetime | None = None
) -> None:
    """Count a self sign-up from `source`, before its password is hashed: TooManySignUpsError
    once the address has had COFFRE_SIGNUPS_PER_ADDRESS_PER_HOUR this hour (0: no limit).
    The count belongs to the caller's transaction: a sign-up refused for its fields, which
    hashed nothing, is not counted."""
    limit = settings.signups_per_address_per_hour
    if limit <= 0:
        return
    now = now or utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    key = (f"{SIGN_UP_PREFIX}{hour:%Y%m%d%H}:{_source_bucket(source)}")[:120]
    _lock(db, [key])
    row = db.get(Throttle, key, with_for_update=True)
    if row is not None and row.failures >= limit:
        metrics.THROTTLED.labels("sign_up").inc()
        raise TooManySignUpsError(math.ceil((hour + SIGN_UP_WINDOW - now).total_seconds()))
    if row is None:
        # Only one transaction counts for this key at a time (_lock; SQLite's write lock).
        row = Throttle(key=key, failures=0)
        db.add(row)
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= limit:
        row.blocked_until = hour + SIGN_UP_WINDOW
    db.flush()


def forget_expired(db: Session, now: datetime | None = None) -> int:
    """Remove the counters whose window is over (nothing counted for an hour, no wait still
    running), unknown logins' included: such a row says no more than no row. Rows another
    transaction holds are left for the next time, never waited for. Returns how many went."""
    now = now or utcnow()
    expired = (
        select(Throttle.key)
        .where(
            Throttle.last_failure_at < now - FORGET_AFTER,
            or_(Throttle.blocked_until.is_(None), Throttle.blocked_until <= now),
        )
        .with_for_update(skip_locked=True)
    )
    removed = db.execute(delete(Throttle).where(Throttle.key.in_(expired)))
    return int(removed.rowcount)  # type: ignore[attr-defined]


def _buckets(db: Session, attempt: Attempt, now: datetime) -> list[tuple[Rule, str]]:
    if not attempt.per_account:
        return [(ADDRESS, _source_bucket(attempt.source))]
    if attempt.device_id is not None:
        row = db.get(Throttle, _key(DEVICE, attempt.device_id))
        failures = 0 if row is None or now - row.last_failure_at > FORGET_AFTER else row.failures
        if failures < DEVICE.free_attempts:
            return [(DEVICE, attempt.device_id)]
    return [(ACCOUNT, attempt.account), (ADDRESS, _source_bucket(attempt.source))]


def _lock(db: Session, keys: list[str]) -> None:
    """Hold these counters until the transaction ends, rows or not (a first failure has none
    yet). SQLite needs nothing: a writing transaction holds the whole database. On PostgreSQL,
    a transaction-scoped advisory lock per key, taken in one order by everyone."""
    if db.get_bind().dialect.name != "postgresql":
        return
    for key in keys:
        db.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


def _source_bucket(source: str) -> str:
    """An IPv6 subscriber gets a whole /64: counting single addresses would let them rotate."""
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return source
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key(rule: Rule, value: str) -> str:
    return (rule.prefix + value)[:120]


def _count_failure(db: Session, rule: Rule, value: str, base_delay: float, now: datetime) -> None:
    key = _key(rule, value)
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
