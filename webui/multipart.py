"""Reads a multipart/form-data body as it arrives, without spooling the file to disk or memory.

Small text fields are collected; a file part is handed on chunk by chunk, so a document goes
from the socket to the encryptor without a plaintext copy anywhere.
"""

from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import anyio.from_thread
import anyio.lowlevel
from fastapi import HTTPException, Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from vault.errors import N_
from webui.bodies import bounded_by_its_reader

MAX_FIELD_BYTES = 64 * 1024
# A file is handed on in pieces of about this size: each is one hop from the event loop to the
# thread that encrypts it.
FILE_PIECE = 1024 * 1024
# A paper of MAX_PHOTOS photos (vault/documents/previews.py) and its few fields.
MAX_PARTS = 48

# Shown on the error page (webui/errors.py), in the person's language.
INCOMPLETE = N_("Le formulaire envoyé est incomplet.")
TOO_BIG = N_("Le formulaire envoyé est trop gros.")
NOT_MULTIPART = N_("Envoyez le fichier avec un formulaire multipart/form-data.")
TOO_MANY_FIELDS = N_("Le formulaire a trop de champs.")
FIELD_TOO_LONG = N_("Un champ du formulaire est trop long.")


@dataclass(frozen=True)
class TextField:
    name: str
    value: str


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str | None


def _bad_form(message: str = INCOMPLETE) -> HTTPException:
    return HTTPException(status_code=422, detail=message)


def _too_big() -> HTTPException:
    return HTTPException(status_code=413, detail=TOO_BIG)


class MultipartReader:
    def __init__(self, request: Request, max_body: int) -> None:
        content_type, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if content_type != b"multipart/form-data" or not boundary:
            raise _bad_form(NOT_MULTIPART)
        bounded_by_its_reader(request)
        self._stream: AsyncIterator[bytes] = request.stream().__aiter__()
        self._max_body = max_body
        self._received = 0
        self._events: deque[tuple[str, bytes]] = deque()
        self._header_field = b""
        self._headers: dict[bytes, bytes] = {}
        self._parts = 0
        self._ended = False
        # Set by the closing boundary: a body that stops before it is not a whole form.
        self._complete = False
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_headers_finished": lambda: self._events.append(
                    ("headers", self._headers.get(b"content-disposition", b""))
                ),
                "on_part_data": lambda data, start, end: self._events.append(
                    ("data", bytes(data[start:end]))
                ),
                "on_part_end": lambda: self._events.append(("end", b"")),
                "on_end": self._on_end,
            },
            max_size=max_body,
        )

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._parts += 1

    def _on_end(self) -> None:
        self._complete = True

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field = bytes(data[start:end]).lower()

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._headers[self._header_field] = self._headers.get(self._header_field, b"") + bytes(
            data[start:end]
        )

    async def _receive(self) -> bool:
        """Parse the next piece of the body; False once the whole body has been read."""
        if self._ended:
            return False
        # The parser drops what comes after max_body: never read on for nothing.
        if self._received > self._max_body:
            raise _too_big()
        try:
            chunk = await self._stream.__anext__()
        except StopAsyncIteration:
            self._ended = True
            # The parser takes a body cut anywhere as ended there: its last part would be kept
            # as if whole, less the bytes held back in case a boundary followed.
            if not self._complete:
                raise _bad_form() from None
            return True
        self._received += len(chunk)
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise _bad_form() from exc
        if self._parts > MAX_PARTS:
            raise _bad_form(TOO_MANY_FIELDS)
        return True

    async def _next_event(self) -> tuple[str, bytes] | None:
        while not self._events:
            if not await self._receive():
                return None
        return self._events.popleft()

    async def next_part(self) -> TextField | FilePart | None:
        """The next field, or the header of the next file part (read its bytes before moving on)."""
        while (event := await self._next_event()) is not None:
            if event[0] != "headers":
                continue
            _disposition, options = parse_options_header(event[1])
            name = options.get(b"name", b"").decode("utf-8", "replace")
            if b"filename" in options:
                filename = options[b"filename"].decode("utf-8", "replace") or None
                return FilePart(name, filename)
            return TextField(name, await self._read_field())
        return None

    async def _read_field(self) -> str:
        value = b""
        while (event := await self._next_event()) is not None and event[0] == "data":
            value += event[1]
            if len(value) > MAX_FIELD_BYTES:
                raise _bad_form(FIELD_TOO_LONG)
        return value.decode("utf-8", "replace")

    async def read_file_chunk(self) -> bytes | None:
        """The next bytes of the current file part, about FILE_PIECE of them if the part goes on
        that far (the network hands them over by tens of KiB), or None at its end."""
        pieces: list[bytes] = []
        size = 0
        while size < FILE_PIECE:
            if not self._events:
                if await self._receive():
                    continue
                break
            if self._events[0][0] != "data":
                break
            data = self._events.popleft()[1]
            pieces.append(data)
            size += len(data)
        if pieces:
            return b"".join(pieces)
        await self._next_event()  # the part's end
        return None

    async def remaining_fields(self) -> dict[str, str]:
        """After a refusal: read what is left, so a browser gets our answer instead of a reset,
        and keep the text fields sent after the refused part, so a page can show them again.
        Files are dropped; a rest too big or malformed ends the reading, never the answer. A
        field sent twice keeps its first value."""
        fields: dict[str, str] = {}
        try:
            while (part := await self.next_part()) is not None:
                if isinstance(part, TextField):
                    fields.setdefault(part.name, part.value)
        except HTTPException:
            pass
        return fields

    def file_chunks_in_thread(self) -> Iterator[bytes]:
        """The current file part as a blocking iterator, for any thread but the event loop's.
        Call this on the event loop: the iterator hands each read over to it."""
        loop = anyio.lowlevel.current_token()

        def chunks() -> Iterator[bytes]:
            while (chunk := anyio.from_thread.run(self.read_file_chunk, token=loop)) is not None:
                yield chunk

        return chunks()
