"""SECURITY.md names the tests that show each claim: every one it names must exist."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`|`::(\w+)`")


def names_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def test_every_test_security_md_names_exists() -> None:
    missing = []
    current: Path | None = None
    for match in REFERENCE.finditer((ROOT / "SECURITY.md").read_text()):
        if match[1]:
            current = ROOT / match[1]
            name = match[2]
        else:
            name = match[3]
        assert current is not None, f"::{name} names no file before it"
        if not current.exists() or name not in names_in(current):
            missing.append(f"{current.relative_to(ROOT)}::{name}")
    assert missing == []
