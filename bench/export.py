"""Memory and speed of « take everything »: the whole vault as one ZIP, over HTTP.

    .venv/bin/python -m bench.export [--files 3] [--mib 100] [--json]

In a temporary folder, on the embedded default (SQLite + local folder + local keyring): one
person, `--files` papers of `--mib` MiB of random bytes (a PDF's first and last bytes around
them), uploaded through the service in 1 MiB pieces. Then the app is served by uvicorn in this
process and the export is downloaded with httpx, streamed, in this same process: the figure
counts the server and the client together. See bench/README.md.
"""

import argparse
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from vault.accounts.accounts import create_person, vault_of
from vault.accounts.sessions import open_session
from vault.config import Settings
from vault.db import transaction
from vault.documents.service import DocumentFields, create_document, plan_upload, store_upload
from vault.runtime import Runtime
from vault.wiring import build_runtime
from webui.app import create_app

MiB = 1024 * 1024
PASSWORD = "un mot de passe pour le banc"  # noqa: S105 - a throwaway account in a temp folder


def peak_rss_kib(reset: bool = False) -> int:
    """This process's peak RSS (VmHWM), first brought down to the current RSS if `reset`.
    Not getrusage: Linux keeps a parent's peak in ru_maxrss across fork and exec."""
    if reset:
        Path("/proc/self/clear_refs").write_text("5")  # Linux >= 4.0: VmHWM := VmRSS
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def random_pdf(size: int) -> Iterator[bytes]:
    """`size` bytes that pass as a PDF (its first and last bytes), random in between."""
    head, tail = b"%PDF-1.7\n", b"\n%%EOF\n"
    left = size - len(head) - len(tail)
    yield head
    while left > 0:
        piece = os.urandom(min(MiB, left))
        left -= len(piece)
        yield piece
    yield tail


def fill(rt: Runtime, files: int, size: int) -> str:
    """One person with `files` papers of `size` bytes; returns an API token of theirs."""
    with transaction(rt.sessions) as db:
        person = create_person(
            db,
            rt.master_keys,
            login="banc.export",
            display_name="Banc Export",
            password=PASSWORD,
            role="beneficiary",
        )
        vault = vault_of(db, person.id)
        assert vault is not None
        token, _ = open_session(db, rt.settings, person, "api")
    for number in range(files):
        with transaction(rt.sessions) as db:
            plan = plan_upload(db, rt, person, vault.id)
        stored = store_upload(rt, plan, random_pdf(size))
        with transaction(rt.sessions) as db:
            create_document(db, rt, person, stored, DocumentFields(f"Papier {number}", "other"))
    return token


@contextmanager
def served(rt: Runtime) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime=rt), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def measure(files: int, mib: int) -> dict[str, float | int | str]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,
            data_dir=Path(folder) / "data",
            keyring=(Path(folder) / "keys" / "keyring.json").as_uri(),
            max_upload_bytes=mib * MiB,
            quota_bytes=files * mib * MiB,
        )
        rt = build_runtime(settings)
        started = time.monotonic()
        token = fill(rt, files, mib * MiB)
        filled = time.monotonic() - started
        with served(rt) as url, httpx.Client(base_url=url, timeout=600) as client:
            # One small request first: the first request's imports and connections are not
            # the export's.
            client.get("/healthz")
            gc.collect()
            before = peak_rss_kib(reset=True)
            started = time.monotonic()
            received, tail = 0, b""
            digest = hashlib.sha256()
            with client.stream(
                "GET", "/api/v1/vaults/me/export", headers={"Authorization": f"Bearer {token}"}
            ) as answer:
                answer.raise_for_status()
                for chunk in answer.iter_bytes():
                    received += len(chunk)
                    digest.update(chunk)
                    tail = (tail + chunk)[-65536:]
            seconds = time.monotonic() - started
            peak = peak_rss_kib()
        rt.engine.dispose()
    # The end of the central directory: the archive was sent whole.
    assert b"PK\x05\x06" in tail, "the archive is not complete"
    return {
        "files": files,
        "mib_each": mib,
        "vault_mib": files * mib,
        "zip_bytes": received,
        "fill_seconds": round(filled, 2),
        "export_seconds": round(seconds, 2),
        "mib_per_second": round(received / MiB / seconds, 1),
        "rss_before_mib": round(before / 1024, 1),
        "peak_mib": round(peak / 1024, 1),
        "extra_mib": round((peak - before) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--mib", type=int, default=100, help="size of each paper, in MiB")
    parser.add_argument("--json", action="store_true", help="one JSON line, for a test")
    args = parser.parse_args()
    figures = measure(args.files, args.mib)
    if args.json:
        print(json.dumps(figures))
        return
    print(dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    print(f"{platform.system()} {platform.machine()}, nproc {os.cpu_count()}")
    print(f"Python {sys.version.split()[0]}; embedded default (SQLite, local folder)")
    print("| " + " | ".join(figures) + " |")
    print("|" + "|".join("---" for _ in figures) + "|")
    print("| " + " | ".join(str(v) for v in figures.values()) + " |")


if __name__ == "__main__":
    main()
