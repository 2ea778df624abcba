"""The check of a file by its format's library runs beside the upload: the server's memory
stays flat whatever the file's size, and a worker that dies or takes too long is a refusal."""

import tracemalloc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.samples import large_pdf
from vault.config import MiB, Settings
from vault.documents.content_check import PDF, PDF_UNREADABLE, ContentCheck
from vault.errors import DamagedFileError


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)


def checked(settings: Settings, chunks: Iterable[bytes]) -> None:
    with ContentCheck(settings, PDF) as check:
        for _piece in check.fed(chunks):
            pass
        check.verdict()


def test_a_100_mib_pdf_is_checked_without_being_held(tmp_path: Path) -> None:
    tracemalloc.start()
    try:
        checked(settings(tmp_path), large_pdf(100 * MiB))
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One piece of the file at a time (1 MiB here), never the file.
    assert peak < 4 * MiB


def test_a_worker_without_memory_is_a_refusal(tmp_path: Path) -> None:
    starved = settings(tmp_path, preview_memory_mib=1, max_upload_bytes=MiB)
    with pytest.raises(DamagedFileError) as refused:
        checked(starved, large_pdf(20 * MiB))
    assert refused.value.template == PDF_UNREADABLE


def test_a_worker_out_of_time_is_a_refusal(tmp_path: Path) -> None:
    # The time counts from the file's end, and the child checks the file as it comes: 1 ms was
    # enough, once, for the child to answer (a CI run). A nanosecond never is.
    with pytest.raises(DamagedFileError):
        checked(settings(tmp_path, preview_timeout_seconds=1e-9), large_pdf(MiB))
