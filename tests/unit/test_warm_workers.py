"""Workers started ahead take one file each, as cold ones do: a warm process is handed to the
next file, never back to another, and the pool keeps no more than it is told."""

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.samples import pdf, png
from vault.config import Settings
from vault.documents import format_checks
from vault.documents.content_check import PDF, ContentCheck
from vault.documents.previews import run_worker
from vault.documents.warm_workers import WORKERS, exit_status, start, stop
from vault.errors import DamagedFileError


@pytest.fixture
def warm() -> Iterator[None]:
    WORKERS.keep(2)
    yield
    WORKERS.keep(0)


def waiting_workers() -> set[int]:
    """This process's live children: here, only preview workers."""
    found = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                continue  # gone while listed
            if state != "Z":
                found.add(int(child))
    return found


def checked_by(settings: Settings, content: bytes) -> int:
    """The worker's pid; raises the check's refusal."""
    with ContentCheck(settings, PDF) as check:
        for _piece in check.fed([content]):
            pass
        check.verdict()
        return check._process.pid


def test_each_file_gets_a_process_of_its_own_started_ahead(warm: None, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    used: list[int] = []
    for _round in range(3):
        ready = waiting_workers()
        used.append(checked_by(settings, pdf()))
        if len(used) > 1:
            assert used[-1] in ready  # the one started after the previous file
    assert len(set(used)) == len(used)
    assert not set(used) & waiting_workers()  # each one gone after its file


def test_a_warm_worker_refuses_what_a_cold_one_refuses(warm: None, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    checked_by(settings, pdf())
    with pytest.raises(DamagedFileError):
        checked_by(settings, b"%PDF-1.4\n" + b"x" * 1000)
    checked_by(settings, pdf())


def test_a_thumbnail_from_a_warm_worker(warm: None, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    first = run_worker(settings, "thumbnail", [png(40, 20)])
    second = run_worker(settings, "thumbnail", [png(40, 20)])
    assert first.startswith(b"\xff\xd8\xff")
    assert second.startswith(b"\xff\xd8\xff")


def test_never_more_kept_waiting_than_told(warm: None, tmp_path: Path) -> None:
    WORKERS.keep(0)
    others = waiting_workers()  # servers other tests of this process started
    WORKERS.keep(2)
    for pages in (10, 20, 30):  # other settings: other commands
        checked_by(Settings(_env_file=None, data_dir=tmp_path, max_pdf_pages=pages), pdf())
    assert len(waiting_workers() - others) <= 2
    WORKERS.keep(0)
    assert not waiting_workers() - others


def test_the_worker_judges_once_the_last_piece_has_gone(warm: None, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    with ContentCheck(settings, PDF) as check:
        for _piece in check.fed([pdf()]):
            pass
        # Before any verdict is asked, while the caller still stores the file: its input ended
        # with the last piece, so it judges and exits by itself.
        assert exit_status(check._process, timeout=10) == format_checks.FINE
        check.verdict()


def test_an_exit_is_waited_for_no_longer_than_told() -> None:
    process = start([sys.executable, "-c", "import sys; sys.stdin.buffer.read()"])
    began = time.monotonic()
    assert exit_status(process, timeout=0.2) is None
    assert time.monotonic() - began >= 0.2
    assert process.stdin is not None
    process.stdin.close()
    assert exit_status(process, timeout=10) == 0
    assert exit_status(process, timeout=10) == 0  # asked again: the same answer
    stop(process)
