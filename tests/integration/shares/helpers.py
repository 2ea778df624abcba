"""Sending a copy through the API, and opening its link as the office that receives it."""

from typing import Any

from fastapi.testclient import TestClient

from vault.db import transaction
from vault.documents.shares import NewShare, ShareTerms, plan_share, record_share, store_copy
from vault.models import Person
from vault.runtime import Runtime

SAME_ORIGIN = {"Origin": "http://coffre.test", "Sec-Fetch-Site": "same-origin"}


def make_share(client: TestClient, who: dict[str, Any], document_id: str, **fields: Any) -> Any:
    body = {
        "recipient": "CAF du Loiret",
        "purpose": "Dossier RSA",
        "expires_in_hours": 48,
        **fields,
    }
    return client.post(f"/api/v1/documents/{document_id}/shares", headers=who["headers"], json=body)


def token_of(created: Any) -> str:
    url: str = created.json()["url"]
    return url.rsplit("/s/", 1)[1]


def visitor(client: TestClient) -> TestClient:
    """The office: no account, no session; the form cookie its first visit gives it."""
    client.cookies.clear()
    return client


def download(client: TestClient, token: str, code: str = "") -> Any:
    """Post the download form, as the office's browser does (double-submit token)."""
    client.cookies.set("coffre_form", "form-token", domain="coffre.test")
    return client.post(
        f"/s/{token}/copie", data={"csrf": "form-token", "code": code}, headers=SAME_ORIGIN
    )


def share_now(rt: Runtime, actor: Person, document_id: str, terms: ShareTerms) -> NewShare:
    """A link made straight through the service, as the API makes it."""
    with transaction(rt.sessions) as db:
        plan = plan_share(db, rt, actor, document_id, terms)
    stored = store_copy(rt, plan)
    with transaction(rt.sessions) as db:
        return record_share(db, rt, actor, stored)
