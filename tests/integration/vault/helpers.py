"""Looking at what a coffre really holds: every row and every stored object."""

from typing import Any

import pytest
from sqlalchemy import func, select

from vault.config import Settings
from vault.db import transaction
from vault.documents import previews
from vault.models import Blob, Document
from vault.runtime import Runtime


def counts(rt: Runtime) -> tuple[int, int, int]:
    """(document rows, blob rows, stored objects)."""
    with transaction(rt.sessions) as db:
        documents = db.scalar(select(func.count()).select_from(Document)) or 0
        blobs = db.scalar(select(func.count()).select_from(Blob)) or 0
    return documents, blobs, len(list(rt.store.list()))


def stored_bytes(rt: Runtime) -> list[bytes]:
    return [b"".join(rt.store.get(info.name)) for info in rt.store.list()]


def blob_of(rt: Runtime, document_id: str) -> Blob:
    with transaction(rt.sessions) as db:
        return db.scalars(
            select(Blob).where(Blob.document_id == document_id, Blob.role == "original")
        ).one()


def headers_of(who: dict[str, Any]) -> dict[str, str]:
    return dict(who["headers"])


def thumbnails_drawn_with(monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    """Thumbnails are drawn with these settings (too little memory, too little time): only
    the drawing fails, not the check every file gets before it is kept."""
    draw = previews.run_worker

    def run_worker(settings: Settings, job: str, parts: list[bytes]) -> bytes:
        return draw(settings.model_copy(update=changes), job, parts)

    monkeypatch.setattr(previews, "run_worker", run_worker)
