"""The API keeps the contract /openapi.json states: schemathesis, with every check it has, as
each role and as nobody, against a live `coffre serve` on the embedded default.

Each operation gets a bounded number of generated cases, the same on every run (deterministic
generation, tests/contract/schemathesis.toml), plus schemathesis' boundary values, unexpected
methods and the sequences it infers from the answers. Nothing may answer 5xx, and no answer may
stray from the document: status, content type, body schema, headers, refusing invalid data,
accepting valid data (where a domain rule goes further than the schema, the config says so),
401 without the token."""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.figures import FIGURES, Figures
from tests.contract.live import BIN, LiveCoffre, live_coffre

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = 10
ROLES = ("beneficiary", "counsellor", "org_admin", "admin")
# The token of each role must stay valid until its run ends: signing out is fuzzed as nobody.
SIGN_OUT = "DELETE /api/v1/session"
SERVER_ERROR = "ST101"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCoffre]:
    folder = tmp_path_factory.mktemp("live")
    with live_coffre(folder / "coffre-data", folder / "server.log") as coffre:
        yield coffre


@pytest.fixture(scope="module")
def operations(live: LiveCoffre) -> dict[str, dict[str, Any]]:
    document = httpx.get(f"{live.url}/openapi.json").json()
    return {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def meant_for(who: str, operations: dict[str, dict[str, Any]]) -> list[str]:
    """A role gets the operations that take a token; nobody gets those that need none, and
    signing out."""
    if who == "nobody":
        return [
            name
            for name, operation in operations.items()
            if not operation.get("security") or {} in operation["security"] or name == SIGN_OUT
        ]
    return [
        name
        for name, operation in operations.items()
        if operation.get("security") and name != SIGN_OUT
    ]


@pytest.mark.parametrize("who", [*ROLES, "nobody"])
def test_the_api_keeps_its_contract(
    who: str,
    live: LiveCoffre,
    operations: dict[str, dict[str, Any]],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    selected = meant_for(who, operations)
    run, report = schemathesis(live, who, selected, tmp_path)
    figures = figures_of(who, report)
    request.config.stash.setdefault(FIGURES, []).append(figures)
    assert figures.operations == len(selected), run.stdout[-3000:]
    assert figures.server_errors == 0, run.stdout[-20000:]
    assert figures.contract_failures == 0, run.stdout[-20000:]
    assert figures.errors == 0, run.stdout[-20000:]
    assert run.returncode == 0, run.stdout[-20000:]


def schemathesis(
    live: LiveCoffre, who: str, selected: list[str], folder: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    report = folder / "report.json"
    token = live.tokens.get(who)
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{live.url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "2",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *(["--header", f"Authorization: Bearer {token}"] if token else []),
    ]
    for name in selected:
        command += ["--include-name", name]
    # In its own folder: nothing it writes lands in the repository.
    run = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=600, check=False
    )
    assert report.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    loaded: dict[str, Any] = json.loads(report.read_text())
    return run, loaded


def figures_of(who: str, report: dict[str, Any]) -> Figures:
    failures = report["failures"]
    return Figures(
        who=who,
        operations=report["operations"]["tested"],
        cases=report["test_cases"]["generated"],
        server_errors=sum(f["count"] for f in failures if f["code"] == SERVER_ERROR),
        contract_failures=sum(f["count"] for f in failures if f["code"] != SERVER_ERROR),
        errors=report["operations"]["errored"]
        + report["test_cases"]["errored"]
        + len(report["errors"]),
    )
