"""A link lives with its paper and its owner's keys: a key rotation keeps it readable, and a
paper deleted or an account erased takes its links and their copies along."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.integration.shares.helpers import download, make_share, token_of
from tests.integration.shares.test_shares_api import paper
from vault.accounts.erasure import erase_account
from vault.db import transaction
from vault.documents.bin import erase_expired
from vault.documents.service import purge_objects
from vault.keylife.integrity import verify_papers
from vault.keylife.rotation import reencrypt, rotate_user
from vault.models import Blob, Share, utcnow
from vault.runtime import Runtime

pytestmark = pytest.mark.master_keys


def test_rotations_keep_the_link_and_its_copy(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina)
    token = token_of(make_share(client, amina, document_id))
    rotate_user(rt, amina["user"]["id"], 10, lambda _done: None)
    reencrypt(rt, "amina.diallo", 10, lambda _done: None)
    [share] = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"]).json()
    assert share["recipient"] == "CAF du Loiret"
    assert download(client, token).status_code == 200
    with transaction(rt.sessions) as db:
        [check] = verify_papers(db, rt)
    assert check.blobs == 3  # the paper, its thumbnail and the marked copy
    assert check.failures == []


def test_a_paper_in_the_bin_stops_its_links_and_its_erasure_takes_them(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    document_id = paper(client, amina)
    token = token_of(make_share(client, amina, document_id))
    deleted = client.delete(f"/api/v1/documents/{document_id}", headers=amina["headers"])
    assert deleted.status_code == 204
    assert download(client, token).status_code == 410
    with transaction(rt.sessions) as db:
        names = erase_expired(db, rt, utcnow() + timedelta(days=rt.settings.bin_days + 1))
    purge_objects(rt.store, names)
    with transaction(rt.sessions) as db:
        assert db.scalar(select(func.count()).select_from(Share)) == 0
        assert db.scalar(select(func.count()).select_from(Blob)) == 0
    assert list(rt.store.list()) == []


def test_erasing_the_account_takes_its_links(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    token = token_of(make_share(client, amina, paper(client, amina)))
    erase_account(rt, "amina.diallo")
    assert download(client, token).status_code == 410
    with transaction(rt.sessions) as db:
        assert db.scalar(select(func.count()).select_from(Share)) == 0
    assert list(rt.store.list()) == []
