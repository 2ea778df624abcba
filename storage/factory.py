"""Open a blob store from a URL, the one setting that chooses and configures the back end.

    file:///absolute/dir
        A local directory (created 0700 if missing). Only absolute paths: a relative one would
        depend on the working directory the service happens to start in.

    s3://BUCKET[?endpoint_url=URL][&region=REGION][&prefix=PREFIX]
        An S3-compatible bucket, created if it does not exist.
        endpoint_url  the server, e.g. http://127.0.0.1:7480 (default: AWS itself)
        region        the signing region, e.g. us-east-1 (default: boto3's, AWS_DEFAULT_REGION)
        prefix        a folder inside the bucket for coffre's objects (default: the root)
        Credentials never go in the URL (it ends up in logs and process listings): boto3 finds
        them the usual way, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile or an
        instance role.

Query values are percent-decoded, e.g. `endpoint_url=http%3A%2F%2Fs3.example%3A9000`; an
unknown parameter is an error so that a typo is not silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

import boto3
import botocore.session
from botocore.config import Config
from botocore.loaders import Loader

from storage.base import BlobStore
from storage.local import LocalBlobStore
from storage.s3 import DEFAULT_PART_SIZE, DEFAULT_PARTS_IN_FLIGHT, S3BlobStore, ensure_bucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_S3_PARAMS = frozenset({"endpoint_url", "region", "prefix"})

_S3_CONFIG = Config(
    retries={"mode": "standard"},
    # Each upload sends several parts at once (S3BlobStore's parts_in_flight), and downloads
    # run beside them: past the pool's size, connections are opened and thrown away.
    max_pool_connections=32,
    # Path-style works on every S3-compatible server; virtual hosts need DNS set up for them.
    s3={"addressing_style": "path"},
    signature_version="s3v4",
    # No CRC-32 of every part sent or received (botocore's default since 1.36, ~50 ms of CPU per
    # 100 MiB): each blob is authenticated by AES-GCM when read and carries its SHA-256, and
    # several S3-compatible servers refuse the newer checksum headers.
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
)


@dataclass(frozen=True)
class S3Patience:
    """How long to wait for an S3 server and how often to try, so that a server that is down
    or stalled gives an error within a bounded time rather than holding a request for minutes.

    connect_seconds  to open a connection, and also to hand each piece of a request to it
                     (urllib3 sends the body under the connect timeout)
    read_seconds     for each piece of an answer
    attempts         tries of one request in all, the first included; a request that failed
                     from a timeout, a cut connection or a 5xx is tried again after a short pause
    """

    connect_seconds: float
    read_seconds: float
    attempts: int


def make_s3_client(
    endpoint_url: str | None = None, region: str | None = None, patience: S3Patience | None = None
) -> S3Client:
    """An S3 client configured for any S3-compatible server, credentials found by boto3.
    Without `patience`, botocore's own (60 s timeouts; tries from AWS_MAX_ATTEMPTS, else 3)."""
    config = _S3_CONFIG
    if patience is not None:
        config = config.merge(
            Config(
                connect_timeout=patience.connect_seconds,
                read_timeout=patience.read_seconds,
                retries={"mode": "standard", "total_max_attempts": patience.attempts},
            )
        )
    # A session of its own: boto3's default session is shared and not thread-safe. Its
    # credentials and settings are found anew; only the parsed service models are shared.
    session = botocore.session.Session()
    session.register_component("data_loader", _service_models())
    return boto3.session.Session(botocore_session=session).client(
        "s3", endpoint_url=endpoint_url, region_name=region, config=config
    )


@cache
def _service_models() -> Loader:
    """botocore's reader of its service descriptions (JSON files), kept for the process: each
    new session otherwise parses S3's again, 0.1-0.5 s of CPU per client here."""
    loader: Loader = botocore.session.Session().get_component("data_loader")
    return loader


def open_store(
    url: str,
    *,
    part_size: int = DEFAULT_PART_SIZE,
    parts_in_flight: int = DEFAULT_PARTS_IN_FLIGHT,
    patience: S3Patience | None = None,
) -> BlobStore:
    """The store a URL names; `part_size` and `parts_in_flight` shape the uploads to S3,
    `patience` bounds the wait for its server."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query:
            raise ValueError("blob store URL: use file:///absolute/dir")
        path = Path(unquote(parts.path))
        if not path.is_absolute():
            raise ValueError("blob store URL: file:// needs an absolute path")
        return LocalBlobStore(path)
    if parts.scheme == "s3":
        return _open_s3(parts, part_size, parts_in_flight, patience)
    raise ValueError(f"blob store URL: unknown scheme {parts.scheme!r} (file or s3)")


def _open_s3(
    url: SplitResult, part_size: int, parts_in_flight: int, patience: S3Patience | None
) -> S3BlobStore:
    bucket = url.netloc
    if "@" in bucket:
        raise ValueError("blob store URL: no credentials in the URL, use AWS_ACCESS_KEY_ID")
    if not bucket or url.path not in ("", "/"):
        raise ValueError("blob store URL: use s3://bucket?prefix=... for a folder")
    params = parse_qs(url.query, keep_blank_values=True, strict_parsing=bool(url.query))
    unknown = params.keys() - _S3_PARAMS
    if unknown:
        raise ValueError(f"blob store URL: unknown parameter(s) {sorted(unknown)}")
    single = {key: values[-1] for key, values in params.items()}
    client = make_s3_client(
        single.get("endpoint_url") or None, single.get("region") or None, patience
    )
    ensure_bucket(client, bucket)
    return S3BlobStore(
        bucket,
        client,
        prefix=single.get("prefix", ""),
        part_size=part_size,
        parts_in_flight=parts_in_flight,
    )
