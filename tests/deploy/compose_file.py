"""Reading docker-compose.yml, .env.example and the Dockerfile the way Docker would, without
Docker: YAML with anchors and merge keys, then Compose's variable interpolation, and a simple
reading of the Dockerfile's instructions."""

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

# $$ (a dollar sign), ${NAME}, ${NAME<op>word} with op one of :- - :? ? :+ +, or $NAME.
_VARIABLE = re.compile(
    r"\$(?:(?P<dollar>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<word>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(Exception):
    """Compose stops here: a variable written ${NAME:?message} is unset or empty."""


def _substitute(text: str, env: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        name = match["braced"] or match["bare"]
        value = env.get(name)
        op, word = match["op"] or "", match["word"] or ""
        # With a colon, an empty value counts as unset.
        present = bool(value) if op.startswith(":") else value is not None
        if op.endswith("?") and not present:
            raise MissingVariable(f"{name}: {word}")
        if op.endswith("-") and not present:
            return word
        if op.endswith("+"):
            return word if present else ""
        return value or ""

    return _VARIABLE.sub(one, text)


def interpolate(node: Any, env: Mapping[str, str]) -> Any:
    """Every string value with its variables replaced, as Compose does (keys are left alone)."""
    if isinstance(node, str):
        return _substitute(node, env)
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, env) for value in node]
    return node


def raw_compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def variables(node: Any) -> dict[str, set[str]]:
    """Each variable the file interpolates -> the operators it is written with ("" for none)."""
    found: dict[str, set[str]] = {}
    strings: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node)
    for text in strings:
        for match in _VARIABLE.finditer(text):
            if not match["dollar"]:
                found.setdefault(match["braced"] or match["bare"], set()).add(match["op"] or "")
    return found


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines, comments and blank lines skipped, quotes around a value removed."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        assert equals, f"not NAME=value: {line!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """["a", "b"] (JSON) or a b (shell words)."""
        if self.arguments.startswith("["):
            words = yaml.safe_load(self.arguments)
            assert isinstance(words, list)
            return [str(word) for word in words]
        return shlex.split(self.arguments)


def dockerfile_stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, continuation lines joined, one list per FROM."""
    lines: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends with a continued line"
    stages: list[list[Instruction]] = []
    for line in lines:
        keyword, _, arguments = line.strip().partition(" ")
        instruction = Instruction(keyword.upper(), " ".join(arguments.split()))
        if instruction.keyword == "FROM":
            stages.append([])
        assert stages, "an instruction before the first FROM"
        stages[-1].append(instruction)
    return stages
