"""COFFRE_ENV=production: the settings it refuses to start with, and `coffre check`."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from keys.providers.local import LocalKeyring
from vault.config import Settings, get_settings
from vault.errors import CannotStart
from vault.production import findings
from vault.wiring import build_runtime
from webui import cli

FIT = {
    "allow_signup": True,
    "operator_contact": "coffre@ccas-lyon.example",
    "public_url": "https://coffre.ccas-lyon.example",
    "trusted_proxies": "10.0.0.1",
}


def fit_settings(tmp_path: Path, **changes: Any) -> Settings:
    """Settings production accepts: the keyring (600) apart from the data, then `changes`."""
    keyring = tmp_path / "keys" / "keyring.json"
    LocalKeyring.open(keyring)  # made at 600 the first time
    values = {"data_dir": tmp_path / "data", "keyring": keyring.as_uri(), **FIT, **changes}
    return Settings(_env_file=None, **values)


def test_fit_settings_have_no_finding(tmp_path: Path) -> None:
    assert findings(fit_settings(tmp_path)) == []
    assert findings(fit_settings(tmp_path, allow_signup=False, operator_contact="")) == []
    assert findings(fit_settings(tmp_path, keyring="kms://key-id?region=eu-west-3")) == []


def test_a_keyring_inside_the_data_folder(tmp_path: Path) -> None:
    default = fit_settings(tmp_path, keyring=None)  # <data dir>/keyring.json
    assert [line.split(":")[0] for line in findings(default)] == [
        f"The keyring {(tmp_path / 'data' / 'keyring.json').resolve()} is inside the data "
        f"folder {tmp_path / 'data'}"
    ]
    inside = fit_settings(tmp_path, keyring=(tmp_path / "data" / "keys" / "k.json").as_uri())
    assert "inside the data folder" in findings(inside)[0]


def test_a_keyring_others_can_read(tmp_path: Path) -> None:
    settings = fit_settings(tmp_path)
    keyring = tmp_path / "keys" / "keyring.json"
    keyring.chmod(0o640)
    assert findings(settings) == [
        f"The keyring {keyring} is open to other users of this machine: run chmod 600 {keyring}."
    ]


def test_sign_up_without_anyone_to_reach(tmp_path: Path) -> None:
    for contact in ("", "  \n"):
        (finding,) = findings(fit_settings(tmp_path, operator_contact=contact))
        assert "COFFRE_OPERATOR_CONTACT" in finding
        assert "COFFRE_ALLOW_SIGNUP=false" in finding


def test_no_https_public_address(tmp_path: Path) -> None:
    for address in ("", "http://coffre.ccas-lyon.example"):
        (finding,) = findings(fit_settings(tmp_path, public_url=address))
        assert finding.startswith("COFFRE_PUBLIC_URL is not an https:// address")


def test_behind_a_proxy_that_is_not_trusted(tmp_path: Path) -> None:
    (finding,) = findings(fit_settings(tmp_path, trusted_proxies=""))
    assert "COFFRE_TRUSTED_PROXIES is empty" in finding


def test_production_refuses_to_start_before_making_anything(tmp_path: Path) -> None:
    settings = fit_settings(tmp_path, env="production", operator_contact="")
    with pytest.raises(CannotStart) as refusal:
        build_runtime(settings)
    assert refusal.value.problems == findings(settings)
    assert not settings.data_dir.exists()


def test_development_starts_whatever_the_findings(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    assert findings(settings)
    build_runtime(settings).engine.dispose()


Run = Callable[..., Result]


@pytest.fixture
def coffre(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """`coffre ARGS` in this process, with only the COFFRE_* variables given."""
    monkeypatch.chdir(tmp_path)  # no .env file of the developer's

    def run(env: dict[str, str], *args: str) -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli.app, list(args), env=env)
        finally:
            get_settings.cache_clear()

    return run


def as_env(settings: Settings) -> dict[str, str]:
    return {
        "COFFRE_DATA_DIR": str(settings.data_dir),
        "COFFRE_KEYRING": settings.resolved_keyring(),
        "COFFRE_ALLOW_SIGNUP": str(settings.allow_signup).lower(),
        "COFFRE_OPERATOR_CONTACT": settings.operator_contact,
        "COFFRE_PUBLIC_URL": settings.public_url,
        "COFFRE_TRUSTED_PROXIES": settings.trusted_proxies,
    }


def test_check_prints_each_problem_on_one_line(tmp_path: Path, coffre: Run) -> None:
    defaults = Settings(_env_file=None, data_dir=tmp_path / "data")
    result = coffre({"COFFRE_DATA_DIR": str(tmp_path / "data")}, "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == findings(defaults)
    assert len(findings(defaults)) == 3  # keyring, sign-up, address


def test_check_says_ok(tmp_path: Path, coffre: Run) -> None:
    env = as_env(fit_settings(tmp_path))
    for mode in ("development", "production"):
        result = coffre({**env, "COFFRE_ENV": mode}, "check")
        assert (result.exit_code, result.stdout) == (0, "ok\n")


def test_in_production_commands_refuse_but_db_and_check_run(tmp_path: Path, coffre: Run) -> None:
    env = {"COFFRE_DATA_DIR": str(tmp_path / "data"), "COFFRE_ENV": "production"}
    expected = findings(Settings(_env_file=None, data_dir=tmp_path / "data"))
    refused = coffre(env, "keys", "status")
    assert refused.exit_code == 1
    assert isinstance(refused.exception, SystemExit)  # no traceback
    assert refused.stderr.splitlines() == expected
    assert coffre(env, "db", "upgrade").exit_code == 0
    assert coffre(env, "db", "current").exit_code == 0
    assert coffre(env, "check").stdout.splitlines() == expected
    fit = {**as_env(fit_settings(tmp_path)), "COFFRE_ENV": "production"}
    started = coffre(fit, "keys", "status")
    assert started.exit_code == 0, started.output


@pytest.mark.parametrize("command", [["check"], ["db", "upgrade"], ["serve"], ["storage", "sweep"]])
def test_a_setting_that_cannot_be_stops_every_command_in_one_line(
    tmp_path: Path, coffre: Run, command: list[str]
) -> None:
    """A bin of -30 days would erase at the next sweep a paper binned a minute before; no
    process at all would answer with COFFRE_MAX_REQUESTS=0. Nothing is opened or written."""
    data = tmp_path / "data"
    env = {"COFFRE_DATA_DIR": str(data), "COFFRE_BIN_DAYS": "-30", "COFFRE_MAX_REQUESTS": "0"}
    result = coffre(env, *command)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "COFFRE_MAX_REQUESTS: Input should be greater than or equal to 1.",
        "COFFRE_BIN_DAYS: Input should be greater than or equal to 1.",
    ]
    assert "-30" not in result.output
    assert not data.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--port", "80000"],
        ["serve", "--port", "-5"],
        ["keys", "rotate-master", "--batch", "0"],
        ["keys", "reencrypt", "--all", "--batch", "0"],
    ],
)
def test_numbers_out_of_range_are_refused_before_anything(
    tmp_path: Path, coffre: Run, command: list[str]
) -> None:
    """A port past 65535 was taken modulo 65536 (80000 listened on 14464); a batch of 0 said
    « done » having re-wrapped nothing."""
    data = tmp_path / "data"
    result = coffre({"COFFRE_DATA_DIR": str(data)}, *command)
    assert result.exit_code == 2
    assert "Invalid value" in result.output
    assert not data.exists()
