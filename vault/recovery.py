"""Getting back in without email or phone.

1. Recovery codes: ten single-use codes shown once (at sign-up, or when the person asks for new
   ones) and printed; only their hashes are kept.
2. A reset code that a counsellor the person trusts hands over in person, valid 15 minutes.
Either one lets the person choose a new password; every other session then ends.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vault import devices, journal, throttle
from vault.accounts import normalise_login
from vault.errors import AuthenticationError, NotFoundError
from vault.models import Person, RecoveryCode, ResetCode, utcnow
from vault.passwords import check_new_password, hash_password
from vault.policy import may_help_recover
from vault.runtime import Runtime
from vault.sessions import close_all_sessions
from vault.signin import attempt_for

CODE_COUNT = 10
# No 0/O, 1/I/L: codes are read from paper and typed by people who may read little.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_GROUPS, _GROUP_SIZE = 3, 4
WRONG_CODE = "Ce code ne marche pas. Vérifiez l'identifiant et le code."


def _new_code() -> str:
    groups = (
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_SIZE)) for _ in range(_GROUPS)
    )
    return "-".join(groups)


def _normalise(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def _hash(person_id: str, code: str) -> str:
    # Codes carry ~59 bits of randomness and guesses are throttled: a keyed fast hash suffices.
    return hmac.new(person_id.encode(), _normalise(code).encode(), hashlib.sha256).hexdigest()


def new_recovery_codes(db: Session, person: Person, source: str = "") -> list[str]:
    """Replace every recovery code of this person by ten fresh ones, returned once."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person.id))
    codes = [_new_code() for _ in range(CODE_COUNT)]
    for code in codes:
        db.add(RecoveryCode(person_id=person.id, code_hash=_hash(person.id, code)))
    journal.record(
        db,
        subject_id=person.id,
        actor_id=person.id,
        action=journal.RECOVERY_CODES_CREATED,
        source=source,
    )
    db.flush()
    return codes


def unused_recovery_codes(db: Session, person_id: str) -> int:
    query = select(func.count()).where(
        RecoveryCode.person_id == person_id, RecoveryCode.used_at.is_(None)
    )
    return db.scalar(query) or 0


def issue_reset_code(
    db: Session, rt: Runtime, helper: Person, person_id: str, source: str = ""
) -> tuple[str, datetime]:
    """A one-time reset code for a person who granted `helper` the recover scope."""
    person = db.get(Person, person_id)
    if person is None or not may_help_recover(db, rt.settings, helper, person):
        raise NotFoundError("Cette personne n'existe pas.")
    return create_reset_code(db, rt, person, helper, source)


def create_reset_code(
    db: Session,
    rt: Runtime,
    person: Person,
    helper: Person,
    source: str = "",
    now: datetime | None = None,
) -> tuple[str, datetime]:
    """The code itself, once the policy has said yes."""
    code = _new_code()
    expires_at = (now or utcnow()) + timedelta(minutes=rt.settings.reset_code_minutes)
    db.add(
        ResetCode(
            person_id=person.id,
            issued_by=helper.id,
            code_hash=_hash(person.id, code),
            expires_at=expires_at,
        )
    )
    journal.record(
        db,
        subject_id=person.id,
        actor_id=helper.id,
        action=journal.RESET_CODE_ISSUED,
        source=source,
    )
    db.flush()
    return code, expires_at


def clear_sign_in_delay(
    db: Session, rt: Runtime, helper: Person, person_id: str, source: str = ""
) -> None:
    """Lift the waiting time after failed sign-ins, for a person who trusts `helper`."""
    person = db.get(Person, person_id)
    if person is None or not may_help_recover(db, rt.settings, helper, person):
        raise NotFoundError("Cette personne n'existe pas.")
    throttle.lift(db, person.login)
    journal.record(
        db,
        subject_id=person.id,
        actor_id=helper.id,
        action=journal.THROTTLE_CLEARED,
        source=source,
    )


def recover(
    db: Session, rt: Runtime, login: str, code: str, new_password: str, source: str
) -> tuple[Person, str]:
    """Set a new password with a recovery code or a counsellor's reset code. Returns the person
    and which kind of code was used. Throttled like a sign-in; the caller commits either way."""
    attempt = attempt_for(db, rt, login, source)
    throttle.guard(db, attempt)
    person = db.scalar(select(Person).where(Person.login == normalise_login(login)))
    # Judge the new password before spending the code, so a refused password costs no code.
    check_new_password(new_password, login, person.display_name if person else "")
    used = _use_code(db, person, code) if person is not None else None
    if person is None or used is None:
        throttle.failed(db, attempt)
        if person is not None:
            journal.record(db, subject_id=person.id, action=journal.RECOVERY_FAILED, source=source)
        raise AuthenticationError(WRONG_CODE, field="code")
    person.password_hash = hash_password(new_password)
    close_all_sessions(db, person.id)
    devices.forget_all(db, person.id)
    throttle.passed(db, attempt)
    journal.record(db, subject_id=person.id, actor_id=person.id, action=used, source=source)
    journal.record(
        db, subject_id=person.id, actor_id=person.id, action=journal.PASSWORD_CHANGED, source=source
    )
    db.flush()
    return person, used


def _use_code(db: Session, person: Person, code: str) -> str | None:
    """Spend a matching unused code; the journal action naming its kind, or None."""
    digest = _hash(person.id, code)
    now = utcnow()
    recovery = db.scalar(
        select(RecoveryCode).where(
            RecoveryCode.person_id == person.id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is not None:
        recovery.used_at = now
        return journal.RECOVERY_CODE_USED
    reset = db.scalar(
        select(ResetCode).where(
            ResetCode.person_id == person.id,
            ResetCode.code_hash == digest,
            ResetCode.used_at.is_(None),
            ResetCode.expires_at > now,
        )
    )
    if reset is not None:
        reset.used_at = now
        return journal.RESET_CODE_USED
    return None
