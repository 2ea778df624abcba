"""How the limited worker process (preview_worker) is started: our own interpreter and module,
its limits as arguments, and an environment that holds nothing of ours (no settings, no
secrets), only where to find the worker's code."""

import sys
from pathlib import Path

import vault
from vault.config import Settings

_ROOT = Path(vault.__file__).resolve().parent.parent
ENVIRONMENT = {"PYTHONPATH": str(_ROOT)}


def worker_command(settings: Settings, job: str, memory_mib: int) -> list[str]:
    # CPU time a little over the wall-clock limit: either one stops a file that never ends.
    cpu_seconds = int(settings.preview_timeout_seconds) + 1
    return [
        sys.executable,
        "-m",
        "vault.documents.preview_worker",
        job,
        str(memory_mib),
        str(cpu_seconds),
        str(settings.max_image_pixels),
        str(settings.max_pdf_pages),
    ]
