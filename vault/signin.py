"""Signing in: throttled, same answer and cost for an unknown login as for a wrong password,
the password hash upgraded when the parameters change, a second factor where required."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import journal, second_factor, throttle
from vault.accounts import normalise_login
from vault.errors import AuthenticationError, SecondFactorRequiredError
from vault.models import Person
from vault.passwords import hash_password, needs_rehash, verify_password
from vault.runtime import Runtime

WRONG = "Identifiant ou mot de passe incorrect."


def throttle_keys(login: str, source: str) -> list[str]:
    return [
        throttle.key_for(throttle.ACCOUNT, normalise_login(login)),
        throttle.key_for(throttle.ADDRESS, source),
    ]


def record_failure(db: Session, rt: Runtime, login: str, source: str) -> None:
    base = rt.settings.throttle_base_delay_seconds
    throttle.record_failure(db, throttle.ACCOUNT, normalise_login(login), base)
    throttle.record_failure(db, throttle.ADDRESS, source, base)


def sign_in(
    db: Session, rt: Runtime, login: str, password: str, source: str, totp: str | None = None
) -> Person:
    """The person, or AuthenticationError / ThrottledError. The caller commits either way, so
    failures are counted even though an error is raised."""
    throttle.check(db, throttle_keys(login, source))
    person = db.scalar(select(Person).where(Person.login == normalise_login(login)))
    if not verify_password(person.password_hash if person else None, password) or person is None:
        record_failure(db, rt, login, source)
        if person is not None:
            journal.record(db, subject_id=person.id, action=journal.SIGN_IN_FAILED, source=source)
        raise AuthenticationError(WRONG)
    if second_factor.required(person):
        try:
            second_factor.verify(db, rt.master_keys, person, totp)
        except SecondFactorRequiredError:
            if totp:
                record_failure(db, rt, login, source)
            raise
    if needs_rehash(person.password_hash):
        person.password_hash = hash_password(password)
    throttle.clear(db, throttle.key_for(throttle.ACCOUNT, person.login))
    journal.record(
        db, subject_id=person.id, actor_id=person.id, action=journal.SIGN_IN, source=source
    )
    return person
