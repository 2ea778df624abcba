"""Every uploaded file is opened by its format's own library before its paper is recorded
(what is refused and why: format_checks). The library runs in the limited worker process, so a
hostile file can only stall, exhaust or crash that process, never the server.

The worker is fed the plaintext as it streams in, by the same pieces that go on to be
encrypted: the server holds no more of the file than before (its memory stays flat whatever
the size), the worker holds it once, and the verdict is awaited before the paper's row is
written. A refusal leaves nothing: the stored object is removed, no row was written, no room
in the vault is used."""

from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from types import TracebackType

from vault.config import MiB, Settings
from vault.documents import format_checks
from vault.documents.inspection import InspectedUpload
from vault.documents.service import StoredUpload, UploadPlan, discard_upload, store_inspected
from vault.documents.warm_workers import WORKERS
from vault.documents.worker_process import worker_command
from vault.errors import (
    N_,
    DamagedFileError,
    FileTooLargeError,
    RefusedContentError,
    VaultError,
)
from vault.runtime import Runtime

PDF = "application/pdf"

PICTURE_TOO_BIG = N_("Une photo est trop grande. Envoyez une photo plus petite.")
PICTURE_UNREADABLE = N_("Une photo n'a pas pu être lue. Essayez de l'envoyer à nouveau.")
PDF_UNREADABLE = N_("Ce PDF n'a pas pu être lu. Enregistrez-le à nouveau en PDF, puis recommencez.")
SAY_AGAIN = {
    format_checks.NEEDS_PASSWORD: N_(
        "Ce PDF est protégé par un mot de passe. "
        "Enregistrez-le à nouveau sans mot de passe, puis recommencez."
    ),
    format_checks.RUNS_A_PROGRAM: N_(
        "Ce PDF contient un programme. Enregistrez-le à nouveau en PDF simple, puis recommencez."
    ),
    format_checks.LAUNCHES_A_PROGRAM: N_(
        "Ce PDF peut lancer un programme sur l'ordinateur. "
        "Enregistrez-le à nouveau en PDF simple, puis recommencez."
    ),
    format_checks.CARRIES_FILES: N_(
        "Ce PDF contient d'autres fichiers. "
        "Enregistrez-le à nouveau en PDF simple, puis recommencez."
    ),
}


def store_checked(rt: Runtime, plan: UploadPlan, upload: InspectedUpload) -> StoredUpload:
    """Store the upload (checked, encrypted) while its format's library opens it; refused, the
    stored object goes."""
    with ContentCheck(rt.settings, upload.content_type()) as check:
        stored = store_inspected(rt, plan, upload, check.fed(upload))
        try:
            check.verdict()
        except BaseException:
            discard_upload(rt.store, stored)
            raise
    return stored


def read_checked(settings: Settings, upload: InspectedUpload) -> bytes:
    """The bytes of a picture that its library takes, for what is made of it next."""
    with ContentCheck(settings, upload.content_type()) as check:
        content = b"".join(check.fed(upload))
        check.verdict()
    return content


class ContentCheck:
    """One file's check: feed it the file's pieces in order, then ask for the verdict."""

    def __init__(self, settings: Settings, content_type: str) -> None:
        self._settings = settings
        self._content_type = content_type
        # Its working memory, plus room for the largest file allowed three times: held, then
        # PDFium's copy of it (format_checks), in which a stream written without compression
        # is compressed, and kept whole meanwhile.
        memory_mib = settings.preview_memory_mib + settings.max_upload_bytes * 3 // MiB + 1
        self._exits = ExitStack()
        self._worker = self._exits.enter_context(
            WORKERS.taken(worker_command(settings, "check", memory_mib))
        )

    def fed(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The same pieces, each sent to the worker before it goes on."""
        stdin = self._worker.stdin
        for chunk in chunks:
            try:
                stdin.write(chunk)
            except BrokenPipeError:
                # The worker stopped before the end (its memory or time ran out): no need to
                # read the rest to know the answer.
                self.verdict()
                raise self._refusal(format_checks.UNREADABLE) from None
            yield chunk
        # The worker judges while the last piece is encrypted and stored, not after.
        self._worker.end_of_file()

    def verdict(self) -> None:
        """Wait for the worker's verdict on the whole file; raise the refusal it means."""
        answer = self._worker.answer(self._settings.preview_timeout_seconds)
        status = format_checks.UNREADABLE if answer is None else answer.status
        if status != format_checks.FINE:
            raise self._refusal(status)

    def _refusal(self, status: int) -> VaultError:
        if self._content_type != PDF:
            if status == format_checks.TOO_MANY_PIXELS:
                return FileTooLargeError(PICTURE_TOO_BIG, field="file")
            return DamagedFileError(PICTURE_UNREADABLE, field="file")
        if status == format_checks.TOO_MANY_PAGES:
            return FileTooLargeError(
                "Ce PDF a plus de %(max)s pages. Coupez-le en plusieurs PDF, puis recommencez.",
                field="file",
                max=self._settings.max_pdf_pages,
            )
        if status in SAY_AGAIN:
            return RefusedContentError(SAY_AGAIN[status], field="file")
        return DamagedFileError(PDF_UNREADABLE, field="file")

    def __enter__(self) -> "ContentCheck":
        return self

    def __exit__(
        self,
        _kind: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        """Whatever happened, the worker is gone when the check is."""
        self._exits.close()
