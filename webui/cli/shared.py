"""What the commands share: where they print, and the runtime they build (called as
`shared.runtime()`, so that a test hands every command its runtime by replacing this one)."""

import os

from rich.console import Console

from vault.config import get_settings
from vault.errors import CannotStart
from vault.runtime import Runtime
from vault.wiring import build_runtime
from webui.cli.check import refuse

# soft_wrap: a report line stays one line, whatever the terminal width, so it can be grepped.
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def runtime() -> Runtime:
    # Files coffre creates (SQLite database and journal, blobs) are for its own user only.
    os.umask(0o077)
    try:
        return build_runtime(get_settings())
    except CannotStart as refusal:
        refuse(refusal)
