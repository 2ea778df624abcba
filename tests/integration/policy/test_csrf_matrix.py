"""The CSRF matrix, generated from the app's own route table: every state-changing page route,
posted by each kind of caller without its token (or with someone else's), answers 403 and
changes nothing in the database. A new page route is covered the day it is added."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.integration.policy.test_matrix import (
    World,
    build_world,
    credentials,
    request_for,
    route_table,
)
from tests.integration.policy.test_matrix import (
    settings as settings,  # the matrix is about rights: the embedded default is enough
)
from vault.models import Base, JournalHead
from vault.runtime import Runtime
from webui.app import create_app
from webui.security import SAFE_METHODS

CALLERS = ("anonymous", "owner", "counsellor_granted", "org_admin", "admin")
SAME_ORIGIN = {"Origin": "http://coffre.test", "Sec-Fetch-Site": "same-origin"}


def page_routes_that_change_state(runtime: Runtime) -> list[tuple[str, str]]:
    routes = route_table(create_app(runtime=runtime))
    return sorted(
        (method, path)
        for method, path in routes
        if method not in SAFE_METHODS and not path.startswith("/api/")
    )


def snapshot(world: World) -> dict[str, int]:
    """Rows in every table, and where the journal's chain ends."""
    with world.rt.sessions() as db:
        counts = {
            table.name: db.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }
        head = db.get(JournalHead, 1)
        counts["journal head"] = head.seq if head else 0
    return counts


def without_token(request: dict[str, object], token: str | None) -> dict[str, object]:
    data = dict(request.get("data") or {})  # type: ignore[call-overload]
    data.pop("csrf", None)
    if token is not None:
        data["csrf"] = token
    return {**request, "data": data}


def test_there_are_page_routes_to_protect(rt: Runtime) -> None:
    assert len(page_routes_that_change_state(rt)) >= 15


@pytest.mark.parametrize("token", [None, "a-token-of-another-form"])
def test_every_state_changing_page_refuses_a_missing_or_wrong_token(
    rt: Runtime, token: str | None
) -> None:
    world = build_world(rt)
    client = TestClient(
        create_app(runtime=rt), base_url="http://coffre.test", follow_redirects=False
    )
    failures = []
    for method, path in page_routes_that_change_state(rt):
        for caller in CALLERS:
            api_headers, csrf = credentials(world, caller, client)
            request = without_token(request_for(world, method, path, caller, csrf), token)
            before = snapshot(world)
            answer = client.request(headers={**api_headers, **SAME_ORIGIN}, **request)  # type: ignore[arg-type]
            after = snapshot(world)
            if answer.status_code != 403 or before != after:
                changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                failures.append(f"{method} {path} as {caller}: {answer.status_code} {changed}")
    assert failures == [], "\n".join(failures)


def test_a_right_token_from_another_site_is_refused(rt: Runtime) -> None:
    world = build_world(rt)
    client = TestClient(
        create_app(runtime=rt), base_url="http://coffre.test", follow_redirects=False
    )
    failures = []
    for method, path in page_routes_that_change_state(rt):
        api_headers, csrf = credentials(world, "owner", client)
        request = request_for(world, method, path, "owner", csrf)
        before = snapshot(world)
        answer = client.request(
            headers={
                **api_headers,
                "Origin": "https://evil.example",
                "Sec-Fetch-Site": "cross-site",
            },
            **request,
        )
        if answer.status_code != 403 or snapshot(world) != before:
            failures.append(f"{method} {path}: {answer.status_code}")
    assert failures == [], "\n".join(failures)
