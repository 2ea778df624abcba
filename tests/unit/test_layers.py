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
# vault/ grouped by feature; the modules left at its top are the platform they share.
FEATURES = ["vault/accounts", "vault/consent", "vault/documents", "vault/keylife", "vault/audit"]
# Only these build clients of a cloud service: the rest is handed what they build.
CLOUD_CLIENTS = {"boto3", "botocore", "mypy_boto3_s3"}
MAY_BUILD_CLIENTS = ["vault/wiring.py", "storage", "keys/providers"]


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def imported_packages(path: Path) -> set[str]:
    return {module.split(".")[0] for module in imported_modules(path)}


def sources(place: str) -> list[Path]:
    where = ROOT / place
    found = [where] if where.is_file() else list(where.rglob("*.py"))
    assert found, place
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_never_import_upper_ones(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in sources(package)
        if imported_packages(path) & FORBIDDEN[package]
    }
    assert offenders == {}


@pytest.mark.parametrize("feature", FEATURES)
def test_a_feature_of_vault_never_imports_the_pages_nor_the_wiring(feature: str) -> None:
    """A feature is handed a Runtime (vault/runtime.py); it never builds one."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            module
            for module in imported_modules(path)
            if module.split(".")[0] == "webui" or module == "vault.wiring"
        )
        for path in sources(feature)
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_only_the_wiring_and_the_providers_build_cloud_clients() -> None:
    allowed = {path for place in MAY_BUILD_CLIENTS for path in sources(place)}
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & CLOUD_CLIENTS)
        for package in ("vault", "webui", "keys", "storage")
        for path in sources(package)
        if path not in allowed and imported_packages(path) & CLOUD_CLIENTS
    }
    assert offenders == {}
