"""Blob store on an S3-compatible server (AWS, MinIO, Garage, Ceph RGW, Scaleway, OVH...).

Writes stream: an object larger than one part goes up as a multipart upload, several parts at
once (`parts_in_flight`), sent by threads while the next part fills. Memory stays flat whatever
the object's size: `parts_in_flight` + 1 buffers of one part, reused from part to part.
Objects are limited to 10,000 parts (80 GB with the default part size). An S3 object only
appears once its upload completes, which gives the atomicity the interface promises; a failed
upload is aborted, once no part is still being sent, so no hidden parts keep costing storage;
one that could not be aborted (the server went away) or whose process was killed is aborted by
`sweep_unfinished`.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import queue
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, cast

from botocore.exceptions import BotoCoreError, ClientError

from storage.base import BlobInfo, BlobNotFoundError, BlobStoreError, StoreFullError
from storage.names import check_name

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

log = logging.getLogger(__name__)

READ_SIZE = 1024 * 1024
DEFAULT_PART_SIZE = 8 * 1024 * 1024
DEFAULT_PARTS_IN_FLIGHT = 4
MIN_PART_SIZE = 5 * 1024 * 1024  # S3's floor for every part but the last; Ceph enforces it
# HEAD responses have no body, hence the bare status code besides the named ones.
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NoSuchBucket", "NotFound"})
# No room left: a bucket or user quota (Ceph RGW), a server out of disk (MinIO).
_FULL_CODES = frozenset({"QuotaExceeded", "XMinioStorageFull"})


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextlib.contextmanager
def _s3_errors(action: str, where: str) -> Iterator[None]:
    """Turn botocore errors into BlobStoreError.

    The message keeps only the error code or class: a botocore message may quote request
    parameters, and an object's contents must never reach a log.
    """
    try:
        yield
    except ClientError as exc:
        code = _error_code(exc)
        kind = StoreFullError if code in _FULL_CODES else BlobStoreError
        raise kind(f"S3 {action} {where}: {code or 'error'}") from exc
    except BotoCoreError as exc:
        raise BlobStoreError(f"S3 {action} {where}: {type(exc).__name__}") from exc


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        client: S3Client,
        prefix: str = "",
        part_size: int = DEFAULT_PART_SIZE,
        parts_in_flight: int = DEFAULT_PARTS_IN_FLIGHT,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        if parts_in_flight < 1:
            raise ValueError("parts_in_flight must be at least 1")
        self.bucket = bucket
        self._client = client
        prefix = prefix.strip("/")
        self._prefix = f"{prefix}/" if prefix else ""
        self._part_size = part_size
        self._parts_in_flight = parts_in_flight

    def _key(self, name: str) -> str:
        return self._prefix + check_name(name)

    def put(self, name: str, chunks: Iterable[bytes]) -> int:
        """Store the stream; an exception raised by `chunks` propagates unchanged, S3
        failures come out as BlobStoreError."""
        key = self._key(name)
        part = bytearray()  # grows with the first part; the next ones reuse sent parts' buffers
        filled = 0
        parts: _PartsInFlight | None = None
        total = 0
        try:
            for chunk in chunks:
                total += len(chunk)
                view, start = memoryview(chunk), 0
                while start < len(view):
                    # A whole part and more to come: strictly more than one part, so an object
                    # of exactly one part still goes up in a single request.
                    if filled == self._part_size:
                        if parts is None:
                            parts = self._start_parts(key)
                        parts.add(part, filled)
                        part, filled = parts.next_buffer(), 0
                    room = min(len(view) - start, self._part_size - filled)
                    part[filled : filled + room] = view[start : start + room]
                    filled, start = filled + room, start + room
            if parts is None:
                with _s3_errors("put", key):
                    self._client.put_object(Bucket=self.bucket, Key=key, Body=bytes(part))
            else:
                parts.add(part, filled)
                completed = parts.finish()
                # Ceph returns an empty ETag here (HEAD has the right one): nothing reads it.
                with _s3_errors("complete upload", key):
                    self._client.complete_multipart_upload(
                        Bucket=self.bucket,
                        Key=key,
                        UploadId=parts.upload_id,
                        MultipartUpload={"Parts": completed},
                    )
        except BaseException:
            if parts is not None:
                # Parts still being sent would land after the abort and stay, hidden.
                parts.stop()
                self._abort(key, parts.upload_id)
            raise
        finally:
            if parts is not None:
                parts.stop()
        return total

    def _start_parts(self, key: str) -> _PartsInFlight:
        with _s3_errors("start upload", key):
            upload_id = self._client.create_multipart_upload(Bucket=self.bucket, Key=key)[
                "UploadId"
            ]
        send = functools.partial(self._upload_part, key, upload_id)
        return _PartsInFlight(upload_id, send, self._parts_in_flight, self._part_size)

    def _upload_part(
        self, key: str, upload_id: str, number: int, data: _PartBody
    ) -> CompletedPartTypeDef:
        # botocore reads a file-like body by read, seek and tell (to sign it, then to send it).
        body = cast("IO[bytes]", data)
        with _s3_errors("upload part", key):
            response = self._client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
            )
        return {"ETag": response["ETag"], "PartNumber": number}

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except (ClientError, BotoCoreError) as exc:
            # The error that made us abort matters more: keep raising it. A bucket lifecycle
            # rule (AbortIncompleteMultipartUpload) collects parts left by such double failures.
            log.warning("could not abort the multipart upload of %s: %s", key, type(exc).__name__)

    def get(self, name: str) -> Iterator[bytes]:
        key = self._key(name)
        with _s3_errors("get", key):
            try:
                response = self._client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _error_code(exc) in _NOT_FOUND_CODES:
                    raise BlobNotFoundError(name) from None
                raise
        return self._read(response["Body"], key)

    @staticmethod
    def _read(body: StreamingBody, key: str) -> Iterator[bytes]:
        with contextlib.closing(body):
            chunks = body.iter_chunks(READ_SIZE)
            while True:
                with _s3_errors("read", key):
                    chunk = next(chunks, None)
                if chunk is None:
                    return
                yield chunk

    def delete(self, name: str) -> None:
        key = self._key(name)
        # S3 deletes are already idempotent: a missing key is a success.
        with _s3_errors("delete", key):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, name: str) -> bool:
        key = self._key(name)
        with _s3_errors("head", key):
            try:
                self._client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _error_code(exc) in _NOT_FOUND_CODES:
                    return False
                raise
        return True

    def list(self) -> Iterator[BlobInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        pages = iter(paginator.paginate(Bucket=self.bucket, Prefix=self._prefix))
        while True:
            with _s3_errors("list", self.bucket):
                page = next(pages, None)
            if page is None:
                return
            for obj in page.get("Contents", []):
                yield BlobInfo(
                    name=obj["Key"][len(self._prefix) :],
                    size=obj["Size"],
                    modified=obj["LastModified"].astimezone(UTC),
                )

    def sweep_unfinished(self, older_than: datetime) -> int:
        """Abort the multipart uploads under our prefix started before `older_than`."""
        paginator = self._client.get_paginator("list_multipart_uploads")
        pages = iter(paginator.paginate(Bucket=self.bucket, Prefix=self._prefix))
        aborted = 0
        while True:
            with _s3_errors("list uploads", self.bucket):
                page = next(pages, None)
            if page is None:
                return aborted
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < older_than:
                    aborted += self._abort_unfinished(upload["Key"], upload["UploadId"])

    def _abort_unfinished(self, key: str, upload_id: str) -> int:
        with _s3_errors("abort upload", key):
            try:
                self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except ClientError as exc:
                # Ended since it was listed: completed, or aborted by another sweep.
                if _error_code(exc) == "NoSuchUpload":
                    return 0
                raise
        return 1

    def check(self) -> None:
        """Reachable, credentials accepted and bucket present; writability is not probed,
        so a read-only key passes."""
        with _s3_errors("head bucket", self.bucket):
            self._client.head_bucket(Bucket=self.bucket)


class _PartBody:
    """A part's bytes, read as a file: each read is a view of the part's buffer, not a copy
    (botocore reads a part twice, to sign it and to send it)."""

    def __init__(self, data: memoryview) -> None:
        self._data = data
        self._position = 0

    def read(self, size: int = -1) -> memoryview:
        end = len(self._data) if size < 0 else min(len(self._data), self._position + size)
        piece = self._data[self._position : end]
        self._position = end
        return piece

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._data)}
        self._position = min(max(base[whence] + offset, 0), len(self._data))
        return self._position

    def tell(self) -> int:
        return self._position


class _PartsInFlight:
    """The parts of one multipart upload, sent by threads of their own while the caller fills
    the next: at most `limit` parts are held, being sent or waiting to be, besides the one
    being filled. Their buffers are reused from part to part: a new one for every part cost
    fresh pages, faulted in and zeroed, for every 8 MiB of an upload."""

    def __init__(
        self,
        upload_id: str,
        send: Callable[[int, _PartBody], CompletedPartTypeDef],
        limit: int,
        part_size: int,
    ) -> None:
        self.upload_id = upload_id
        self._send = send
        self._limit = limit
        self._part_size = part_size
        self._pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix="s3-part")
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        self._buffers = 1  # the caller's first part
        self._sent: list[Future[CompletedPartTypeDef]] = []
        self._failure: BaseException | None = None

    def add(self, buffer: bytearray, length: int) -> None:
        """Send the first `length` bytes of `buffer` as the next part; the buffer is not the
        caller's any more. Raises the failure of a part sent earlier, if one failed."""
        self._raise_failure()
        self._sent.append(self._pool.submit(self._send_from, len(self._sent) + 1, buffer, length))

    def next_buffer(self) -> bytearray:
        """A buffer for the next part: a new one while fewer than `limit` + 1 exist, else one
        whose part has been sent, waited for."""
        if self._free.empty() and self._buffers <= self._limit:
            self._buffers += 1
            return bytearray(self._part_size)
        buffer = self._free.get()
        self._raise_failure()
        return buffer

    def _send_from(self, number: int, buffer: bytearray, length: int) -> CompletedPartTypeDef:
        try:
            return self._send(number, _PartBody(memoryview(buffer)[:length]))
        except BaseException as exc:
            self._failure = self._failure or exc
            raise
        finally:
            self._free.put(buffer)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def finish(self) -> list[CompletedPartTypeDef]:
        """Every part's number and ETag, in order, once all are sent; raises if one failed."""
        return [sent.result() for sent in self._sent]

    def stop(self) -> None:
        """Send nothing more; wait for the parts being sent."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def ensure_bucket(client: S3Client, bucket: str) -> None:
    """Create `bucket` in the client's region unless it exists.

    HEAD first: a production key often lacks s3:CreateBucket yet must open its bucket.
    """
    with _s3_errors("head bucket", bucket):
        try:
            client.head_bucket(Bucket=bucket)
            return
        except ClientError as exc:
            if _error_code(exc) not in _NOT_FOUND_CODES:
                raise
    region = client.meta.region_name
    with _s3_errors("create bucket", bucket):
        try:
            if region in (None, "us-east-1"):
                # us-east-1 is S3's default and rejects being named explicitly.
                client.create_bucket(Bucket=bucket)
            else:
                client.create_bucket(
                    Bucket=bucket,
                    CreateBucketConfiguration={
                        "LocationConstraint": cast("BucketLocationConstraintType", region)
                    },
                )
        except ClientError as exc:
            # Another instance created it between our HEAD and our CREATE.
            if _error_code(exc) != "BucketAlreadyOwnedByYou":
                raise
