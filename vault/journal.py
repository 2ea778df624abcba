"""A person's history: who did what, when. Ids and action names only: never a title, a file
name or a document's content."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.models import JournalEvent, utcnow

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT_EVERYWHERE = "sign_out_everywhere"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an action name, not a password
RECOVERY_CODES_CREATED = "recovery_codes_created"
RECOVERY_CODE_USED = "recovery_code_used"
RECOVERY_FAILED = "recovery_failed"
RESET_CODE_ISSUED = "reset_code_issued"
RESET_CODE_USED = "reset_code_used"
SECOND_FACTOR_ENABLED = "second_factor_enabled"
SECOND_FACTOR_DISABLED = "second_factor_disabled"
THROTTLE_CLEARED = "throttle_cleared"


def record(
    db: Session,
    *,
    subject_id: str,
    action: str,
    actor_id: str | None = None,
    target_id: str | None = None,
    source: str = "",
) -> JournalEvent:
    event = JournalEvent(
        subject_id=subject_id,
        actor_id=actor_id,
        action=action,
        target_id=target_id,
        source=source[:64],
        occurred_at=utcnow(),
    )
    db.add(event)
    db.flush()
    return event


def events_of(db: Session, subject_id: str, limit: int = 200) -> list[JournalEvent]:
    """Newest first."""
    return list(
        db.scalars(
            select(JournalEvent)
            .where(JournalEvent.subject_id == subject_id)
            .order_by(JournalEvent.occurred_at.desc(), JournalEvent.id)
            .limit(limit)
        )
    )
