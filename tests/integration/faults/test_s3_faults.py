"""The S3 server stopped, cut, slowed or stalled while a person uploads or downloads, through a
live coffre over HTTP: a proxy on loopback stands between coffre and the real Ceph RGW and
makes the fault. The person gets a clear 503 (or the paper, when a retry got through), no
half-written paper is listed, a multipart upload is aborted (by the sweeper when the server
was gone), and afterwards every paper is verified.

The S3 timeouts are short here (settings); the defaults are in vault/config.py."""

import contextlib
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from mypy_boto3_s3 import S3Client

from tests.conftest import TEST_REGION
from tests.integration.faults.live import (
    MiB,
    assert_nothing_half_written,
    assert_unavailable,
    content_path,
    download,
    paper,
    serve,
    sign_up,
    sweep_and_verify,
    titles,
    unfinished_uploads,
    upload,
    uploaded,
)
from tests.integration.faults.proxy import FaultyProxy
from vault.config import Settings
from vault.runtime import Runtime

pytestmark = pytest.mark.s3

CONNECT_SECONDS, READ_SECONDS, ATTEMPTS = 1.0, 2.0, 2
# The longest a request may wait for a server that does not answer: each attempt's timeouts,
# the pause between attempts, and room for a loaded machine.
GIVES_UP_WITHIN = ATTEMPTS * (CONNECT_SECONDS + READ_SECONDS) + 6
PART = 5 * MiB
BIG = 16 * MiB  # three S3 parts, two in flight at once


@pytest.fixture
def proxy(s3_endpoint: str) -> Iterator[FaultyProxy]:
    upstream = urlsplit(s3_endpoint)
    faulty = FaultyProxy(upstream.hostname or "127.0.0.1", upstream.port or 80)
    yield faulty
    faulty.close()


@pytest.fixture
def settings(
    tmp_path: Path, sqlite_schema: Path, s3_bucket_url: str, proxy: FaultyProxy
) -> Settings:
    """The embedded database, papers in a fresh bucket reached through the proxy."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    shutil.copyfile(sqlite_schema, data_dir / "coffre.db")
    bucket = urlsplit(s3_bucket_url).netloc
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        keyring=(tmp_path / "keys" / "keyring.json").as_uri(),
        storage_url=f"s3://{bucket}?endpoint_url={proxy.endpoint}&region={TEST_REGION}",
        max_upload_bytes=40 * MiB,
        s3_part_mib=PART // MiB,
        s3_parts_in_flight=2,
        s3_connect_timeout_seconds=CONNECT_SECONDS,
        s3_read_timeout_seconds=READ_SECONDS,
        s3_attempts=ATTEMPTS,
    )


@pytest.fixture
def http(rt: Runtime) -> Iterator[httpx.Client]:
    with serve(rt) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


@pytest.fixture
def amina(http: httpx.Client) -> dict[str, str]:
    return sign_up(http, "amina.diallo")


@contextlib.contextmanager
def in_time() -> Iterator[None]:
    """What runs inside must end within the bound the S3 settings set."""
    started = time.monotonic()
    yield
    assert time.monotonic() - started < GIVES_UP_WITHIN


def gives_up_in_time(call: Callable[[], httpx.Response]) -> httpx.Response:
    """The answer of `call`, which must come within the bound the S3 settings set."""
    with in_time():
        return call()


def test_s3_stopped_before_an_upload_and_a_download(
    http: httpx.Client,
    amina: dict[str, str],
    rt: Runtime,
    proxy: FaultyProxy,
    s3_client: S3Client,
) -> None:
    first = paper(300_000)
    kept = uploaded(http, amina, "carte", first)

    proxy.stop()
    assert_unavailable(gives_up_in_time(lambda: upload(http, amina, "avis", paper(300_000))))
    assert_unavailable(gives_up_in_time(lambda: download(http, amina, kept)))
    assert titles(http, amina) == ["carte"]

    proxy.start()
    assert download(http, amina, kept).content == first
    uploaded(http, amina, "avis", paper(300_000))
    assert titles(http, amina) == ["avis", "carte"]
    assert_nothing_half_written(rt, s3_client)


def test_s3_stopped_during_an_upload(
    http: httpx.Client,
    amina: dict[str, str],
    rt: Runtime,
    proxy: FaultyProxy,
    s3_client: S3Client,
) -> None:
    uploaded(http, amina, "carte", paper(300_000))

    # Gone with the second part on its way, the first one stored.
    proxy.after(PART + 2 * MiB, proxy.stop)
    assert_unavailable(gives_up_in_time(lambda: upload(http, amina, "avis", paper(BIG))))
    assert titles(http, amina) == ["carte"]

    # The upload could not be aborted while the server was away: the sweeper does it.
    proxy.start()
    assert unfinished_uploads(rt, s3_client) == 1
    assert "1 unfinished uploads removed." in sweep_and_verify(rt)
    assert_nothing_half_written(rt, s3_client)
    uploaded(http, amina, "avis", paper(BIG))


def test_a_connection_cut_during_an_upload_is_tried_again(
    http: httpx.Client, amina: dict[str, str], rt: Runtime, proxy: FaultyProxy, s3_client: S3Client
) -> None:
    """A server restarted at once (or a connection dropped on the way): the part that was
    cut is sent again, and the person never knows."""
    content = paper(BIG)
    proxy.after(PART + 2 * MiB, proxy.blip)
    document_id = uploaded(http, amina, "avis", content)
    assert download(http, amina, document_id).content == content
    assert_nothing_half_written(rt, s3_client)


def test_a_slow_s3_is_waited_for(
    http: httpx.Client,
    amina: dict[str, str],
    rt: Runtime,
    proxy: FaultyProxy,
    s3_client: S3Client,
) -> None:
    """Each piece held 0.3 s, less than the timeouts: slower, no error."""
    content = paper(50_000)
    proxy.slow(0.3)
    document_id = uploaded(http, amina, "avis", content)
    assert download(http, amina, document_id).content == content
    assert_nothing_half_written(rt, s3_client)


def test_a_stalled_s3_gives_up_in_time(
    http: httpx.Client,
    amina: dict[str, str],
    rt: Runtime,
    proxy: FaultyProxy,
    s3_client: S3Client,
) -> None:
    """A server that takes connections and never answers: the person waits a bounded time,
    then gets a 503; once the server is restarted, all works again."""
    first = paper(300_000)
    kept = uploaded(http, amina, "carte", first)

    proxy.stall()
    assert_unavailable(gives_up_in_time(lambda: upload(http, amina, "avis", paper(300_000))))
    assert_unavailable(gives_up_in_time(lambda: download(http, amina, kept)))
    assert titles(http, amina) == ["carte"]

    # Restarted: what it held is dropped, not stored late.
    proxy.stop()
    proxy.flow()
    proxy.start()
    assert download(http, amina, kept).content == first
    assert_nothing_half_written(rt, s3_client)


@pytest.mark.parametrize("fault", ["stop", "stall"])
def test_s3_lost_during_a_download(
    http: httpx.Client,
    amina: dict[str, str],
    rt: Runtime,
    proxy: FaultyProxy,
    s3_client: S3Client,
    fault: str,
) -> None:
    """Once the first bytes have left, the status is sent: the download is cut, and the
    client sees it (fewer bytes than Content-Length), never a short file taken for whole."""
    content = paper(BIG)
    document_id = uploaded(http, amina, "avis", content)

    # The store's bytes are held after 4 MiB, and the fault comes only once the client holds
    # the answer's first bytes: a stop counted in bytes alone could land while those 4 MiB
    # still wait in the proxy's socket, before the answer began.
    proxy.after(4 * MiB, proxy.stall)
    with in_time(), http.stream("GET", content_path(document_id), headers=amina) as answer:
        assert answer.status_code == 200
        pieces = answer.iter_bytes()
        assert next(pieces)
        if fault == "stop":
            proxy.stop()
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            b"".join(pieces)

    proxy.disarm()  # a stop may have come before the 4 MiB
    proxy.stop()
    proxy.flow()
    proxy.start()
    assert download(http, amina, document_id).content == content
    assert titles(http, amina) == ["avis"]
    assert_nothing_half_written(rt, s3_client)
