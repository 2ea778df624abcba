"""Writes that never ended (a process killed mid-upload, an S3 upload that could not be
aborted) are removed by `sweep_unfinished` once older than its cutoff; a full store says so
(StoreFullError), and the S3 client waits for its server only as long as it is told."""

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_s3 import S3Client

from storage import LocalBlobStore, S3BlobStore, StoreFullError, open_store
from storage.factory import S3Patience, make_s3_client
from storage.local import TMP_DIR

HOUR = timedelta(hours=1)


def test_local_temp_files_older_than_the_cutoff_are_removed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put("kept", [b"a whole object"])
    old, young = tmp_path / "blobs" / TMP_DIR / "old", tmp_path / "blobs" / TMP_DIR / "young"
    old.write_bytes(b"half of an upload")
    young.write_bytes(b"an upload in flight")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))

    assert store.sweep_unfinished(datetime.now(UTC) - HOUR) == 1
    assert not old.exists()
    assert young.exists()
    assert [info.name for info in store.list()] == ["kept"]


def test_local_temp_files_a_day_old_go_when_the_store_opens(tmp_path: Path) -> None:
    LocalBlobStore(tmp_path / "blobs")
    left = tmp_path / "blobs" / TMP_DIR / "left"
    left.write_bytes(b"left by a crash")
    two_days_ago = time.time() - 2 * 86400
    os.utime(left, (two_days_ago, two_days_ago))
    LocalBlobStore(tmp_path / "blobs")
    assert not left.exists()


@pytest.mark.s3
def test_s3_uploads_begun_before_the_cutoff_are_aborted(
    s3_bucket_url: str, s3_client: S3Client
) -> None:
    store = open_store(s3_bucket_url + "&prefix=coffre")
    assert isinstance(store, S3BlobStore)
    bucket = store.bucket
    s3_client.create_multipart_upload(Bucket=bucket, Key="coffre/left-by-a-crash")
    s3_client.create_multipart_upload(Bucket=bucket, Key="someone-else/their-upload")
    store.put("kept", [b"a whole object"])

    assert store.sweep_unfinished(datetime.now(UTC) - HOUR) == 0  # may still be in flight
    assert store.sweep_unfinished(datetime.now(UTC) + timedelta(minutes=1)) == 1
    left = s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [upload["Key"] for upload in left] == ["someone-else/their-upload"]
    assert [info.name for info in store.list()] == ["kept"]


class FullBucket:
    """An S3 client whose server answers that the bucket's quota is reached."""

    def put_object(self, **_kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "QuotaExceeded"}}, "PutObject")


def test_a_bucket_over_its_quota_is_a_full_store() -> None:
    store = S3BlobStore("bucket", cast(S3Client, FullBucket()))
    with pytest.raises(StoreFullError, match="QuotaExceeded"):
        store.put("blob", [b"data"])


def test_the_s3_client_waits_as_long_as_it_is_told() -> None:
    client = make_s3_client("http://127.0.0.1:9", "us-east-1", S3Patience(1.5, 7.0, 4))
    config = vars(client.meta.config)
    assert (config["connect_timeout"], config["read_timeout"]) == (1.5, 7.0)
    assert config["retries"] == {"mode": "standard", "total_max_attempts": 4}
    assert config["s3"] == {"addressing_style": "path"}  # the rest of the configuration kept
