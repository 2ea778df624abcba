"""Each file gets a process of its own, forked from a template that has loaded the libraries
and never reads a file: a child is never handed to another file, the templates are no more
than told, and one that dies is started again."""

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.samples import pdf, png
from vault.config import Settings
from vault.documents import format_checks
from vault.documents.content_check import PDF, ContentCheck
from vault.documents.previews import run_worker
from vault.documents.warm_workers import WORKERS, Template
from vault.documents.worker_process import worker_command
from vault.errors import DamagedFileError


@pytest.fixture
def warm() -> Iterator[None]:
    WORKERS.keep(2)
    yield
    WORKERS.keep(0)


def our_children() -> set[int]:
    """This process's live children: here, only preview workers' templates."""
    found = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        # A thread that ended since the listing is gone, its children handed to another.
        with contextlib.suppress(FileNotFoundError):
            found |= {int(child) for child in (task / "children").read_text().split()}
    return {child for child in found if alive(child)}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        # Gone before its /proc entry was opened, or between opening and reading it.
        return False
    return state != "Z"


def checked_by(settings: Settings, content: bytes) -> int:
    """The pid of the worker that checked the file; raises the check's refusal."""
    with ContentCheck(settings, PDF) as check:
        for _piece in check.fed([content]):
            pass
        check.verdict()
        return check._worker.pid


def test_each_file_gets_a_process_of_its_own_forked_from_the_template(
    warm: None, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    used = [checked_by(settings, pdf()) for _round in range(3)]
    templates = our_children()
    assert len(set(used)) == len(used)
    assert not set(used) & templates  # the template's children, not the server's
    assert not any(alive(pid) for pid in used)  # each one gone after its file
    assert checked_by(settings, pdf()) not in used
    assert our_children() == templates  # the same template forked them all


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


def test_never_more_templates_than_told(warm: None, tmp_path: Path) -> None:
    WORKERS.keep(0)
    others = our_children()  # servers other tests of this process started
    WORKERS.keep(2)
    for pages in (10, 20, 30):  # other settings: other commands
        checked_by(Settings(_env_file=None, data_dir=tmp_path, max_pdf_pages=pages), pdf())
    assert len(our_children() - others) <= 2
    WORKERS.keep(0)
    assert not our_children() - others


def test_a_template_that_died_is_started_again(warm: None, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    checked_by(settings, pdf())
    others = our_children()
    for pid in others:
        os.kill(pid, 9)
    while our_children() & others:
        time.sleep(0.01)
    checked_by(settings, pdf())
    with pytest.raises(DamagedFileError):
        checked_by(settings, b"%PDF-1.4\n" + b"x" * 1000)


def test_the_worker_judges_once_the_last_piece_has_gone(warm: None, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    with ContentCheck(settings, PDF) as check:
        for _piece in check.fed([pdf()]):
            pass
        # Before any verdict is asked, while the caller still stores the file: its input ended
        # with the last piece, so it judges and exits by itself.
        assert check._worker.exited(timeout=10)
        answer = check._worker.answer(timeout=10)
        assert answer is not None
        assert answer.status == format_checks.FINE
        assert answer.cpu_seconds < 1


def test_a_worker_still_at_work_is_killed_when_its_file_is_done_with(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    template = Template(tuple(worker_command(settings, "check", 200)))
    try:
        worker = template.fork()
        worker.stdin.write(pdf())  # and never ends: the child waits for the rest
        worker.stdin.flush()
        began = time.monotonic()
        assert not worker.exited(timeout=0.2)
        assert time.monotonic() - began >= 0.2
        worker.close()
        assert not alive(worker.pid)
        assert template.alive()
    finally:
        template.stop()
