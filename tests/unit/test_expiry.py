"""The expiry rule: a paper is "expired" the day after its date, "soon" within the window,
"ok" beyond it, and has no expiry without a date. Papers needing attention come first."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from vault.documents.expiry import Expiry, ExpiryRule, expiry_of

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-365, Expiry.EXPIRED),
        (-1, Expiry.EXPIRED),
        (0, Expiry.SOON),
        (1, Expiry.SOON),
        (60, Expiry.SOON),
        (61, Expiry.OK),
        (4000, Expiry.OK),
    ],
)
def test_expiry_of_a_date(days: int, expected: Expiry) -> None:
    assert expiry_of(TODAY + timedelta(days=days), today=TODAY, soon_days=60) == expected


def test_no_date_no_expiry() -> None:
    assert expiry_of(None, today=TODAY, soon_days=60) is None


def test_the_window_is_a_setting() -> None:
    in_ten = TODAY + timedelta(days=10)
    assert expiry_of(in_ten, today=TODAY, soon_days=7) == Expiry.OK
    assert ExpiryRule(today=TODAY, soon_days=10).of(in_ten) == Expiry.SOON


@dataclass(frozen=True)
class Paper:
    name: str
    expires_on: date | None


def test_papers_needing_attention_come_first_then_the_others_in_their_order() -> None:
    papers = [
        Paper("new", None),
        Paper("later", TODAY + timedelta(days=400)),
        Paper("soon", TODAY + timedelta(days=20)),
        Paper("old", None),
        Paper("expired", TODAY - timedelta(days=3)),
        Paper("sooner", TODAY + timedelta(days=5)),
    ]
    ordered = ExpiryRule(today=TODAY, soon_days=60).attention_first(papers)
    assert [p.name for p in ordered] == ["expired", "sooner", "soon", "new", "later", "old"]
