"""docker-compose.yml works as it stands, checked without Docker: it follows the Compose
Specification, and its services, ports, variables and commands are what coffre reads."""

import json
import re
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema  # type: ignore[import-untyped]
import pytest
import typer
from typer.core import TyperGroup

from tests.deploy.compose_file import (
    ENV_EXAMPLE,
    MissingVariable,
    dockerfile_stages,
    interpolate,
    raw_compose,
    read_env_file,
    variables,
)
from vault.config import Settings
from webui.cli import app as coffre_cli
from webui.health import router as health_router

SCHEMA = json.loads((Path(__file__).parent / "compose-spec.json").read_text())

# Read by boto3 for coffre's S3 (and KMS) clients.
AWS_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN")
# Sixteen or more characters of a key's alphabet, letters and digits mixed: a real key.
LOOKS_GENERATED = re.compile(
    r"(?=[A-Za-z0-9+/=_]*[0-9])(?=[A-Za-z0-9+/=_]*[A-Za-z])[A-Za-z0-9+/=_]{16,}"
)


def filled_env() -> dict[str, str]:
    """.env.example as an operator fills it: every empty value given one."""
    values = read_env_file(ENV_EXAMPLE)
    for name, value in values.items():
        if not value:
            values[name] = f"filled-{name.lower().replace('_', '-')}"
    values["PUBLIC_URL"] = "https://coffre.example.org"
    return values


ENV = filled_env()
COMPOSE: dict[str, Any] = interpolate(raw_compose(), ENV)
SERVICES: dict[str, Any] = COMPOSE["services"]
COFFRE_SERVICES = {name for name, service in SERVICES.items() if "build" in service}


def environment(service: str) -> dict[str, str]:
    found = SERVICES[service].get("environment", {})
    assert isinstance(found, dict), "environment as a mapping"
    return {name: str(value) for name, value in found.items()}


def data_dir() -> PurePosixPath:
    for instruction in dockerfile_stages()[-1]:
        match = re.search(r"\bCOFFRE_DATA_DIR=(\S+)", instruction.arguments)
        if instruction.keyword == "ENV" and match:
            return PurePosixPath(match[1])
    raise AssertionError("the image sets no COFFRE_DATA_DIR")


def bucket_script() -> str:
    command = SERVICES["bucket"]["command"]
    assert isinstance(command, list)
    assert len(command) == 1
    return str(command[0])


def created_bucket() -> str:
    made = re.findall(r"^mc mb --ignore-existing local/([a-z0-9.-]+)$", bucket_script(), re.M)
    assert len(made) == 1, "the bucket step makes one bucket"
    return str(made[0])


def test_the_file_follows_the_compose_specification() -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(COMPOSE)


def test_interpolation_reads_as_compose_does() -> None:
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} $SET $$SET", env) == (
        "v d  d v $SET"
    )
    assert interpolate("${SET:+x}${EMPTY:+x}${EMPTY+y}", env) == "xy"
    assert interpolate("${EMPTY?m}", env) == ""
    for text in ("${EMPTY:?m}", "${UNSET?m}"):
        with pytest.raises(MissingVariable):
            interpolate(text, env)


def test_every_variable_is_in_env_example_and_every_one_there_is_used() -> None:
    assert set(variables(raw_compose())) == set(read_env_file(ENV_EXAMPLE))


def test_compose_stops_while_a_secret_is_missing() -> None:
    required = {name for name, ops in variables(raw_compose()).items() if ops == {":?"}}
    secrets = {name for name in read_env_file(ENV_EXAMPLE) if SECRET_NAME.search(name)}
    assert secrets <= required
    for name in sorted(required):
        with pytest.raises(MissingVariable, match=name):
            interpolate(raw_compose(), {**ENV, name: ""})


def test_env_example_holds_placeholders_only() -> None:
    example = read_env_file(ENV_EXAMPLE)
    assert {name: value for name, value in example.items() if SECRET_NAME.search(name)} == {
        name: "" for name in example if SECRET_NAME.search(name)
    }
    assert [value for value in example.values() if LOOKS_GENERATED.search(value)] == []
    # coffre reads a .env in its working folder: a checkout's .env must not set its settings.
    assert [name for name in example if name.startswith("COFFRE_")] == []
    text = ENV_EXAMPLE.read_text()
    for name in example:
        if SECRET_NAME.search(name):
            comment = text[: text.index(f"\n{name}=")].rsplit("\n\n", 1)[-1]
            assert "openssl rand" in comment, f"{name}: say how to make it"


def test_coffre_reads_every_variable_it_is_given() -> None:
    fields = set(Settings.model_fields)
    known = {f"COFFRE_{name.upper()}" for name in fields} | AWS_VARIABLES
    for service in sorted(COFFRE_SERVICES):
        given = environment(service)
        assert set(given) <= known, service
        settings = {
            name.removeprefix("COFFRE_").lower(): value
            for name, value in given.items()
            if name.startswith("COFFRE_") and name.removeprefix("COFFRE_").lower() in fields
        }
        # Validated as coffre would read them (nothing from this process's environment).
        Settings.model_validate(settings)


def test_the_app_runs_in_production_on_the_database_the_store_and_the_keyring() -> None:
    for service in ("coffre", "keyring"):
        assert environment(service)["COFFRE_ENV"] == "production"
    # The schema step gets the database and nothing else: no key to the bucket, no keyring.
    assert set(environment("migrate")) == {"COFFRE_DATABASE_URL"}
    assert "volumes" not in SERVICES["migrate"]
    given = environment("coffre")
    assert {
        "COFFRE_DATABASE_URL",
        "COFFRE_STORAGE_URL",
        "COFFRE_KEYRING",
        "COFFRE_PUBLIC_URL",
        "COFFRE_TRUSTED_PROXIES",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    } <= set(given)


def test_the_app_logs_in_json() -> None:
    # The JSON request line names the route's template; the text one, the path and the client.
    assert environment("coffre")["COFFRE_LOG_FORMAT"] == "json"


def test_the_database_url_is_the_db_service() -> None:
    db = environment("db")
    for service in ("coffre", "migrate"):
        url = urlsplit(environment(service)["COFFRE_DATABASE_URL"])
        assert url.scheme == "postgresql+psycopg"
        assert (url.hostname, url.port) == ("db", 5432)
        assert url.username == db["POSTGRES_USER"]
        assert url.password == db["POSTGRES_PASSWORD"]
        assert url.path == f"/{db['POSTGRES_DB']}"
    assert SERVICES["db"]["image"].startswith("postgres:")


def test_the_storage_url_is_the_bucket_the_one_shot_step_makes() -> None:
    url = urlsplit(environment("coffre")["COFFRE_STORAGE_URL"])
    assert (url.scheme, url.netloc) == ("s3", created_bucket())
    endpoint = urlsplit(parse_qs(url.query)["endpoint_url"][0])
    assert (endpoint.hostname, endpoint.port or 80) == ("minio", 9000)
    assert SERVICES["minio"]["image"].startswith("minio/minio:")
    assert SERVICES["minio"]["command"] == ["server", "/data"]  # its default port, 9000


def test_the_app_uses_the_scoped_key_never_minio_root() -> None:
    coffre, bucket, minio = environment("coffre"), environment("bucket"), environment("minio")
    assert coffre["AWS_ACCESS_KEY_ID"] == bucket["S3_ACCESS_KEY"] != minio["MINIO_ROOT_USER"]
    assert coffre["AWS_SECRET_ACCESS_KEY"] == bucket["S3_SECRET_KEY"]
    for service in COFFRE_SERVICES:
        assert minio["MINIO_ROOT_PASSWORD"] not in environment(service).values()
    script = bucket_script()
    assert 'mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"' in (
        script
    )
    assert 'mc admin user add local "$S3_ACCESS_KEY" "$S3_SECRET_KEY"' in script
    (mount,) = SERVICES["bucket"]["configs"]
    policy = re.findall(r"^mc admin policy create local (\S+) (\S+)$", script, re.M)
    assert policy == [(policy[0][0], mount["target"])]
    assert f'mc admin policy attach local {policy[0][0]} --user "$S3_ACCESS_KEY"' in script


def test_the_bucket_script_is_valid_posix_shell() -> None:
    assert SERVICES["bucket"]["entrypoint"] == ["/bin/sh", "-euc"]
    subprocess.run(["sh", "-n", "-c", bucket_script()], check=True)


def test_the_key_is_allowed_on_its_bucket_only() -> None:
    (mount,) = SERVICES["bucket"]["configs"]
    policy = json.loads(COMPOSE["configs"][mount["source"]]["content"])
    bucket = created_bucket()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert set(statement["Resource"]) <= {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}
        assert all(re.fullmatch(r"s3:[A-Za-z]+", action) for action in statement["Action"])
    allowed = {action for statement in policy["Statement"] for action in statement["Action"]}
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"} <= allowed
    assert not allowed & {"s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketPolicy"}


def test_the_keyring_is_mounted_read_only_away_from_the_data() -> None:
    keyring = urlsplit(environment("coffre")["COFFRE_KEYRING"])
    assert keyring.scheme == "file"
    folder = PurePosixPath(keyring.path).parent
    (mount,) = SERVICES["coffre"]["volumes"]
    assert mount["type"] == "bind"
    assert mount["source"] == ENV["KEYRING_DIR"]
    assert PurePosixPath(mount["target"]) == folder
    assert mount["read_only"] is True
    # A missing folder is an error, not an empty one made by Docker and owned by root.
    assert mount["bind"]["create_host_path"] is False
    assert not folder.is_relative_to(data_dir())
    # `keyring`, run by hand to make or rotate it, is the only service that may write it.
    keys_service = SERVICES["keyring"]
    assert keys_service["profiles"] == ["keys"]
    assert [m["target"] for m in keys_service["volumes"] if not m.get("read_only")] == [
        mount["target"]
    ]
    assert environment("keyring")["COFFRE_KEYRING"] == environment("coffre")["COFFRE_KEYRING"]


def _command(args: list[str]) -> tuple[tuple[str, ...], Any, list[str]]:
    """The coffre command these words name, and the words left for its options."""
    assert args[0] == "coffre", args
    command = typer.main.get_command(coffre_cli)
    path: list[str] = []
    rest = args[1:]
    while isinstance(command, TyperGroup) and rest and rest[0] in command.commands:
        path.append(rest[0])
        command, rest = command.commands[rest[0]], rest[1:]
    return tuple(path), command, rest


def parse_coffre_command(args: list[str]) -> dict[str, Any]:
    """The options of a real coffre command (Typer parses them, nothing runs)."""
    path, command, rest = _command(args)
    assert not isinstance(command, TyperGroup), f"not a command: {args}"
    with command.make_context(" ".join(args[: len(path) + 1]), list(rest)) as context:
        return dict(context.params)


def test_every_command_is_a_coffre_command() -> None:
    (final,) = [i for i in dockerfile_stages()[-1] if i.keyword == "CMD"]
    commands = [final.exec_form()] + [SERVICES[name]["command"] for name in COFFRE_SERVICES]
    for command in commands:
        parse_coffre_command(command)
    assert SERVICES["migrate"]["command"] == ["coffre", "db", "upgrade"]


def test_a_command_coffre_lacks_is_refused() -> None:
    with pytest.raises(AssertionError, match="not a command"):
        parse_coffre_command(["coffre", "keys", "nothing-such"])
    with pytest.raises(Exception, match="No such option"):
        parse_coffre_command(["coffre", "serve", "--no-such-option"])


def test_the_ports_are_the_port_coffre_serves_on() -> None:
    service = SERVICES["coffre"]
    params = parse_coffre_command(service["command"])
    assert params["host"] == "0.0.0.0"  # noqa: S104 (inside the container, for its port)
    port = params["port"]
    (published,) = service["ports"]
    host_ip, _, container_port = published.split(":")
    assert host_ip == "127.0.0.1", "plain HTTP, for a reverse proxy on this machine"
    assert int(container_port) == port
    exposed = [i.arguments for i in dockerfile_stages()[-1] if i.keyword == "EXPOSE"]
    assert exposed == [str(port)]
    # Nothing else is published: PostgreSQL and MinIO are reached inside the project network.
    assert [name for name, s in SERVICES.items() if "ports" in s] == ["coffre"]
    probe = " ".join(service["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/readyz" in probe


def test_each_long_running_service_has_a_health_check() -> None:
    assert SERVICES["db"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert SERVICES["minio"]["healthcheck"]["test"] == ["CMD", "mc", "ready", "local"]
    # The image has no curl: the probe is Python's own.
    assert SERVICES["coffre"]["healthcheck"]["test"][:3] == ["CMD", "python", "-c"]
    assert "/readyz" in {route.path for route in health_router.routes}  # type: ignore[attr-defined]


def test_coffre_starts_after_the_schema_and_the_bucket() -> None:
    assert SERVICES["coffre"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "minio": {"condition": "service_healthy"},
        "bucket": {"condition": "service_completed_successfully"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    for one_shot in ("migrate", "bucket"):
        assert SERVICES[one_shot]["restart"] == "no"
    for name, service in SERVICES.items():
        for needed, how in service.get("depends_on", {}).items():
            if how["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[needed], f"{name} waits on {needed}"


def test_the_data_lives_in_named_volumes() -> None:
    assert set(COMPOSE["volumes"]) == {"db", "blobs"}
    assert SERVICES["db"]["volumes"] == ["db:/var/lib/postgresql/data"]
    assert SERVICES["minio"]["volumes"] == ["blobs:/data"]


def test_images_are_pinned_to_a_release() -> None:
    for name, service in SERVICES.items():
        if name in COFFRE_SERVICES:
            continue
        tag = service["image"].partition(":")[2]
        assert re.match(r"(\d+\.\d+|RELEASE\.\d{4}-)", tag), f"{name}: {service['image']}"
