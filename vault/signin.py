"""Signing in: throttled, same answer and cost for an unknown login as for a wrong password,
the password hash upgraded when the parameters change, a second factor where required."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import journal, second_factor, throttle
from vault.accounts import normalise_login
from vault.errors import N_, AuthenticationError, SecondFactorRequiredError
from vault.models import Person
from vault.passwords import hash_password, needs_rehash, verify_password
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
    """The person, or AuthenticationError / ThrottledError, whose writes (failure counts,
    journal lines) the caller keeps."""
    attempt = attempt_for(db, rt, login, source, device_token)
    throttle.guard(db, attempt)
    person = db.scalar(select(Person).where(Person.login == attempt.account))
    if not verify_password(person.password_hash if person else None, password) or person is None:
        throttle.failed(db, attempt)
        if person is not None:
            journal.record(db, subject_id=person.id, action=journal.SIGN_IN_FAILED, source=source)
        raise AuthenticationError(WRONG)
    if second_factor.required(person):
        check_second_step(db, rt, person, totp, attempt)
    if needs_rehash(person.password_hash):
        person.password_hash = hash_password(password)
    throttle.passed(db, attempt)
    journal.record(
        db, subject_id=person.id, actor_id=person.id, action=journal.SIGN_IN, source=source
    )
    return person


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
