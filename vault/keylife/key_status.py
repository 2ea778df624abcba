"""What `coffre keys status` shows: key versions in use at each level, with counts."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from keys.providers.base import MasterKeyProvider
from vault.config import Settings
from vault.models import Blob, KeyJob, KeySlot, UserKey, utcnow


@dataclass(frozen=True)
class JobRun:
    kind: str
    started_at: datetime
    finished_at: datetime | None
    units: int
    failures: int


@dataclass(frozen=True)
class KeyStatus:
    last_master_rotation: datetime | None
    master_overdue: bool
    last_verify: JobRun | None
    master_primary: int
    master_versions: list[int]
    slots_by_master_version: dict[Any, int]
    user_keys_by_version: dict[Any, int]
    user_keys_by_state: dict[Any, int]
    data_keys_by_format: dict[Any, int]


def _count_by(
    db: Session, column: InstrumentedAttribute[Any], *where: ColumnElement[bool]
) -> dict[Any, int]:
    query = select(column, func.count()).where(*where).group_by(column).order_by(column)
    return {key: count for key, count in db.execute(query)}


def last_run(db: Session, kind: str) -> JobRun | None:
    job = db.scalar(
        select(KeyJob)
        .where(KeyJob.kind == kind, KeyJob.finished_at.is_not(None))
        .order_by(KeyJob.finished_at.desc())
        .limit(1)
    )
    if job is None:
        return None
    return JobRun(job.kind, job.started_at, job.finished_at, job.units_done, job.failures)


def record_verify_run(db: Session, started_at: datetime, checked: int, failures: int) -> None:
    db.add(
        KeyJob(
            kind="verify",
            started_at=started_at,
            finished_at=utcnow(),
            units_done=checked,
            failures=failures,
        )
    )
    db.flush()


def key_status(db: Session, master_keys: MasterKeyProvider, settings: Settings) -> KeyStatus:
    """Versions and counts at each level; the master key is overdue when it has not been
    rotated within `master_rotation_days` of the last rotation (or of the first key made)."""
    rotation = last_run(db, "master")
    since = rotation.finished_at if rotation else db.scalar(select(func.min(UserKey.created_at)))
    overdue = since is not None and utcnow() - since > timedelta(days=settings.master_rotation_days)
    return KeyStatus(
        last_master_rotation=rotation.finished_at if rotation else None,
        master_overdue=overdue,
        last_verify=last_run(db, "verify"),
        master_primary=master_keys.primary_version(),
        master_versions=sorted(master_keys.versions()),
        slots_by_master_version=_count_by(db, KeySlot.master_version, KeySlot.kind == "master"),
        user_keys_by_version=_count_by(db, UserKey.version),
        user_keys_by_state=_count_by(db, UserKey.state),
        data_keys_by_format=_count_by(db, Blob.format_version),
    )


@dataclass(frozen=True)
class KeyFigures:
    """What /metrics shows of the keys, read at each scrape: cheap enough for every 15 s (one
    grouped count on the index of key slots, and the few unfinished jobs)."""

    # User keys wrapped by each master key version.
    user_keys_by_master_version: dict[int, int]
    # Unfinished rotation and re-encryption jobs, by kind.
    unfinished_jobs: dict[str, int]
    # User keys still under a version older than the unfinished master rotation's target.
    master_rotation_left: int


def key_figures(db: Session) -> KeyFigures:
    by_version = _count_by(db, KeySlot.master_version, KeySlot.kind == "master")
    unfinished = db.execute(
        select(KeyJob.kind, KeyJob.target_version).where(KeyJob.finished_at.is_(None))
    ).all()
    jobs: dict[str, int] = {}
    for kind, _target in unfinished:
        jobs[kind] = jobs.get(kind, 0) + 1
    targets = [target for kind, target in unfinished if kind == "master" and target is not None]
    left = (
        sum(count for version, count in by_version.items() if version < max(targets))
        if targets
        else 0
    )
    return KeyFigures(by_version, jobs, left)
