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

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
from botocore.config import Config

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
)


def make_s3_client(endpoint_url: str | None = None, region: str | None = None) -> S3Client:
    """An S3 client configured for any S3-compatible server, credentials found by boto3."""
    # A session of its own: boto3's default session is shared and not thread-safe.
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region, config=_S3_CONFIG
    )


def open_store(
    url: str,
    *,
    part_size: int = DEFAULT_PART_SIZE,
    parts_in_flight: int = DEFAULT_PARTS_IN_FLIGHT,
) -> BlobStore:
    """The store a URL names; `part_size` and `parts_in_flight` shape the uploads to S3."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query:
            raise ValueError("blob store URL: use file:///absolute/dir")
        path = Path(unquote(parts.path))
        if not path.is_absolute():
            raise ValueError("blob store URL: file:// needs an absolute path")
        return LocalBlobStore(path)
    if parts.scheme == "s3":
        return _open_s3(parts.netloc, parts.path, parts.query, part_size, parts_in_flight)
    raise ValueError(f"blob store URL: unknown scheme {parts.scheme!r} (file or s3)")


def _open_s3(
    netloc: str, path: str, query: str, part_size: int, parts_in_flight: int
) -> S3BlobStore:
    if "@" in netloc:
        raise ValueError("blob store URL: no credentials in the URL, use AWS_ACCESS_KEY_ID")
    if not netloc or path not in ("", "/"):
        raise ValueError("blob store URL: use s3://bucket?prefix=... for a folder")
    params = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    unknown = params.keys() - _S3_PARAMS
    if unknown:
        raise ValueError(f"blob store URL: unknown parameter(s) {sorted(unknown)}")
    single = {key: values[-1] for key, values in params.items()}
    client = make_s3_client(single.get("endpoint_url") or None, single.get("region") or None)
    ensure_bucket(client, netloc)
    return S3BlobStore(
        netloc,
        client,
        prefix=single.get("prefix", ""),
        part_size=part_size,
        parts_in_flight=parts_in_flight,
    )
