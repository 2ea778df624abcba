"""Device cookies (OWASP, « Slow down online guessing attacks with device cookies »): a browser
where a person signed in before carries a random token bound to them. Their next sign-in from
it is throttled apart from the address, so failures by others behind the same router (a day
centre, a library) do not keep them out. Only the token's SHA-256 is kept."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vault.config import Settings
from vault.models import Person, TrustedDevice, utcnow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def recognise(
    db: Session, settings: Settings, token: str | None, login: str, now: datetime | None = None
) -> TrustedDevice | None:
    """The device behind this cookie, when it is still valid and bound to `login`."""
    if not token:
        return None
    device = db.scalar(select(TrustedDevice).where(TrustedDevice.token_hash == _hash(token)))
    if device is None:
        return None
    if device.created_at + timedelta(days=settings.device_cookie_days) <= (now or utcnow()):
        return None
    person = db.get(Person, device.person_id)
    return device if person is not None and person.login == login else None


def remember(db: Session, settings: Settings, person: Person, token: str | None) -> str:
    """After a successful sign-in: the token for this browser's cookie. A cookie already bound
    to this person is kept (and marked used); any other gets a new token."""
    known = recognise(db, settings, token, person.login)
    if known is not None and token:
        known.last_used_at = utcnow()
        db.flush()
        return token
    fresh = secrets.token_urlsafe(32)
    db.add(TrustedDevice(token_hash=_hash(fresh), person_id=person.id))
    db.flush()
    return fresh


def forget_all(db: Session, person_id: str) -> None:
    """A new password: every browser must prove itself again."""
    db.execute(delete(TrustedDevice).where(TrustedDevice.person_id == person_id))
