"""Liveness and readiness probes for a load balancer."""

from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from webui.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


Check = Literal["ok", "failed"]


class Readiness(BaseModel):
    status: Check
    database: Check
    storage: Check
    keyring: Check


@router.get(
    "/readyz",
    response_class=JSONResponse,
    responses={
        200: {"model": Readiness, "description": "Database, blob store and keyring reachable."},
        503: {"model": Readiness, "description": "One of them is not: it says which."},
    },
)
def readyz(rt: RuntimeDep) -> JSONResponse:
    checks: dict[str, str] = {}
    probes: tuple[tuple[str, Callable[[], None]], ...] = (
        ("database", lambda: _ping_database(rt)),
        ("storage", rt.store.check),
        ("keyring", rt.master_keys.check),
    )
    for name, probe in probes:
        try:
            probe()
            checks[name] = "ok"
        except Exception:  # any failure means "not ready"; the details stay in the server log
            checks[name] = "failed"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "failed", **checks}, status_code=200 if ready else 503
    )


def _ping_database(rt: RuntimeDep) -> None:
    with rt.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
