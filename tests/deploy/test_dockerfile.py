"""The Dockerfile, read simply (no hadolint here): pinned bases, hashed wheels from the lock,
a non-root user with a fixed uid, no secret, the coffre command pyproject.toml declares, and a
font for the marked copy."""

import re
import shlex
import tomllib

from tests.deploy.compose_file import (
    DOCKERIGNORE,
    ROOT,
    Instruction,
    dockerfile_stages,
)
from vault.documents.watermark import _FONTS

STAGES = dockerfile_stages()
FINAL = STAGES[-1]
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL", re.I)
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# The font files a Debian 12 (bookworm) package installs, from `dpkg -L`: no Docker engine
# runs here to look inside the image.
FONT_PACKAGES = {
    "fonts-dejavu-core": {
        f"/usr/share/fonts/truetype/dejavu/DejaVu{face}.ttf"
        for face in ("Sans", "Sans-Bold", "SansMono", "SansMono-Bold", "Serif", "Serif-Bold")
    },
}


def instructions(keyword: str, stage: list[Instruction] | None = None) -> list[Instruction]:
    within = [i for s in STAGES for i in s] if stage is None else stage
    return [i for i in within if i.keyword == keyword]


def stage_names() -> set[str]:
    names = set()
    for stage in STAGES:
        words = stage[0].arguments.split()
        if len(words) == 3 and words[1].upper() == "AS":
            names.add(words[2])
    return names


def copied_from_context() -> list[tuple[str, str]]:
    """(source, destination) of every COPY from the build context (not from a stage)."""
    copies: list[tuple[str, str]] = []
    for instruction in instructions("COPY"):
        words = instruction.arguments.split()
        if any(word.startswith("--from=") for word in words):
            continue
        *sources, destination = [word for word in words if not word.startswith("--")]
        copies.extend((source, destination) for source in sources)
    return copies


def test_base_images_are_pinned_to_a_patch_release() -> None:
    for stage in STAGES:
        image = stage[0].arguments.split()[0]
        if image in stage_names():
            continue
        tag = image.partition(":")[2]
        assert re.match(r"\d+\.\d+\.\d+-", tag), f"{image}: pin x.y.z and the distribution"


def test_dependencies_are_installed_from_the_hashed_lock_as_wheels_only() -> None:
    (lock,) = [dest for src, dest in copied_from_context() if src == "requirements/app.lock"]
    installs = [
        i.arguments for i in instructions("RUN") if re.search(r"\bpip install\b", i.arguments)
    ]
    assert len(installs) == 1
    assert f"--require-hashes --only-binary=:all: --no-deps -r {lock}" in installs[0]


def test_the_image_holds_exactly_the_packages_pyproject_declares() -> None:
    declared = {
        name.rstrip("*") for name in PROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = {src for src, dest in copied_from_context() if dest.endswith(f"site-packages/{src}")}
    assert copied == declared


def test_the_coffre_command_is_the_one_pyproject_declares() -> None:
    module, _, function = PROJECT["project"]["scripts"]["coffre"].partition(":")
    launchers = [
        i.arguments for i in instructions("RUN") if "/opt/coffre/bin/coffre" in i.arguments
    ]
    assert len(launchers) == 1
    assert f"from {module} import {function}" in launchers[0]
    assert f"sys.exit({function}())" in launchers[0]
    (command,) = instructions("CMD", FINAL)
    assert command.exec_form()[:4] == ["coffre", "serve", "--host", "0.0.0.0"]  # noqa: S104


def test_the_container_runs_as_a_fixed_non_root_uid() -> None:
    users = instructions("USER", FINAL)
    assert users, "the final stage sets USER"
    uid, _, gid = users[-1].arguments.partition(":")
    assert uid.isdigit()
    assert int(uid) != 0
    assert gid.isdigit()
    assert int(gid) != 0
    made = " ".join(i.arguments for i in instructions("RUN", FINAL))
    assert f"useradd --uid {uid} --gid {gid}" in made
    assert f"groupadd --gid {gid}" in made
    # Its data folder is its own, for it alone.
    assert f"install -d -o {uid} -g {gid} -m 0700 /var/lib/coffre" in made


def test_no_secret_goes_into_the_image() -> None:
    assert instructions("ADD") == []
    for source, _ in copied_from_context():
        assert source in {"requirements/app.lock", "vault", "keys", "storage", "webui"}, source
    for keyword in ("ENV", "ARG", "LABEL"):
        for instruction in instructions(keyword):
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", instruction.arguments)
            assert not [name for name in names if SECRET_WORDS.search(name)], instruction


def test_the_build_context_holds_only_what_is_copied() -> None:
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "everything is left out first"
    let_in = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert let_in == {source for source, _ in copied_from_context()}


def test_the_image_exposes_the_port_and_has_no_root_step_after_user() -> None:
    assert [i.arguments for i in instructions("EXPOSE", FINAL)] == ["8000"]
    keywords = [i.keyword for i in FINAL]
    after_user = keywords[keywords.index("USER") :]
    assert "RUN" not in after_user
    assert "COPY" not in after_user


def apt_installs(stage: list[Instruction]) -> list[list[str]]:
    """The words of each `apt-get install` in the stage's RUN instructions."""
    found = []
    for instruction in instructions("RUN", stage):
        for command in instruction.arguments.split("&&"):
            words = shlex.split(command)
            if words[:2] == ["apt-get", "install"]:
                found.append(words[2:])
    return found


def test_the_image_has_a_font_the_marked_copy_finds() -> None:
    installs = apt_installs(FINAL)
    assert installs, "the final stage installs a font"
    packages = {word for words in installs for word in words if not word.startswith("-")}
    files = {path for package in packages for path in FONT_PACKAGES.get(package, ())}
    assert files & set(_FONTS), f"none of {sorted(packages)} puts a font where watermark looks"
    for words in installs:
        assert "--no-install-recommends" in words
    # The package lists are removed in the same step, or they stay in the image's layer.
    (step,) = [i.arguments for i in instructions("RUN", FINAL) if "apt-get install" in i.arguments]
    assert step.startswith("apt-get update &&")
    assert step.endswith("&& rm -rf /var/lib/apt/lists/*")
