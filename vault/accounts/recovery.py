"""Getting back in without email or phone.

1. Recovery codes: ten single-use codes shown once (at sign-up, or when the person asks for new
   ones) and printed; only their hashes are kept. Codes a professional saw (an account created
   with the person present) give no more than a reset made by that professional.
2. A counsellor the person trusts (the "recover" scope) resets the password with them: the
   person types it on the counsellor's screen, or redeems a reset code the counsellor hands
   over in person, valid 15 minutes.
Either way every session of the person ends. A reset made with a counsellor is journaled in
the counsellor's name and starts a hold (vault/accounts/hold.py); the person's own codes end it.
"""

import hashlib
import hmac
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from vault.accounts import hold, throttle
from vault.accounts.accounts import SAME_AS_GIVEN, normalise_login, replace_password
from vault.accounts.passwords import check_new_password, verify_password
from vault.accounts.signin import attempt_for
from vault.audit import journal
from vault.errors import (
    N_,
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    WrongSecretError,
)
from vault.models import JournalEvent, Person, RecoveryCode, ResetCode, Vault, new_id, utcnow
from vault.policy import (
    Action,
    acting_for,
    helped_recover_since,
    require_help_recover,
    vault_access,
)
from vault.runtime import Runtime

CODE_COUNT = 10
# No 0/O, 1/I/L: codes are read from paper and typed by people who may read little.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_GROUPS, _GROUP_SIZE = 3, 4
WRONG_CODE = N_("Ce code ne marche pas. Vérifiez l'identifiant et le code.")
WRONG_UNLOCK = N_("Ce code ne marche pas. Prenez un de vos codes de secours, sur votre papier.")
CODES_ALREADY_MADE = N_(
    "Ces codes de secours ont déjà été faits. Ils ne seront plus montrés. "
    "Pour avoir de nouveaux codes, écrivez à nouveau votre mot de passe ici."
)

RESET_CODE_ALREADY_GIVEN = N_(
    "Ce code a déjà été donné. Il ne sera plus montré. "
    "Pour un autre code, écrivez à nouveau votre mot de passe ici."
)


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


def new_recovery_codes(
    db: Session,
    person: Person,
    source: str = "",
    seen_by: Person | None = None,
    replacing: str | None = None,
) -> list[str]:
    """Replace every recovery code of this person by ten fresh ones, returned once. Refused
    during a hold: the person's own codes are their way to end it. `seen_by`: the professional
    in front of whom they are shown (an account created with the person present).
    `replacing`: the generation the asking form was shown (`codes_in_force`); if other codes
    were made since, the same form was sent again (Back, Reload) and nothing changes."""
    hold.refuse_during_hold(db, person, hold.NO_NEW_RECOVERY_CODES)
    seen_by = seen_by or password_seen_by(db, person)
    old = delete(RecoveryCode).where(RecoveryCode.person_id == person.id)
    if replacing is not None:
        old = old.where(_of_generation(replacing))
    db.execute(old)
    if replacing is not None and _has_codes(db, person.id):
        raise ConflictError(CODES_ALREADY_MADE)
    codes = [_new_code() for _ in range(CODE_COUNT)]
    generation = new_id()
    for code in codes:
        db.add(
            RecoveryCode(
                person_id=person.id,
                code_hash=_hash(person.id, code),
                generation=generation,
                seen_by=seen_by.id if seen_by else None,
            )
        )
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


def codes_in_force(db: Session, person_id: str) -> str:
    """The generation of the person's codes: what a form asking for new ones carries, so that
    the same form sent again makes no second set. "" when there are none (or they were made
    before generations were kept)."""
    query = select(RecoveryCode.generation).where(RecoveryCode.person_id == person_id)
    return db.scalar(query.limit(1)) or ""


def _of_generation(generation: str) -> ColumnElement[bool]:
    if not generation:
        return RecoveryCode.generation.is_(None)
    return RecoveryCode.generation == generation


def _has_codes(db: Session, person_id: str) -> bool:
    query = select(RecoveryCode.id).where(RecoveryCode.person_id == person_id)
    return db.scalar(query.limit(1)) is not None


def password_seen_by(db: Session, person: Person) -> Person | None:
    """The professional who saw the codes in force at the account's creation in person, while
    the person has not chosen a password of her own since: the one in force was typed in front
    of them (or sent by them, on the API), so whoever makes new codes with it may be them, and
    the new codes are as seen as the old ones (review finding: made by the professional alone,
    they outlived the access the person ended)."""
    seen = db.scalars(
        select(RecoveryCode).where(
            RecoveryCode.person_id == person.id, RecoveryCode.seen_by.is_not(None)
        )
    ).first()
    if seen is None or seen.seen_by is None:
        return None
    own_password = select(JournalEvent.id).where(
        JournalEvent.subject_id == person.id,
        JournalEvent.actor_id == person.id,
        JournalEvent.action == journal.PASSWORD_CHANGED,
        JournalEvent.occurred_at > seen.created_at,
    )
    if db.scalar(own_password.limit(1)) is not None:
        return None
    return db.get(Person, seen.seen_by)


def codes_seen_by_someone_else(db: Session, person_id: str) -> bool:
    """Whether the codes in force were shown to a professional: the person should make her
    own."""
    query = select(RecoveryCode.id).where(
        RecoveryCode.person_id == person_id, RecoveryCode.seen_by.is_not(None)
    )
    return db.scalar(query.limit(1)) is not None


def may_unlock(db: Session, person: Person) -> bool:
    """Whether the person still has a recovery code of her own, the one thing that ends a hold
    before its time (unlock)."""
    unused = select(RecoveryCode).where(
        RecoveryCode.person_id == person.id, RecoveryCode.used_at.is_(None)
    )
    return any(_own_code(person, code) for code in db.scalars(unused))


def issue_reset_code(
    db: Session, rt: Runtime, helper: Person, person_id: str, source: str = ""
) -> tuple[str, datetime]:
    """A one-time reset code for a person who granted `helper` the recover scope."""
    person = require_help_recover(db, rt.settings, helper, person_id)
    return create_reset_code(db, rt, person, helper, source)


def last_reset_code(db: Session, helper: Person, person_id: str) -> str:
    """The id of the last reset code `helper` gave this person, or "" (codes are kept, used or
    not, until the account is erased): what the asking form carries (refuse_code_sent_again)."""
    found = db.scalars(
        select(ResetCode.id)
        .where(ResetCode.person_id == person_id, ResetCode.issued_by == helper.id)
        .order_by(ResetCode.created_at.desc(), ResetCode.id.desc())
        .limit(1)
    ).first()
    return found or ""


def refuse_code_sent_again(db: Session, helper: Person, person_id: str, after: str) -> None:
    """ConflictError when `helper` gave this person a code since `after` (the last one given
    when the asking form was shown, "" for none): the same form was sent again (Back, Reload),
    and a second code would go to whoever sits at the computer now. Asked before the password,
    so that the app's code, which works once, does not make a resent form count as wrong."""
    given = select(ResetCode.id).where(
        ResetCode.person_id == person_id, ResetCode.issued_by == helper.id, ResetCode.id != after
    )
    if after:
        seen = db.scalar(
            select(ResetCode.created_at).where(
                ResetCode.id == after,
                ResetCode.person_id == person_id,
                ResetCode.issued_by == helper.id,
            )
        )
        if seen is None:
            raise ConflictError(RESET_CODE_ALREADY_GIVEN, field="current_password")
        given = given.where(ResetCode.created_at >= seen)
    if db.scalars(given.limit(1)).first() is not None:
        raise ConflictError(RESET_CODE_ALREADY_GIVEN, field="current_password")


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
    _journal_help(db, rt, helper, person, source, journal.RESET_CODE_ISSUED)
    db.flush()
    return code, expires_at


def clear_sign_in_delay(
    db: Session, rt: Runtime, helper: Person, person_id: str, source: str = ""
) -> None:
    """Lift the waiting time after failed sign-ins, for a person who trusts `helper`; refused,
    the attempt is in the person's history like any other help with the password."""
    person = require_help_recover(db, rt.settings, helper, person_id)
    throttle.lift(db, person.login)
    _journal_help(db, rt, helper, person, source, journal.THROTTLE_CLEARED)


def recover(
    db: Session, rt: Runtime, login: str, code: str, new_password: str, source: str
) -> tuple[Person, str]:
    """Set a new password with a recovery code or a counsellor's reset code. Returns the person
    and which kind of code was used. Throttled per address only (throttle.Attempt.per_account);
    the caller commits either way.

    The code is judged first, then the new password, then the code is spent: an unknown login
    and a wrong code get the same answer, and a refused password costs no code. A reset code
    works only while its counsellor still holds the person's "recover" scope, and starts a hold
    (vault/accounts/hold.py); so does a recovery code a professional saw, in their name. One
    of the person's own recovery codes ends any hold."""
    attempt = replace(attempt_for(db, rt, login, source), per_account=False)
    throttle.guard(db, attempt)
    person = db.scalar(select(Person).where(Person.login == normalise_login(login)))
    found = _find_code(db, rt, person, code)
    if person is None or found is None:
        throttle.failed(db, attempt)
        if person is not None:
            journal.record(db, subject_id=person.id, action=journal.RECOVERY_FAILED, source=source)
        raise AuthenticationError(WRONG_CODE, field="code")
    check_new_password(new_password, login, person.display_name)
    found.used_at = utcnow()
    replace_password(db, person, new_password)
    throttle.passed(db, attempt)
    if isinstance(found, ResetCode):
        helper = db.get_one(Person, found.issued_by)
        _assisted(db, rt, person, helper, journal.RESET_CODE_USED, source)
        return person, journal.RESET_CODE_USED
    if found.seen_by is not None:
        # Whoever typed it, the professional who saw it could have: as their reset.
        witness = db.get_one(Person, found.seen_by)
        _assisted(db, rt, person, witness, journal.RECOVERY_CODE_USED, source)
        return person, journal.RECOVERY_CODE_USED
    journal.record(
        db,
        subject_id=person.id,
        actor_id=person.id,
        action=journal.RECOVERY_CODE_USED,
        source=source,
    )
    journal.record(
        db, subject_id=person.id, actor_id=person.id, action=journal.PASSWORD_CHANGED, source=source
    )
    if _own_code(person, found):
        hold.end(db, person, source)
    db.flush()
    return person, journal.RECOVERY_CODE_USED


def reset_with_person(
    db: Session, rt: Runtime, helper: Person, person_id: str, new_password: str, source: str = ""
) -> Person:
    """The person sits with a counsellor holding their "recover" scope and types a new
    password on the counsellor's screen. Every session of the person ends; the journal names
    the counsellor; papers outside the counsellor's reach stay closed for a while."""
    person = require_help_recover(db, rt.settings, helper, person_id)
    check_new_password(new_password, person.login, person.display_name)
    replace_password(db, person, new_password)
    throttle.lift(db, person.login)
    _assisted(db, rt, person, helper, None, source)
    return person


def person_of_vault(db: Session, vault_id: str) -> str | None:
    vault = db.get(Vault, vault_id)
    return vault.owner_id if vault else None


def unlock(
    db: Session,
    rt: Runtime,
    person: Person,
    code: str,
    new_password: str,
    keep_session: str | None,
    source: str = "",
) -> bool:
    """End a hold at once with one of the person's own recovery codes (made before the reset;
    a counsellor's reset code does not count), and a new password: the one in force was typed
    on the counsellor's screen, and with it, once the papers were open, the counsellor would
    have held the whole account. Every session ends but `keep_session`. The code is judged
    first, then the new password (not the one in force), then the code is spent. Without a
    hold, no code is checked nor spent, and the password is not changed (only refused if it
    could never be one). Whether a hold ended."""
    if hold.current_hold(db, person) is None:
        check_new_password(new_password, person.login, person.display_name)
        return False
    attempt = replace(attempt_for(db, rt, person.login, source), per_account=False)
    throttle.guard(db, attempt)
    found = _find_recovery_code(db, person, code)
    if found is None or not _own_code(person, found):
        throttle.failed(db, attempt)
        journal.record(db, subject_id=person.id, action=journal.RECOVERY_FAILED, source=source)
        raise WrongSecretError(WRONG_UNLOCK, field="code")
    check_new_password(new_password, person.login, person.display_name)
    if verify_password(person.password_hash, new_password):
        raise InvalidInputError(SAME_AS_GIVEN, field="password")
    found.used_at = utcnow()
    replace_password(db, person, new_password, keep_session=keep_session)
    throttle.passed(db, attempt)
    journal.record(
        db,
        subject_id=person.id,
        actor_id=person.id,
        action=journal.RECOVERY_CODE_USED,
        source=source,
    )
    journal.record(
        db, subject_id=person.id, actor_id=person.id, action=journal.PASSWORD_CHANGED, source=source
    )
    hold.end(db, person, source)
    return True


def _assisted(
    db: Session,
    rt: Runtime,
    person: Person,
    helper: Person,
    code_action: str | None,
    source: str,
) -> None:
    """Journal a reset made with `helper` in their name and organisation; start the hold."""
    actions = [action for action in (code_action, journal.PASSWORD_CHANGED) if action]
    organisation_id = _journal_help(db, rt, helper, person, source, *actions)
    hold.start(db, rt.settings, person, helper, organisation_id)


def _journal_help(
    db: Session, rt: Runtime, helper: Person, person: Person, source: str, *actions: str
) -> str | None:
    """Journal `actions` as done by `helper` for the person, naming the organisation and the
    grant through which they help; that organisation."""
    organisation_id, grant_id = _helping(db, rt, helper, person)
    for action in actions:
        journal.record(
            db,
            subject_id=person.id,
            actor_id=helper.id,
            action=action,
            organisation_id=organisation_id,
            grant_id=grant_id,
            source=source,
        )
    return organisation_id


def _helping(
    db: Session, rt: Runtime, helper: Person, person: Person
) -> tuple[str | None, str | None]:
    """The organisation and the grant through which `helper` uses the person's "recover"
    scope, for the journal line that names them; the grant is kept alive by the use."""
    vault = db.scalar(select(Vault).where(Vault.owner_id == person.id))
    access = vault_access(db, rt.settings, helper, vault, Action.RECOVER) if vault else None
    grant = access.grant_for(None) if access else None
    organisation_id = acting_for(db, helper.id, grant)
    if grant is None:
        return organisation_id, None
    grant.last_used_at = utcnow()
    return organisation_id, grant.id


def _own_code(person: Person, code: RecoveryCode) -> bool:
    """A recovery code no professional saw, that the person had before the last assisted reset
    (none can be made during a hold, but a code made after the reset never counts as the
    person's own)."""
    if code.seen_by is not None:
        return False
    return person.held_since is None or code.created_at < person.held_since


def _find_recovery_code(db: Session, person: Person, code: str) -> RecoveryCode | None:
    return db.scalar(
        select(RecoveryCode).where(
            RecoveryCode.person_id == person.id,
            RecoveryCode.code_hash == _hash(person.id, code),
            RecoveryCode.used_at.is_(None),
        )
    )


def _find_code(
    db: Session, rt: Runtime, person: Person | None, code: str
) -> RecoveryCode | ResetCode | None:
    """A matching unused code, not spent yet; None for an unknown login (after the same work)."""
    if person is None:
        _hash("unknown", code)
        return None
    recovery = _find_recovery_code(db, person, code)
    if recovery is not None:
        seen_by, made = recovery.seen_by, recovery.created_at
        if seen_by is not None and not _still_recovers(db, rt, seen_by, person, made):
            return None
        return recovery
    reset = db.scalar(
        select(ResetCode).where(
            ResetCode.person_id == person.id,
            ResetCode.code_hash == _hash(person.id, code),
            ResetCode.used_at.is_(None),
            ResetCode.expires_at > utcnow(),
        )
    )
    if reset is None:
        return None
    # A reset code stops working when its counsellor no longer holds the "recover" scope.
    return reset if _still_recovers(db, rt, reset.issued_by, person, reset.created_at) else None


def _still_recovers(
    db: Session, rt: Runtime, helper_id: str, person: Person, code_made: datetime
) -> bool:
    """Whether the professional who issued a reset code, or saw a recovery code, holds the
    person's "recover" scope today, through an access they already held when the code was
    made: such a code is worth their reset, and no more (a code they saw is void once the
    person ends their access, they leave the organisation it went through, or their account is
    closed, and stays void under an access given again later)."""
    helper = db.get(Person, helper_id)
    return helper is not None and helped_recover_since(
        db, rt.settings, helper, person, code_made, locked=True
    )
