"""Layers flow one way: webui -> vault -> keys, storage. Checked on the import graph."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "keys": {"vault", "webui", "storage"},
    "storage": {"vault", "webui", "keys"},
    "vault": {"webui"},
}


def imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_never_import_upper_ones(package: str) -> None:
    sources = list((ROOT / package).rglob("*.py"))
    assert sources
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in sources
        if imported_packages(path) & FORBIDDEN[package]
    }
    assert offenders == {}
