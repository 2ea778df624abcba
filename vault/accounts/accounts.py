"""People: creation (with their user key and, for beneficiaries, their vault), login
suggestions, password changes and profile details."""

import re
import unicodedata
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keys.hierarchy import seal_field
from keys.providers.base import MasterKeyProvider
from vault.accounts import devices, throttle
from vault.accounts.logins import login_base
from vault.accounts.passwords import check_new_password, hash_password
from vault.accounts.reauth import confirm_identity
from vault.accounts.sessions import close_all_sessions
from vault.audit import journal
from vault.errors import N_, ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from vault.keylife.keychain import create_user_key, open_person_field, recording_key
from vault.models import Person, Vault
from vault.policy import is_beneficiary, may_change_own_name
from vault.text import typed_line
from vault.vocabulary import Role

LANGUAGES = {"fr": "Français", "en": "English", "ar": "العربية"}
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


Word = TypeVar("Word", bound=StrEnum)


def closed_word(words: type[Word], value: str, field: str) -> Word:
    """`value` as one of `words`, or a clear refusal naming the field."""
    try:
        return words(value)
    except ValueError:
        raise InvalidInputError("Ce rôle n'existe pas.", field=field) from None


def normalise_login(login: str) -> str:
    """A login as it is kept and looked for. A NUL, which PostgreSQL refuses in a string (and
    no login holds: they are plain letters, digits and dots), is looked for as U+FFFD, found
    nowhere: the same answer as any unknown login."""
    return unicodedata.normalize("NFKC", login).strip().lower().replace("\x00", "\ufffd")


def suggest_login(db: Session, display_name: str) -> str:
    """A readable login built from the person's name in any script ("Amina Diallo" ->
    "amina.diallo", "Ирина Петрова" -> "irina.petrova"), made unique with a number."""
    base = login_base(display_name)
    taken = set(db.scalars(select(Person.login).where(Person.login.like(f"{base}%"))))
    if base not in taken:
        return base
    return next(f"{base}{n}" for n in range(2, len(taken) + 3) if f"{base}{n}" not in taken)


OWN_NAME_MISSING = N_("Écrivez votre nom.")
MAX_NAME = 200
SAME_AS_GIVEN = N_("Choisissez un autre mot de passe que celui qu'on vous a donné.")


def person_name(display_name: str, missing: str) -> str:
    """A name as it is kept (vault.text.typed_line), or the `missing` message for the
    display_name field when nothing visible was typed (another when too much was)."""
    name = typed_line(display_name)
    if not name:
        raise InvalidInputError(missing, field="display_name")
    if len(name) > MAX_NAME:
        raise InvalidInputError(
            "Le nom doit faire moins de %(max)s caractères.", field="display_name", max=MAX_NAME
        )
    return name


def create_person(
    db: Session,
    master_keys: MasterKeyProvider,
    *,
    login: str,
    display_name: str,
    password: str,
    role: str,
    preferred_language: str = "fr",
) -> Person:
    login = normalise_login(login)
    display_name = person_name(display_name, OWN_NAME_MISSING)
    known_role = closed_word(Role, role, "role")
    if not _LOGIN.match(login):
        raise InvalidInputError(
            "L'identifiant doit avoir de 3 à 64 caractères : lettres sans accent, chiffres, "
            "point, tiret.",
            field="login",
        )
    if preferred_language not in LANGUAGES:
        raise InvalidInputError("Cette langue n'est pas proposée.", field="preferred_language")
    check_new_password(password, login, display_name)
    if db.scalar(select(Person.id).where(Person.login == login)) is not None:
        raise ConflictError("Cet identifiant est déjà pris. Choisissez-en un autre.", field="login")
    person = Person(
        login=login,
        display_name=display_name,
        role=known_role,
        password_hash=hash_password(password),
        preferred_language=preferred_language,
    )
    db.add(person)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        raise ConflictError("Cet identifiant est déjà pris.", field="login") from exc
    create_user_key(db, master_keys, person.id)
    if is_beneficiary(person):
        db.add(Vault(owner_id=person.id))
        db.flush()
    return person


def replace_password(
    db: Session, person: Person, new: str, keep_session: str | None = None
) -> None:
    """The person's new password, however it came (their change, a code, a counsellor, the
    console): every session ends but `keep_session`, and every browser they had remembered
    proves itself again."""
    person.password_hash = hash_password(new)
    close_all_sessions(db, person.id, keep=keep_session)
    devices.forget_all(db, person.id)


def change_password(
    db: Session,
    master_keys: MasterKeyProvider,
    person: Person,
    *,
    current: str,
    totp: str | None,
    new: str,
    keep_session: str | None,
    attempt: throttle.Attempt,
) -> None:
    """Change the password, with the current one and, where a second factor is on, the current
    code: a session and a password seen over a shoulder must not take the account from the
    phone's owner. Every other session of the person ends, and every device cookie (a browser
    that knew the old password proves itself again)."""
    confirm_identity(db, master_keys, person, password=current, totp=totp, attempt=attempt)
    if person.password_provisional and new == current:
        raise InvalidInputError(SAME_AS_GIVEN, field="password")
    check_new_password(new, person.login, person.display_name)
    replace_password(db, person, new, keep_session)
    person.password_provisional = False
    journal.record(
        db,
        subject_id=person.id,
        actor_id=person.id,
        action=journal.PASSWORD_CHANGED,
        source=attempt.source,
    )
    db.flush()


NOT_A_PHONE_NUMBER = N_(
    "Écrivez un numéro de téléphone avec des chiffres, par exemple 06 12 34 56 78."
)
# Digits (Arabic-Indic ones too, as an Arabic keyboard types them), with the signs people
# write between them, and + only before the country's code.
_PHONE = re.compile(r"\+?[\d .()/-]+")


def _phone_number(value: str) -> bool:
    digits = sum(char.isdecimal() for char in value)
    return _PHONE.fullmatch(value) is not None and 6 <= digits <= 20


def _usable_contact(field: str, value: str) -> bool:
    """No line break, control or hidden character (an email's address goes into a message's
    header, where a line break stopped every reminder); an email, one "@" and no space."""
    if any(
        unicodedata.category(char)[0] == "C" or (char.isspace() and char != " ") for char in value
    ):
        return False
    return field != "email" or not value or (value.count("@") == 1 and " " not in value)


def update_profile(
    db: Session,
    master_keys: MasterKeyProvider,
    person: Person,
    *,
    preferred_language: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    source: str = "",
) -> None:
    """Language and optional contact details (sealed); an empty string removes a detail. A
    changed email or phone (a way to reach the person) is journaled for them."""
    if preferred_language is not None:
        if preferred_language not in LANGUAGES:
            raise InvalidInputError("Cette langue n'est pas proposée.", field="preferred_language")
        person.preferred_language = preferred_language
    if email is not None or phone is not None:
        current = contact_details(db, master_keys, person)
        _user_key, key = recording_key(db, master_keys, person.id)
        changed = False
        for field, value in (("email", email), ("phone", phone)):
            if value is None:
                continue
            value = value.strip()
            if field == "phone" and value and not _phone_number(value):
                raise InvalidInputError(NOT_A_PHONE_NUMBER, field=field)
            if len(value) > 200 or not _usable_contact(field, value):
                raise InvalidInputError("Ce contact n'est pas valide.", field=field)
            if value == current[field]:
                continue
            sealed = seal_field(key, person.id, person.id, field, value) if value else None
            setattr(person, f"{field}_sealed", sealed)
            changed = True
        if changed:
            journal.record(
                db,
                subject_id=person.id,
                actor_id=person.id,
                action=journal.CONTACT_CHANGED,
                source=source,
            )
    db.flush()


def change_name(db: Session, person: Person, display_name: str, *, source: str = "") -> None:
    """The person's own name, as they write it: mistyped when the account was made, or spelled
    as on their papers. Journaled for them when it changes."""
    if not may_change_own_name(person):
        raise ForbiddenError("Votre nom est celui que votre organisation a donné.")
    name = person_name(display_name, OWN_NAME_MISSING)
    if name == person.display_name:
        return
    person.display_name = name
    journal.record(
        db, subject_id=person.id, actor_id=person.id, action=journal.NAME_CHANGED, source=source
    )
    db.flush()


def contact_changes(
    db: Session,
    master_keys: MasterKeyProvider,
    person: Person,
    *,
    email: str | None,
    phone: str | None,
) -> bool:
    """Whether these values would change the email or the phone (a way to reach the person,
    so something that can take the account)."""
    current = contact_details(db, master_keys, person)
    return any(
        value is not None and value.strip() != current[field]
        for field, value in (("email", email), ("phone", phone))
    )


def contact_details(db: Session, master_keys: MasterKeyProvider, person: Person) -> dict[str, str]:
    if person.email_sealed is None and person.phone_sealed is None:
        return {"email": "", "phone": ""}
    return {
        field: open_person_field(db, master_keys, person.id, field, sealed) if sealed else ""
        for field, sealed in (("email", person.email_sealed), ("phone", person.phone_sealed))
    }


def owner_of_vault(db: Session, vault_id: str) -> Person | None:
    vault = db.get(Vault, vault_id)
    return db.get(Person, vault.owner_id) if vault else None


def vault_of(db: Session, person_id: str) -> Vault | None:
    return db.scalar(select(Vault).where(Vault.owner_id == person_id))


def reset_at_the_console(db: Session, login: str, password: str) -> Person:
    """The operator gives a professional (or an administrator) who forgot their password a
    provisional one, to be replaced at their next sign-in (must_choose_password); every session
    and remembered browser of theirs ends, and so does any waiting time after failed sign-ins.
    A second factor stays: a lost phone is another reset (second_factor.reset). Whoever runs
    the console holds the keyring and the database already: this gives them no more. A
    person's own password is never reset here: their recovery codes or a counsellor they trust
    do it, under the rules of an assisted reset (vault/accounts/recovery.py, hold.py)."""
    person = db.scalar(
        select(Person).where(Person.login == normalise_login(login), Person.erased_at.is_(None))
    )
    if person is None:
        raise NotFoundError(f"No account with login {normalise_login(login)}.")
    if is_beneficiary(person):
        raise ForbiddenError(
            "Ce compte est celui d'une personne : elle change son mot de passe avec un code de "
            "secours, ou avec un conseiller de confiance."
        )
    check_new_password(password, person.login, person.display_name)
    replace_password(db, person, password)
    person.password_provisional = True
    throttle.lift(db, person.login)
    journal.record(db, subject_id=person.id, action=journal.PASSWORD_CHANGED, source="console")
    db.flush()
    return person
