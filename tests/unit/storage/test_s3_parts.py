"""S3BlobStore.put with several parts in flight, against a stand-in S3 client: parts go up at
once but never more than the limit, the object is whole and in order, and any failure aborts
the upload once no part is still being sent, leaving nothing."""

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_s3 import S3Client

from storage import BlobStoreError, S3BlobStore
from storage.s3 import MIN_PART_SIZE

MiB = 1024 * 1024
PART = MIN_PART_SIZE
IN_FLIGHT = 3


class Boom(Exception):
    pass


class StandInS3:
    """The calls S3BlobStore.put makes, in memory. `gate` holds every part until set; part
    `failing` fails as a server error would."""

    def __init__(self, failing: int | None = None, gate: threading.Event | None = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.uploads: dict[str, dict[int, bytes]] = {}
        self.failing = failing
        self.gate = gate
        self.sending = 0
        self.most_at_once = 0
        self.aborted_while_sending = False
        self._lock = threading.Lock()

    def create_multipart_upload(self, **kwargs: Any) -> dict[str, str]:
        upload_id = uuid.uuid4().hex
        self.uploads[upload_id] = {}
        return {"UploadId": upload_id}

    def upload_part(self, **kwargs: Any) -> dict[str, str]:
        with self._lock:
            self.sending += 1
            self.most_at_once = max(self.most_at_once, self.sending)
        try:
            if self.gate is not None:
                assert self.gate.wait(timeout=10)
            time.sleep(0.01)  # a network round trip: parts overlap
            number = kwargs["PartNumber"]
            if number == self.failing:
                raise ClientError({"Error": {"Code": "InternalError"}}, "UploadPart")
            self.uploads[kwargs["UploadId"]][number] = read_as_botocore_does(kwargs["Body"])
            return {"ETag": f'"{number}"'}
        finally:
            with self._lock:
                self.sending -= 1

    def complete_multipart_upload(self, **kwargs: Any) -> None:
        parts = self.uploads.pop(kwargs["UploadId"])
        numbers = [part["PartNumber"] for part in kwargs["MultipartUpload"]["Parts"]]
        assert numbers == list(range(1, len(parts) + 1))
        self.objects[kwargs["Key"]] = b"".join(parts[number] for number in numbers)

    def abort_multipart_upload(self, **kwargs: Any) -> None:
        self.aborted_while_sending |= self.sending > 0
        del self.uploads[kwargs["UploadId"]]

    def put_object(self, **kwargs: Any) -> None:
        self.objects[kwargs["Key"]] = bytes(kwargs["Body"])


def read_as_botocore_does(body: Any) -> bytes:
    """Read once to sign, then again from the start to send; a copy is kept, the buffer goes
    back to the store once the call returns."""
    start = body.tell()
    signed = b"".join(iter(lambda: bytes(body.read(MiB)), b""))
    body.seek(start)
    sent = b"".join(iter(lambda: bytes(body.read(16 * 1024)), b""))
    assert sent == signed
    return sent


def store_on(s3: StandInS3) -> S3BlobStore:
    return S3BlobStore("bucket", cast(S3Client, s3), part_size=PART, parts_in_flight=IN_FLIGHT)


def pieces(size: int, fail_after: int | None = None) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        if fail_after is not None and sent >= fail_after:
            raise Boom
        piece = bytes([sent // MiB % 256]) * min(MiB, size - sent)
        sent += len(piece)
        yield piece


def test_parts_go_up_together_in_order() -> None:
    s3 = StandInS3()
    size = 10 * PART + 123
    assert store_on(s3).put("blob", pieces(size)) == size
    assert s3.objects["blob"] == b"".join(pieces(size))
    assert s3.most_at_once == IN_FLIGHT
    assert s3.uploads == {}


def test_no_more_parts_are_held_than_the_limit() -> None:
    gate = threading.Event()
    s3 = StandInS3(gate=gate)
    read = 0

    def counted() -> Iterator[bytes]:
        nonlocal read
        for piece in pieces(20 * PART):
            read += len(piece)
            yield piece

    upload = threading.Thread(target=store_on(s3).put, args=("blob", counted()))
    upload.start()
    time.sleep(0.5)  # every part held at the gate: the stream waits
    # The parts in flight, the part being filled, and the piece that overflowed it.
    assert read <= (IN_FLIGHT + 1) * PART + MiB
    assert s3.most_at_once == IN_FLIGHT
    gate.set()
    upload.join(timeout=10)
    assert s3.objects["blob"] == b"".join(pieces(20 * PART))


@pytest.mark.parametrize("failing", [1, 4, 11], ids=["first", "middle", "last"])
def test_a_failed_part_aborts_and_leaves_nothing(failing: int) -> None:
    s3 = StandInS3(failing=failing)
    with pytest.raises(BlobStoreError, match="upload part"):
        store_on(s3).put("blob", pieces(10 * PART + 1))
    assert s3.objects == {}
    assert s3.uploads == {}
    assert not s3.aborted_while_sending


@pytest.mark.parametrize("fail_after", [PART + MiB, 7 * PART], ids=["early", "late"])
def test_a_failing_stream_aborts_and_leaves_nothing(fail_after: int) -> None:
    s3 = StandInS3()
    with pytest.raises(Boom):
        store_on(s3).put("blob", pieces(10 * PART, fail_after=fail_after))
    assert s3.objects == {}
    assert s3.uploads == {}
    assert not s3.aborted_while_sending


def test_one_part_or_less_is_a_single_put() -> None:
    s3 = StandInS3()
    assert store_on(s3).put("blob", pieces(PART)) == PART
    assert s3.objects["blob"] == b"".join(pieces(PART))
    assert s3.most_at_once == 0


def test_parts_in_flight_is_at_least_one() -> None:
    with pytest.raises(ValueError, match="parts_in_flight"):
        S3BlobStore("bucket", cast(S3Client, StandInS3()), parts_in_flight=0)
