"""Sends a case as its caller would, and judges the answer: the status expected, never a 5xx,
our error model (JSON for the API, a page for pages), no hostile text echoed unescaped, and
nothing changed but what a refusal writes by design."""

import base64
import re
from collections.abc import Sequence
from typing import Any

import httpx2
from fastapi.testclient import TestClient

from .cases import CSRF_MARK, NO_JSON, Auth, Caller, Case, Csrf
from .tally import Tally
from .world import (
    FORM_COOKIE,
    FORM_TOKEN,
    SESSION_COOKIE,
    World,
    count_objects,
    count_rows,
    rows_changed,
)

HOST = "coffre.test"
SAME_ORIGIN = {"Origin": f"http://{HOST}", "Sec-Fetch-Site": "same-origin"}
CROSS_SITE = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}

# Markup that must never come back as it was sent (escaped, it cannot run).
RAW_MARKUP = ("<script>alert(", "<img src=x onerror", "<svg/onload", ' onload="alert(')
# A link, form or resource whose address would run script.
SCRIPT_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


def _csrf(world: World, case: Case) -> str | None:
    own = FORM_TOKEN if case.caller == Caller.NOBODY else world.credentials[case.caller].csrf
    return {
        Csrf.OWN: own,
        Csrf.CROSS_SITE: own,
        Csrf.NONE: None,
        Csrf.OTHER_SESSION: world.bruno_csrf,
        Csrf.FORGED: "Zm9yZ2VkLWNzcmYtdG9rZW4",
    }[case.csrf]


def _authorization(case: Case, token: str | None, login: str) -> dict[str, str]:
    if case.auth == Auth.BASIC:
        pair = base64.b64encode(f"{login}:un mot de passe".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    if case.auth == Auth.EMPTY_BEARER:
        return {"Authorization": "Bearer "}
    return {"Authorization": f"Bearer {token}"} if token else {}


def send(client: TestClient, world: World, case: Case, token: str | None) -> httpx2.Response:
    client.cookies.clear()
    headers = dict(case.headers)
    data: dict[str, Any] | None = dict(case.data) if case.data is not None else None
    if case.is_api:
        login = world.people[case.caller].login if case.caller != Caller.NOBODY else "x"
        headers |= _authorization(case, token, login)
    else:
        client.cookies.set(FORM_COOKIE, FORM_TOKEN, domain=HOST)
        if token:
            client.cookies.set(SESSION_COOKIE, token, domain=HOST)
        headers = {**(CROSS_SITE if case.csrf == Csrf.CROSS_SITE else SAME_ORIGIN), **headers}
        csrf = _csrf(world, case)
        if data is not None and csrf is not None:
            # First: the upload form's token is checked before its file is read.
            data = {"csrf": csrf, **data}
    request: dict[str, Any] = {"headers": headers}
    if case.json is not NO_JSON:
        request["json"] = case.json
    if case.content is not None:
        # A raw form body (bad UTF-8...) carries the page's token where it marks it.
        request["content"] = case.content.replace(CSRF_MARK, (_csrf(world, case) or "").encode())
    if data is not None:
        request["data"] = data
    if case.files:
        request["files"] = list(case.files)
    if case.params is not None:
        request["params"] = case.params
    return client.request(case.method, case.url, **request)


def judge(case: Case, answer: httpx2.Response) -> list[str]:
    """What is wrong with the answer, in words."""
    problems = []
    status = answer.status_code
    if status != case.expected:
        problems.append(f"expected {case.expected}, got {status}: {answer.text[:300]!r}")
    content_type = answer.headers.get("content-type", "")
    body = answer.text
    if case.is_api:
        if not content_type.startswith("application/json"):
            problems.append(f"API answer of type {content_type!r}")
        elif status >= 400:
            problems += _error_model(answer.json())
            if case.field is not None and answer.json().get("field") != case.field:
                problems.append(f"refused for {answer.json().get('field')!r}, not {case.field!r}")
        elif case.check is not None and not case.check(answer.json()):
            problems.append(f"answer not harmless: {body[:300]!r}")
    else:
        if not content_type.startswith("text/html") or "</html>" not in body:
            problems.append(f"a page route answered {content_type!r}: {body[:200]!r}")
        elif status >= 400 and not re.search(r"<h1[^>]*>\s*\S", body):
            problems.append("an error page without a heading")
        elif case.field is not None and not re.search(rf'href="#[^"]*{case.field}"', body):
            problems.append(f"the error summary does not point at {case.field!r}")
        elif status < 400 and case.check is not None and not case.check(body):
            problems.append("page not as expected")
    if "html" in content_type:
        problems += unescaped(body)
    return problems


# The framework's own words: not a message a person of ours can read.
FRAMEWORK_WORDS = re.compile(r"^(There was an error|Not Found|Method Not Allowed|Field required)")


def _error_model(body: Any) -> list[str]:
    if not (
        isinstance(body, dict)
        and set(body) == {"detail", "field"}
        and isinstance(body["detail"], str)
        and body["detail"].strip()
        and (body["field"] is None or isinstance(body["field"], str))
    ):
        return [f"not our error model: {str(body)[:300]!r}"]
    if FRAMEWORK_WORDS.match(body["detail"]):
        return [f"the framework's words, not ours: {body['detail']!r}"]
    return []


def unescaped(html: str) -> list[str]:
    found = [f"echoed unescaped: {marker!r}" for marker in RAW_MARKUP if marker in html]
    found += [f"script address: {m.group(0)!r}" for m in SCRIPT_URL.finditer(html)]
    return found


def run(
    client: TestClient, world: World, cases: Sequence[Case], tally: Tally, objects_every: int = 1
) -> list[str]:
    """Every case in turn, its rows counted before and after; the blob store's objects are
    counted around every `objects_every` cases (a listing of an S3 bucket takes a while).
    Returns the failures."""
    failures = []
    objects = count_objects(world.rt)
    for start in range(0, len(cases), objects_every):
        group = cases[start : start + objects_every]
        for case in group:
            token = world.token(case.caller, case.auth, page=not case.is_api)
            before = count_rows(world.rt)
            answer = send(client, world, case, token)
            after = count_rows(world.rt)
            changed = rows_changed(before, after, case.writes)
            problems = judge(case, answer)
            if changed:
                problems.append(f"changed: {changed}")
            journaled = before["journal head"] != after["journal head"]
            _count(tally, case, answer, problems, changed, journaled=journaled)
            failures += [
                f"{case.name} [{case.caller}, {case.method} {case.url[:80]}]: {p}" for p in problems
            ]
        now = count_objects(world.rt)
        if now != objects:
            tally.changed += 1
            names = ", ".join(case.name for case in group)
            failures.append(f"blob objects {objects} -> {now} during: {names}")
            objects = now
    return failures


def _count(
    tally: Tally,
    case: Case,
    answer: httpx2.Response,
    problems: list[str],
    changed: dict[str, tuple[int, int]],
    *,
    journaled: bool,
) -> None:
    tally.cases += 1
    status = answer.status_code
    if status == case.expected:
        if 400 <= status < 500:
            tally.refused += 1
        else:
            tally.harmless += 1
    tally.server_errors += status >= 500
    tally.changed += bool(changed)
    tally.unescaped += any(p.startswith(("echoed", "script address")) for p in problems)
    tally.journaled += journaled and "journal" in case.writes
