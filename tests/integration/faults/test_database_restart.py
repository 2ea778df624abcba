"""PostgreSQL restarted under a live coffre: requests made while it is away get a clean 503,
an upload cut by it leaves nothing, and once it is back the requests work again, without
restarting coffre. The test runs a PostgreSQL server of its own (scripts/pg.sh), so the one the
rest of the suite uses is never stopped."""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.integration.faults.live import (
    PASSWORD,
    UPLOAD,
    assert_nothing_half_written,
    assert_unavailable,
    eventually,
    form,
    form_headers,
    paper,
    serve,
    sign_up,
    sweep_and_verify,
    titles,
    upload,
    uploaded,
)
from vault.config import Settings
from vault.db import make_engine, migrate
from vault.runtime import Runtime
from vault.wiring import build_runtime

pytestmark = pytest.mark.pg

PG_SH = Path(__file__).resolve().parents[3] / "scripts" / "pg.sh"


class Postgres:
    """A PostgreSQL server of the test's own, started by scripts/pg.sh."""

    def __init__(self, folder: Path) -> None:
        self._env = {**os.environ, "PGDIR": str(folder / "pg"), "PYTHON": sys.executable}
        self._pg("start")
        self.url = (folder / "pg" / "url").read_text().strip()

    def _pg(self, action: str) -> None:
        run = subprocess.run(
            ["bash", str(PG_SH), action],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, f"pg.sh {action}: {run.stdout}{run.stderr}"

    def stop(self) -> None:
        """A fast shutdown: the sessions of every connection are ended by the server."""
        self._pg("stop")

    def resume(self) -> None:
        self._pg("resume")


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    if not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        pytest.skip("no PostgreSQL server installed: run bash scripts/test.sh")
    # The postgres user must reach its folder: not under pytest's own, which is root's only.
    folder = Path(tempfile.mkdtemp(prefix="coffre-faults-"))
    folder.chmod(0o755)
    try:
        server = Postgres(folder)
        yield server
        server.stop()
    finally:
        shutil.rmtree(folder)


@pytest.fixture
def rt(postgres: Postgres, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        keyring=(tmp_path / "keys" / "keyring.json").as_uri(),
        database_url=postgres.url,
    )
    engine = make_engine(postgres.url)
    migrate(engine)
    engine.dispose()
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def http(rt: Runtime) -> Iterator[httpx.Client]:
    with serve(rt) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


class HeldUpload(threading.Thread):
    """An upload sent in two halves: the second waits for `go_on`."""

    def __init__(self, http: httpx.Client, headers: dict[str, str], content: bytes) -> None:
        super().__init__(daemon=True)
        self._http = http
        self._headers = headers
        self._body = form("avis", content)
        self.go_on = threading.Event()
        self.answer: httpx.Response | None = None

    def _halves(self) -> Iterator[bytes]:
        half = len(self._body) // 2
        yield self._body[:half]
        self.go_on.wait(30)
        yield self._body[half:]

    def run(self) -> None:
        headers = {**form_headers(self._headers), "Content-Length": str(len(self._body))}
        self.answer = self._http.post(UPLOAD, headers=headers, content=self._halves())


class Readers:
    """People listing their papers without a pause, each on a connection of their own, for as
    long as the block lasts; the statuses they got."""

    def __init__(self, base_url: str, headers: dict[str, str], count: int = 3) -> None:
        self._base_url = base_url
        self._headers = headers
        self._stop = threading.Event()
        self.statuses: Counter[int] = Counter()
        self._threads = [threading.Thread(target=self._read, daemon=True) for _ in range(count)]

    def _read(self) -> None:
        with httpx.Client(base_url=self._base_url, timeout=30) as http:
            while not self._stop.is_set():
                self.statuses[http.get(UPLOAD, headers=self._headers).status_code] += 1

    def __enter__(self) -> "Readers":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


@contextmanager
def signed_in_browser(base_url: str, login: str) -> Iterator[httpx.Client]:
    """A person signed in through the pages: a client that keeps the session cookie."""
    with httpx.Client(
        base_url=base_url,
        timeout=30,
        follow_redirects=True,
        headers={"Origin": base_url, "Sec-Fetch-Site": "same-origin"},
    ) as browser:
        csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/connexion").text)
        assert csrf is not None
        signed_in = browser.post(
            "/connexion", data={"csrf": csrf.group(1), "login": login, "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        yield browser


def test_postgresql_restarted_in_the_middle_of_requests(
    postgres: Postgres, rt: Runtime, http: httpx.Client
) -> None:
    amina = sign_up(http, "amina.diallo")
    uploaded(http, amina, "carte", paper(50_000))

    with signed_in_browser(str(http.base_url), "amina.diallo") as browser:
        # Restarted between two requests: every pooled connection is dead. Each is checked before
        # use and replaced, so the next request does not notice.
        postgres.stop()
        postgres.resume()
        assert titles(http, amina) == ["carte"]

        held = HeldUpload(http, amina, paper(2 * 1024 * 1024))
        held.start()
        temp_files = rt.settings.data_dir / "blobs" / ".tmp"
        eventually("the upload is being stored", lambda: any(temp_files.iterdir()))
        base_url = str(http.base_url)
        with Readers(base_url, amina) as readers:
            eventually("a few lists", lambda: readers.statuses.total() > 3)
            postgres.stop()
            assert_unavailable(http.get(UPLOAD, headers=amina))
            assert_unavailable(upload(http, amina, "quittance", paper(50_000)))
            signing_in = {"login": "amina.diallo", "password": PASSWORD}
            assert_unavailable(http.post("/api/v1/session", json=signing_in))
            assert http.get("/readyz").status_code == 503
            papers_page = browser.get("/papiers")
            assert papers_page.status_code == 503
            assert "momentanément indisponible" in papers_page.text
            held.go_on.set()
            held.join(timeout=30)
            eventually("lists during the outage", lambda: readers.statuses[503] > 3)
            postgres.resume()
            served = readers.statuses[200]
            eventually("lists after the outage", lambda: readers.statuses[200] > served + 3)
        assert held.answer is not None
        assert_unavailable(held.answer)
        assert set(readers.statuses) == {200, 503}, readers.statuses

        assert titles(http, amina) == ["carte"]
        uploaded(http, amina, "quittance", paper(50_000))
        assert http.post("/api/v1/session", json=signing_in).status_code == 201
        assert http.get("/readyz").status_code == 200
        assert browser.get("/papiers").status_code == 200
        assert "0 orphaned objects removed." in sweep_and_verify(rt)
        assert_nothing_half_written(rt)
