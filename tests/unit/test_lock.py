"""The hashed lock files install exactly what pyproject.toml pins (scripts/lock.sh makes them)."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^;\s]+)")


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: list[str]) -> dict[str, str]:
    found = {}
    for requirement in requirements:
        match = PIN.match(requirement)
        assert match, f"not pinned with ==: {requirement}"
        found[normal(match[1])] = match[2]
    return found


def locked(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {
        normal(m[1]): m[2]
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^;\s]+)[^\n]*\\$", text, re.M)
    }


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("app.lock", PROJECT["dependencies"]),
        ("test.lock", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]),
    ],
)
def test_the_lock_holds_every_pin_of_pyproject(lock: str, requirements: list[str]) -> None:
    in_lock = locked(lock)
    assert {name: in_lock.get(name) for name in pins(requirements)} == pins(requirements)


def test_every_locked_package_has_a_hash() -> None:
    for lock in ("app.lock", "test.lock"):
        entries = re.split(r"\n(?=\S)", (ROOT / "requirements" / lock).read_text().strip())
        for entry in entries:
            if entry.startswith("#"):
                continue
            assert "--hash=sha256:" in entry, entry.splitlines()[0]
