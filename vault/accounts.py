"""People: creation (with their user key and, for beneficiaries, their vault) and sign-in."""

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keys.providers.base import MasterKeyProvider
from vault.errors import AuthenticationError, ConflictError, InvalidInputError
from vault.keychain import create_user_key
from vault.models import Person, Vault
from vault.passwords import hash_password, verify_password

ROLES = ("beneficiary", "counsellor", "org_admin", "admin")
MIN_PASSWORD_LENGTH = 8
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def normalise_login(login: str) -> str:
    return unicodedata.normalize("NFKC", login).strip().lower()


def create_person(
    db: Session,
    master_keys: MasterKeyProvider,
    *,
    login: str,
    display_name: str,
    password: str,
    role: str,
) -> Person:
    login = normalise_login(login)
    display_name = display_name.strip()
    if role not in ROLES:
        raise InvalidInputError("Ce rôle n'existe pas.", field="role")
    if not _LOGIN.match(login):
        raise InvalidInputError(
            "L'identifiant doit avoir de 3 à 64 caractères : lettres sans accent, chiffres, "
            "point, tiret.",
            field="login",
        )
    if not display_name or len(display_name) > 200:
        raise InvalidInputError("Écrivez votre nom.", field="display_name")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"Le mot de passe doit avoir au moins {MIN_PASSWORD_LENGTH} caractères.",
            field="password",
        )
    if db.scalar(select(Person.id).where(Person.login == login)) is not None:
        raise ConflictError("Cet identifiant est déjà pris. Choisissez-en un autre.", field="login")
    person = Person(
        login=login, display_name=display_name, role=role, password_hash=hash_password(password)
    )
    db.add(person)
    try:
        db.flush()
    except IntegrityError as exc:
        raise ConflictError("Cet identifiant est déjà pris.", field="login") from exc
    create_user_key(db, master_keys, person.id)
    if role == "beneficiary":
        db.add(Vault(owner_id=person.id))
        db.flush()
    return person


def authenticate(db: Session, login: str, password: str) -> Person:
    """The person if login and password match; the same error and cost otherwise."""
    person = db.scalar(select(Person).where(Person.login == normalise_login(login)))
    if not verify_password(person.password_hash if person else None, password) or person is None:
        raise AuthenticationError("Identifiant ou mot de passe incorrect.")
    return person


def vault_of(db: Session, person_id: str) -> Vault | None:
    return db.scalar(select(Vault).where(Vault.owner_id == person_id))
