"""A coffre as an operator runs it: `coffre admin create`, `coffre serve` on the embedded
default, then people of every role made through the API, each with a bearer token."""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyotp

from tests.ports import free_port
from tests.samples import pdf

BIN = Path(sys.executable).parent
# Not the examples' password (webui/api/schemas.py): an example must never sign anyone out.
PASSWORD = "une phrase que personne ne devine"


@dataclass(frozen=True)
class LiveCoffre:
    url: str
    # Role -> bearer token: beneficiary, counsellor (granted on the beneficiary's vault),
    # org_admin, admin.
    tokens: dict[str, str]


def environment(data_dir: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COFFRE_")}
    return {**clean, "COFFRE_DATA_DIR": str(data_dir)}


@contextmanager
def live_coffre(data_dir: Path, log: Path) -> Iterator[LiveCoffre]:
    env = environment(data_dir)
    secret = create_admin(env)
    port = free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(BIN / "coffre"), "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url)
            with httpx.Client(base_url=url, timeout=30) as client:
                yield LiveCoffre(url, people_of_every_role(client, secret))
        finally:
            server.terminate()
            server.wait(timeout=20)


def create_admin(env: dict[str, str]) -> str:
    """The platform administrator, as the operator makes one; the key of their second factor."""
    run = subprocess.run(
        [str(BIN / "coffre"), "admin", "create", "--login", "root.admin", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = re.search(r"key: (\S+)", run.stdout)
    assert found, run.stdout
    return found.group(1)


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "coffre serve did not answer"
        time.sleep(0.2)


def people_of_every_role(client: httpx.Client, admin_secret: str) -> dict[str, str]:
    admin = sign_in(client, "root.admin", totp=pyotp.TOTP(admin_secret).now())
    organisation = created(
        client.post("/api/v1/organisations", headers=bearer(admin), json={"name": "CCAS"})
    )["id"]
    counsellor_id = professional(client, admin, organisation, "claire.martin", "counsellor")
    professional(client, admin, organisation, "olivia.petit", "org_admin")
    created(
        client.post(
            "/api/v1/beneficiaries",
            json={"login": "amina.diallo", "display_name": "Amina Diallo", "password": PASSWORD},
        )
    )
    beneficiary = sign_in(client, "amina.diallo")
    created(
        client.post(
            "/api/v1/grants",
            headers=bearer(beneficiary),
            json={"counsellor_id": counsellor_id, "scopes": ["view", "upload", "manage"]},
        )
    )
    # A paper, for the operations on papers to find through the lists.
    created(
        client.post(
            "/api/v1/vaults/me/documents",
            headers=bearer(beneficiary),
            files={"file": ("bail.pdf", pdf(), "application/pdf")},
            data={"title": "Bail", "category": "housing"},
        )
    )
    return {
        "beneficiary": beneficiary,
        "counsellor": sign_in(client, "claire.martin"),
        "org_admin": sign_in(client, "olivia.petit"),
        "admin": admin,
    }


def professional(client: httpx.Client, admin: str, organisation: str, login: str, role: str) -> str:
    """Made by the admin with a password of theirs, which the professional replaces by their
    own (PASSWORD) at once, as the first sign-in asks."""
    given = f"{PASSWORD} given"
    body = {
        "login": login,
        "display_name": login,
        "password": given,
        "role": role,
        "current_password": PASSWORD,
    }
    answer = client.post(
        f"/api/v1/organisations/{organisation}/counsellors", headers=bearer(admin), json=body
    )
    person_id: str = created(answer)["id"]
    token = created(client.post("/api/v1/session", json={"login": login, "password": given}))
    chosen = client.post(
        "/api/v1/me/password",
        headers=bearer(token["token"]),
        json={"current_password": given, "new_password": PASSWORD},
    )
    assert chosen.status_code == 204, chosen.text
    return person_id


def sign_in(client: httpx.Client, login: str, totp: str | None = None) -> str:
    body = {"login": login, "password": PASSWORD, "totp": totp}
    token: str = created(client.post("/api/v1/session", json=body))["token"]
    return token


def created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
