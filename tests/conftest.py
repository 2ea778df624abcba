"""Fixtures shared by every test: the real servers that scripts/test.sh starts.

Each server is found through an environment variable (the contract with scripts/test.sh):
    COFFRE_TEST_S3_ENDPOINT    http://127.0.0.1:PORT of an S3 server (Ceph RGW), with
                               AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for it
    COFFRE_TEST_DATABASE_URL   postgresql+psycopg://... of an empty PostgreSQL database
Without one, the tests needing it are skipped, so a bare `pytest` still runs everything else.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from argon2 import PasswordHasher
from mypy_boto3_s3 import S3Client

from storage import BlobStore, LocalBlobStore, open_store
from storage.factory import make_s3_client
from tests.buckets import drop_bucket
from tests.collection import keep_only
from vault.accounts import passwords

pytest_plugins = ["tests.app_fixtures"]

TEST_REGION = "us-east-1"
PARTS = ("shared", "alone")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--part",
        choices=PARTS,
        help="shared: the tests that may run beside others (scripts/test.sh runs them in parallel "
        "workers); alone: the ones that time something, run after with the machine to themselves",
    )


def runs_alone(item: pytest.Item) -> bool:
    # argon2 at the product's cost is timed by the tests that ask for it, and takes a whole core.
    return any(item.get_closest_marker(name) for name in ("alone", "real_hash_cost"))


def kms_for_nothing(item: pytest.Item) -> bool:
    """The KMS variant of `settings` runs in the modules marked `master_keys`, where the master
    keys do work of their own (rotation, backups, sign-in, resets, grants, links, exports).
    Elsewhere they would only unwrap a person's key at sign-in, which those modules show a KMS
    does; run everywhere, the variant cost ~280 s of CI for nothing more."""
    params = (
        item.callspec.params
        if isinstance(item, pytest.Function) and hasattr(item, "callspec")
        else {}
    )
    return params.get("settings") == "kms" and item.get_closest_marker("master_keys") is None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep_only(config, items, lambda item: not kms_for_nothing(item))
    part = config.getoption("--part")
    if part is not None:
        keep_only(config, items, lambda item: runs_alone(item) == (part == "alone"))


@pytest.fixture(autouse=True)
def quick_password_hashes(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """argon2id at the product's cost takes ~50-130 ms and 46 MiB (owasp) or 64 MiB (rfc9106),
    and the suite signs up and in thousands of times. Tests get the same algorithm and library
    at a small cost, whichever profile the runtime picks; those marked `real_hash_cost` (timing,
    parameter upgrade) keep the product's."""
    if request.node.get_closest_marker("real_hash_cost") is None:
        quick = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
        for name in passwords.PROFILES:
            monkeypatch.setitem(passwords.PROFILES, name, quick)
        monkeypatch.setattr(passwords, "_hasher", quick)
    # The unknown login's stand-in hash is made once with whichever hasher is in place.
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


def _server(variable: str, what: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        pytest.skip(f"no {what}: run bash scripts/test.sh")
    return value


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    return _server("COFFRE_TEST_S3_ENDPOINT", "S3 server")


@pytest.fixture(scope="session")
def pg_url() -> str:
    return _server("COFFRE_TEST_DATABASE_URL", "PostgreSQL server")


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> S3Client:
    """A raw client on the test server, for tests that look inside a bucket."""
    return make_s3_client(s3_endpoint, TEST_REGION)


@pytest.fixture
def s3_bucket_url(s3_endpoint: str, s3_client: S3Client) -> Iterator[str]:
    """The open_store URL of a fresh bucket, emptied and deleted after the test."""
    bucket = f"coffre-test-{uuid4().hex[:12]}"
    yield f"s3://{bucket}?endpoint_url={s3_endpoint}&region={TEST_REGION}"
    if bucket in {b.get("Name") for b in s3_client.list_buckets()["Buckets"]}:
        drop_bucket(s3_client, bucket)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """Each back end in turn: a local directory, then a fresh bucket on the S3 server."""
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    return open_store(request.getfixturevalue("s3_bucket_url"))
