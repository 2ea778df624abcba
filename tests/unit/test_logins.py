"""Logins suggested from a name in any script: readable plain letters, or two French words
when nothing readable is left."""

import re

import pytest

from vault.accounts.logins import MAX_BASE, WORDS, login_base

READABLE = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*$")


@pytest.mark.parametrize(
    ("name", "login"),
    [
        ("Amina Diallo-Ségué", "amina.diallo.segue"),
        ("José Müller", "jose.muller"),
        ("Ирина Петрова", "irina.petrova"),
        ("ሰላም ደስታ", "selam.desta"),
        ("أمينة بن علي", "mynh.bn.ly"),
        ("Nguyễn Thị Minh", "nguyen.thi.minh"),
        ("王小明", "wangxiaoming"),
        ("Straße 12", "strasse.12"),
        ("Awa 🙂 Ndiaye", "awa.ndiaye"),
        ("  Zoë   d\u2019Arc  ", "zoe.d.arc"),
    ],
)
def test_a_name_in_any_script_gives_a_readable_login(name: str, login: str) -> None:
    assert login_base(name) == login


@pytest.mark.parametrize("name", ["🙂🙂", "!!! ???", "   ", "🙂 — ❤️", ""])
def test_nothing_readable_gives_two_words(name: str) -> None:
    login = login_base(name)
    assert READABLE.match(login)
    first, second = login.split(".")
    assert first in WORDS
    assert second in WORDS
    assert first != second


def test_the_word_list_is_plain_and_readable() -> None:
    assert len(WORDS) >= 30
    assert len(set(WORDS)) == len(WORDS)
    assert all(re.fullmatch(r"[a-z]{3,10}", word) for word in WORDS)


def test_the_pairs_are_drawn_at_random() -> None:
    assert len({login_base("🙂") for _ in range(20)}) > 1


def test_short_and_long_names_keep_the_limits() -> None:
    assert login_base("Li") == "li.coffre"
    assert login_base("Ли") == "li.coffre"
    long = login_base("Ирина " * 30)
    assert len(long) <= MAX_BASE
    assert READABLE.match(long)
