"""Optional second factor (TOTP, RFC 6238) for counsellors and administrators; required for
administrators. The secret is sealed under the person's user key; a code is accepted once."""

import binascii
import re
from datetime import UTC, datetime

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from keys.hierarchy import seal_field
from keys.providers.base import MasterKeyProvider
from vault.audit import journal
from vault.db import keep_after_rollback
from vault.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    SecondFactorRequiredError,
)
from vault.keylife.keychain import open_person_field, recording_key
from vault.models import Person
from vault.policy import is_platform_admin, may_use_second_factor, must_use_second_factor

ISSUER = "coffre"
_FIELD = "totp"


def required(person: Person) -> bool:
    return must_use_second_factor(person) or person.totp_secret_sealed is not None


def new_secret() -> str:
    return pyotp.random_base32()


def is_secret(value: str) -> bool:
    """Whether `value` has the shape of a key made by new_secret()."""
    return re.fullmatch(r"[A-Z2-7]{32}", value) is not None


def provisioning_uri(person: Person, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=person.login, issuer_name=ISSUER)


def enable(
    db: Session, master_keys: MasterKeyProvider, person: Person, secret: str, code: str
) -> None:
    """Turn the second factor on once the person proves their app shows the right code."""
    if not may_use_second_factor(person):
        raise ForbiddenError("La double vérification est réservée aux professionnels.")
    step = _matching_step(secret, code)
    if step is None:
        raise InvalidInputError("Ce code ne correspond pas. Réessayez.", field="code")
    install(db, master_keys, person, secret, last_step=step)


def install(
    db: Session,
    master_keys: MasterKeyProvider,
    person: Person,
    secret: str,
    last_step: int | None = None,
) -> None:
    """Store the secret, sealed. Used directly when an administrator account is created at the
    console, where the secret is shown to the person who types it into their app. Moving to
    another app has a journal line of its own: done by a thief, it takes the account."""
    replaced = person.totp_secret_sealed is not None
    _user_key, key = recording_key(db, master_keys, person.id)
    person.totp_secret_sealed = seal_field(key, person.id, person.id, _FIELD, secret)
    person.totp_last_step = last_step
    action = journal.SECOND_FACTOR_REPLACED if replaced else journal.SECOND_FACTOR_ENABLED
    journal.record(db, subject_id=person.id, actor_id=person.id, action=action)
    db.flush()


def reset(db: Session, admin: Person, person_id: str, source: str = "") -> None:
    """A platform admin removes the second factor of someone who lost their phone; the person
    sees it in their history. Whoever must have one (an administrator) keeps it."""
    if not is_platform_admin(admin):
        raise ForbiddenError("Réservé aux administrateurs de la plateforme.")
    person = db.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise NotFoundError("Cette personne n'existe pas.")
    if must_use_second_factor(person):
        raise ConflictError(
            "Ce compte doit garder sa double vérification. Créez un autre compte administrateur "
            "à la console."
        )
    if person.totp_secret_sealed is None:
        return
    person.totp_secret_sealed = None
    person.totp_last_step = None
    journal.record(
        db,
        subject_id=person.id,
        actor_id=admin.id,
        action=journal.SECOND_FACTOR_RESET,
        source=source,
    )
    db.flush()


def verify(db: Session, master_keys: MasterKeyProvider, person: Person, code: str | None) -> None:
    """Raise SecondFactorRequiredError unless `code` is a fresh, valid code for this person."""
    if person.totp_secret_sealed is None:
        raise SecondFactorRequiredError(
            "Ce compte doit d'abord activer la double vérification.", field="totp"
        )
    if not code:
        raise SecondFactorRequiredError("Entrez le code de votre application.", field="totp")
    secret = open_person_field(db, master_keys, person.id, _FIELD, person.totp_secret_sealed)
    step = _matching_step(secret, code)
    if step is None or not _spent(db, person, step):
        raise SecondFactorRequiredError("Ce code n'est pas bon.", field="totp")


def _spent(db: Session, person: Person, step: int) -> bool:
    """Record `step` as the last one used, unless it is not newer than the last (a code used
    already, here or by a request at the same instant) or the app was replaced since its secret
    was read. Kept whatever the request comes to: a form refused for another reason (a new
    password too short) leaves its code used."""
    spend = (
        update(Person)
        .where(
            Person.id == person.id,
            Person.totp_secret_sealed == person.totp_secret_sealed,
            or_(Person.totp_last_step.is_(None), Person.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if db.connection().execute(spend).rowcount != 1:
        return False
    keep_after_rollback(db, spend)
    set_committed_value(person, "totp_last_step", step)
    return True


def _matching_step(secret: str, code: str) -> int | None:
    """The time step the code belongs to (now, or one step either side for clock drift)."""
    try:
        totp = pyotp.TOTP(secret)
    except (ValueError, binascii.Error):
        return None  # not a usable secret: the same answer as a wrong code
    code = "".join(code.split())
    now_step = totp.timecode(datetime.now(UTC))
    for step in (now_step - 1, now_step, now_step + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None
