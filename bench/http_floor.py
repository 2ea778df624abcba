"""The floor of any Python HTTP service here: a bare Starlette app, on the uvicorn that runs
`coffre serve`, that passes bytes between its client and S3 and does nothing else (no
encryption, no database, no multipart form, no checks).

    FLOOR_S3_ENDPOINT=http://... FLOOR_BUCKET=name python -m uvicorn bench.http_floor:app

Started by bench/http_path.py, which compares coffre's upload and download with these two
routes and with boto3 alone. Credentials the usual AWS way.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, BinaryIO, cast

import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from boto3.s3.transfer import TransferConfig
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bench.storage_path import IterReader
from storage.factory import make_s3_client
from storage.s3 import DEFAULT_PART_SIZE, READ_SIZE

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REGION = "us-east-1"
# The handler thread is handed the body by the MiB: one hop per network read (~64 KiB) would
# cost the floor more than it should.
HANDOFF = 1024 * 1024


def _client() -> S3Client:
    return make_s3_client(os.environ["FLOOR_S3_ENDPOINT"], REGION)


CLIENT = _client() if "FLOOR_S3_ENDPOINT" in os.environ else None


def _s3() -> tuple[S3Client, str]:
    if CLIENT is None:
        raise RuntimeError("set FLOOR_S3_ENDPOINT and FLOOR_BUCKET")
    return CLIENT, os.environ["FLOOR_BUCKET"]


async def readyz(_request: Request) -> Response:
    client, bucket = _s3()
    await anyio.to_thread.run_sync(lambda: client.head_bucket(Bucket=bucket))
    return Response("ok")


async def get_object(request: Request) -> Response:
    client, bucket = _s3()
    name = request.path_params["name"]
    answer = await anyio.to_thread.run_sync(lambda: client.get_object(Bucket=bucket, Key=name))
    chunks: Iterator[bytes] = answer["Body"].iter_chunks(READ_SIZE)
    length = str(answer["ContentLength"])
    return StreamingResponse(chunks, headers={"Content-Length": length})


async def _gathered(stream: AsyncIterator[bytes]) -> bytes:
    """The next MiB or so of the body (b"" at its end)."""
    piece = bytearray()
    async for chunk in stream:
        piece += chunk
        if len(piece) >= HANDOFF:
            break
    return bytes(piece)


async def put_object(request: Request) -> Response:
    """The raw body (no form around it) into boto3's own upload, its default threads."""
    client, bucket = _s3()
    name = request.path_params["name"]
    stream = request.stream().__aiter__()
    # s3transfer reads the body in a thread of its own, not in the one anyio starts below.
    loop = anyio.lowlevel.current_token()

    def body() -> Iterator[bytes]:
        while piece := anyio.from_thread.run(_gathered, stream, token=loop):
            yield piece

    config = TransferConfig(multipart_chunksize=DEFAULT_PART_SIZE)

    def upload() -> None:
        client.upload_fileobj(cast(BinaryIO, IterReader(body())), bucket, name, Config=config)

    await anyio.to_thread.run_sync(upload)
    return Response(status_code=201)


app = Starlette(
    routes=[
        Route("/readyz", readyz),
        Route("/objects/{name}", get_object, methods=["GET"]),
        Route("/objects/{name}", put_object, methods=["PUT"]),
    ]
)
