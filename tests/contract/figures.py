"""The fuzzing figures, kept by the test for the run's summary (see conftest.py)."""

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Figures:
    who: str
    operations: int
    cases: int
    server_errors: int
    contract_failures: int
    errors: int

    def line(self) -> str:
        return (
            f"{self.who}: {self.operations} operations, {self.cases} cases, "
            f"5xx seen: {self.server_errors}, contract failures: {self.contract_failures}, "
            f"errors: {self.errors}"
        )


FIGURES = pytest.StashKey[list[Figures]]()
