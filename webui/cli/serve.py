"""`coffre serve`: the web app (pages and API)."""

from typing import Annotated, Any

import typer

from vault.config import get_settings
from webui.cli import shared
from webui.cli.shared import errors

# Connections uvicorn takes per request the app handles at once: browsers keep several open.
CONNECTIONS_PER_REQUEST = 4

SEVERAL_WORKERS_NEED_POSTGRESQL = (
    "Several workers need PostgreSQL (COFFRE_DATABASE_URL): SQLite lets one process write at a "
    "time, and each request takes its write lock, so more processes would only wait for it."
)


def serve(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes; more than 1 needs PostgreSQL.")
    ] = 1,
) -> None:
    """Start the web app (pages and API)."""
    # The web app's imports take a second or more: every other command is spared them.
    import uvicorn

    from webui.allocator import give_big_blocks_back
    from webui.app import create_app
    from webui.logs import log_config

    settings = get_settings()
    if workers > 1 and settings.resolved_database_url().startswith("sqlite"):
        errors.print(SEVERAL_WORKERS_NEED_POSTGRESQL)
        raise typer.Exit(2)
    # The settings and the schema are checked here, once, whatever the number of workers (the
    # embedded default brings its schema up to date).
    rt = shared.runtime()
    # uvicorn would believe X-Forwarded-For from 127.0.0.1: any local client could then pick
    # its own address and escape the throttle. COFFRE_TRUSTED_PROXIES is the only rule.
    # http and loop "auto": httptools and uvloop when installed (uvicorn[standard]), measured
    # faster than h11 and asyncio (bench/README.md, http_path).
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "proxy_headers": False,
        # The app answers past COFFRE_MAX_REQUESTS itself (webui/busy.py); uvicorn's limit,
        # which counts connections kept alive between requests too, only stops a flood of them.
        "limit_concurrency": settings.max_requests * CONNECTIONS_PER_REQUEST,
        "log_config": log_config(settings.log_format),
        # No « Server: uvicorn »: what runs here is nobody else's business.
        "server_header": False,
        "http": "auto",
        "loop": "auto",
    }
    if workers == 1:
        give_big_blocks_back()
        uvicorn.run(create_app(runtime=rt), **options)
        return
    rt.engine.dispose()  # each worker opens its own
    uvicorn.run("webui.app:worker_app", factory=True, workers=workers, **options)


def register(app: typer.Typer) -> None:
    app.command()(serve)
