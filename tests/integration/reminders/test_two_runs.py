"""Two `coffre reminders send` at once on one PostgreSQL, as the crons of two machines at the same
minute: each reminder email leaves once, and both runs end cleanly (between them they send each
one once; the later finds it done). Each run is a thread of the test with its own runtime (engine,
sessions), as a process would have; they start together, and a slow SMTP server keeps the first
busy with its emails while the second starts.

PostgreSQL only: on SQLite each paper's transaction begins IMMEDIATE, taking the one write lock
before it reads what was sent, so two runs there already handle a paper one after the other.
"""

import threading
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.reminders.smtp import Inbox, inbox
from tests.integration.reminders.test_reminders import (
    AMINA_EMAIL,
    CLAIRE_EMAIL,
    give_email,
    journaled,
    people,
    reminders,
    run,
    with_smtp,
)
from tests.integration.vault.test_expiry import paper
from vault.documents.reminders import Report
from vault.runtime import Runtime
from vault.wiring import build_runtime

__all__ = ["inbox", "people"]

pytestmark = pytest.mark.parametrize(
    "settings", [pytest.param("server", marks=[pytest.mark.pg, pytest.mark.s3])], indirect=True
)
RUNS = 2
SECONDS_PER_EMAIL = 0.5
JOIN_SECONDS = 120


def run_together(rt: Runtime, runs: int) -> list[Report]:
    """`runs` runs of the reminders started at the same moment, each in a thread with its own
    runtime; the report of each."""
    runtimes = [build_runtime(rt.settings) for _ in range(runs)]
    start = threading.Barrier(runs)
    reports: list[Report | None] = [None] * runs
    failures: list[BaseException] = []

    def one_run(n: int) -> None:
        try:
            start.wait(timeout=JOIN_SECONDS)
            reports[n] = run(runtimes[n])
        except BaseException as exc:  # the test reports it, not the thread
            failures.append(exc)

    threads = [threading.Thread(target=one_run, args=(n,)) for n in range(runs)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=JOIN_SECONDS)
    finally:
        for runtime in runtimes:
            runtime.engine.dispose()
    assert not any(thread.is_alive() for thread in threads), "a run never ended"
    assert failures == []
    return [report for report in reports if report is not None]


def test_two_runs_at_once_send_each_reminder_once(
    client: TestClient, rt: Runtime, inbox: Inbox, people: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    amina, claire = people
    give_email(client, amina, AMINA_EMAIL)
    give_email(client, claire, CLAIRE_EMAIL)
    paper(client, amina, "Carte de séjour", 20, category="residence")
    paper(client, amina, "Passeport", 5, category="identity")
    inbox.data_seconds = SECONDS_PER_EMAIL

    reports = run_together(with_smtp(rt, inbox.port), RUNS)

    assert [report.failures for report in reports] == [[]] * RUNS
    assert sum(report.emails for report in reports) == 4
    assert sum(report.banners for report in reports) == 0
    received = Counter((m["To"], m.get_content()) for m in inbox.messages)
    assert len(received) == 4  # two papers, to Amina and to Claire
    assert set(received.values()) == {1}
    assert {(person, threshold) for person, threshold, channel in reminders(rt)} == {
        (who["id"], threshold) for who in (amina, claire) for threshold in (7, 30, 60)
    }
    assert journaled(client, amina) == 4
