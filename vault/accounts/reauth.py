"""Asking again who is there before what can take an account: new recovery codes, a second
factor turned on or replaced, other contact details, signing out everywhere, a new password.
A session alone (a tab left open on a shared computer) is not enough. Wrong answers are
throttled with the sign-in's counts and journaled for the person, like a failed sign-in."""

from sqlalchemy.orm import Session

from keys.providers.base import MasterKeyProvider
from vault.accounts import second_factor, throttle
from vault.accounts.passwords import verify_password
from vault.audit import journal
from vault.errors import N_, InvalidInputError, SecondFactorRequiredError, WrongSecretError
from vault.models import Person

WRONG_PASSWORD = N_("Le mot de passe actuel n'est pas bon.")
MISSING_PASSWORD = N_("Écrivez votre mot de passe actuel.")
MISSING_CODE = N_("Écrivez le code affiché par votre application.")


def check_password(
    db: Session, person: Person, password: str | None, attempt: throttle.Attempt
) -> None:
    """The current password, or InvalidInputError (missing), WrongSecretError (wrong),
    ThrottledError (too many wrong ones lately)."""
    if not password:
        raise InvalidInputError(MISSING_PASSWORD, field="current_password")
    throttle.guard(db, attempt)
    if not verify_password(person.password_hash, password):
        _failed(db, person, attempt)
        raise WrongSecretError(WRONG_PASSWORD, field="current_password")


def confirm_identity(
    db: Session,
    master_keys: MasterKeyProvider,
    person: Person,
    *,
    password: str | None,
    totp: str | None,
    attempt: throttle.Attempt,
) -> None:
    """The current password, and the current code where the person has a second factor. A
    missing one is InvalidInputError, a wrong one WrongSecretError: the session is good, so
    neither is an AuthenticationError (401, which a client takes as "sign in again")."""
    check_password(db, person, password, attempt)
    if person.totp_secret_sealed is not None:
        if not totp:
            raise InvalidInputError(MISSING_CODE, field="totp")
        try:
            second_factor.verify(db, master_keys, person, totp)
        except SecondFactorRequiredError as exc:
            _failed(db, person, attempt)
            raise WrongSecretError(exc.template, field="totp", **exc.params) from None
    throttle.passed(db, attempt)


def confirm_password(
    db: Session, person: Person, *, password: str | None, attempt: throttle.Attempt
) -> None:
    """The current password alone, where a code of the app cannot be asked each time: an admin
    adding several people in a row (each code works once, so each addition would wait for the
    next one). Where the person has a second factor, the password alone does not forget the
    wrong answers counted: wrong codes of the app would otherwise never be limited, their count
    cleared by the password between two rounds of guesses."""
    check_password(db, person, password, attempt)
    if person.totp_secret_sealed is None:
        throttle.passed(db, attempt)


def _failed(db: Session, person: Person, attempt: throttle.Attempt) -> None:
    throttle.failed(db, attempt)
    # No actor: whoever holds the session may not be the person.
    journal.record(
        db, subject_id=person.id, action=journal.REAUTHENTICATION_FAILED, source=attempt.source
    )
