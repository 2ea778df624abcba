"""Prints the fuzzing figures at the end of the run, where CI shows them."""

import pytest

from tests.contract.figures import FIGURES


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    runs = config.stash.get(FIGURES, [])
    if not runs:
        return
    terminalreporter.write_sep("-", "API contract: schemathesis against /openapi.json")
    for figures in runs:
        terminalreporter.write_line(figures.line())
    terminalreporter.write_line(
        f"in all: {sum(f.cases for f in runs)} cases, "
        f"5xx seen: {sum(f.server_errors for f in runs)}, "
        f"contract failures: {sum(f.contract_failures for f in runs)}"
    )
