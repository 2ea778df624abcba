"""Signing in: throttled, same answer and cost for an unknown login as for a wrong password,
the password hash upgraded when the parameters change, a second factor where required."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import metrics
from vault.accounts import second_factor, throttle
from vault.accounts.accounts import normalise_login
from vault.accounts.passwords import hash_password, needs_rehash, verify_password
from vault.audit import journal
from vault.errors import N_, AuthenticationError, SecondFactorRequiredError
from vault.models import Person
from vault.runtime import Runtime

WRONG = N_("Identifiant ou mot de passe incorrect.")


def attempt_for(
    db: Session, rt: Runtime, login: str, source: str, device_token: str | None = None
) -> throttle.Attempt:
    return throttle.attempt(
        db, rt.settings, login=normalise_login(login), source=source, device_token=device_token
    )


def sign_in(
    db: Session,
    rt: Runtime,
    login: str,
    password: str,
    source: str,
    totp: str | None = None,
    device_token: str | None = None,
) -> Person:
    """The person, or AuthenticationError / ThrottledError / BusyError, whose writes (failure
    counts, journal lines) the caller keeps.

    The hash runs first, outside any transaction, before `db` is used: the caller's session
    must not have begun one, or its write lock (SQLite) or connection (PostgreSQL) is held
    through the hash and sign-ins queue behind each other. The writes then re-check what the
    hash was checked against."""
    checked = _check_password(rt, normalise_login(login), password, source, device_token)
    attempt = attempt_for(db, rt, login, source, device_token)
    throttle.guard(db, attempt)
    person = db.scalar(select(Person).where(Person.login == attempt.account))
    if person is None or not _still_right(person, checked, password):
        throttle.failed(db, attempt)
        if person is not None:
            journal.record(db, subject_id=person.id, action=journal.SIGN_IN_FAILED, source=source)
        metrics.SIGN_IN_FAILURES.labels("password").inc()
        raise AuthenticationError(WRONG)
    if second_factor.required(person):
        check_second_step(db, rt, person, totp, attempt)
    if checked.new_hash is not None and person.password_hash == checked.password_hash:
        person.password_hash = checked.new_hash
    throttle.passed(db, attempt)
    journal.record(
        db, subject_id=person.id, actor_id=person.id, action=journal.SIGN_IN, source=source
    )
    return person


@dataclass(frozen=True)
class _Checked:
    """A password checked against the hash stored when the check began (None: no such login)."""

    password_hash: str | None
    right: bool
    # The same password hashed with today's parameters, when the stored hash is older.
    new_hash: str | None


def _check_password(
    rt: Runtime, account: str, password: str, source: str, device_token: str | None
) -> _Checked:
    with rt.readers() as reader:
        attempt = throttle.attempt(
            reader, rt.settings, login=account, source=source, device_token=device_token
        )
        # A waiting account or address costs no hash.
        throttle.guard(reader, attempt, lock=False)
        password_hash = reader.scalar(select(Person.password_hash).where(Person.login == account))
    right = verify_password(password_hash, password)
    stale = right and password_hash is not None and needs_rehash(password_hash)
    return _Checked(password_hash, right, hash_password(password) if stale else None)


def _still_right(person: Person, checked: _Checked, password: str) -> bool:
    if person.password_hash == checked.password_hash:
        return checked.right
    # The hash changed during the check (a new password, or another sign-in's upgrade): rare
    # enough to check again here, holding the transaction.
    return verify_password(person.password_hash, password)


def check_second_step(
    db: Session, rt: Runtime, person: Person, code: str | None, attempt: throttle.Attempt
) -> None:
    """The code from the authenticator app, after the right password: throttled like it. A
    missing code is a question, not a guess, and is not counted."""
    throttle.guard(db, attempt)
    try:
        second_factor.verify(db, rt.master_keys, person, code)
    except SecondFactorRequiredError:
        if code:
            throttle.failed(db, attempt)
            metrics.SIGN_IN_FAILURES.labels("second_factor").inc()
            journal.record(
                db,
                subject_id=person.id,
                action=journal.SECOND_FACTOR_FAILED,
                source=attempt.source,
            )
        raise


def sign_in_second_step(
    db: Session, rt: Runtime, person: Person, code: str | None, attempt: throttle.Attempt
) -> None:
    """The pages' second step, once the password was right in the first one."""
    check_second_step(db, rt, person, code, attempt)
    throttle.passed(db, attempt)
    journal.record(
        db, subject_id=person.id, actor_id=person.id, action=journal.SIGN_IN, source=attempt.source
    )
