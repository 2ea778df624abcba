"""The corpus's figures, filled as it runs and printed at the end of the test run (see
conftest.py), so the CI log shows them."""

from dataclasses import dataclass


@dataclass
class Tally:
    back_end: str
    cases: int = 0
    refused: int = 0  # answered with the 4xx expected
    harmless: int = 0  # a fair read answered harmlessly (a login suggestion...)
    server_errors: int = 0
    changed: int = 0  # rows or blob objects changed beyond what a refusal writes by design
    unescaped: int = 0
    journaled: int = 0  # refusals journaled by design

    def line(self) -> str:
        return (
            f"hostile corpus ({self.back_end}): {self.cases} cases, {self.refused} refused with "
            f"the expected 4xx, {self.harmless} answered harmlessly, {self.server_errors} 5xx, "
            f"{self.changed} rows or objects changed, {self.unescaped} echoed unescaped "
            f"({self.journaled} refusals journaled by design)"
        )


TALLIES: list[Tally] = []
