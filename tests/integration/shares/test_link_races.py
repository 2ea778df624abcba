"""A link and a change of its paper's fate at the same moment (concurrency review, PostgreSQL):
the person ends a helper's access, or makes the paper private, while an office downloads
through the helper's link; the person bins the paper while a link to it is being recorded.
The download of a link that no longer works is refused, and a link recorded as its paper went
to the bin is refused too (binning stops the paper's links for good, a restore brings back the
paper, never what was sent). And none of them waits on another in a circle, which PostgreSQL
ends with an error for one of the two."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.integration.consent.test_grants import grant, setup
from tests.integration.shares.helpers import download, make_share, token_of, visitor
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.consent.grants import revoke
from vault.db import transaction
from vault.documents import service, shares
from vault.documents.service import delete_document, plan_upload, store_upload, update_document
from vault.errors import NotFoundError
from vault.models import Person, Share
from vault.runtime import Runtime

pytestmark = pytest.mark.master_keys

OFFICE = "198.51.100.7"


def while_the_owner_changes(
    rt: Runtime, owner_id: str, change: Callable[[Session, Person], object], act: Callable[[], str]
) -> list[str]:
    """The owner's change is made and, before it is committed, the other side acts: what that
    came to, once the change is committed."""
    outcome: list[str] = []
    with transaction(rt.sessions) as db:
        change(db, db.get_one(Person, owner_id))
        db.flush()
        other = threading.Thread(target=lambda: outcome.append(act()))
        other.start()
        other.join(timeout=1)
        assert other.is_alive(), "the other side did not wait for the owner's change"
    other.join(timeout=30)
    return outcome


@pytest.mark.parametrize("end", ["revoke", "private"])
def test_a_helpers_link_serves_nothing_once_the_access_ended(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch, end: str
) -> None:
    """The office's download judged the link (its code's hash takes a while), then the person's
    end of the access, or « private », was committed, then the download was counted and
    served. It is judged again once counted, on what is committed then."""
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: the person's waits")
    amina, claire, _org = setup(client, rt)
    document_id: str = upload(client, amina, pdf("carte")).json()["id"]
    grant_id = grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    created = make_share(client, claire, document_id)
    assert created.status_code == 201, created.text
    judged = shares._checked

    def judged_then_ended(*args: Any) -> Any:
        found = judged(*args)
        with transaction(rt.sessions) as db:
            owner = db.get_one(Person, amina["user"]["id"])
            if end == "revoke":
                revoke(db, owner, grant_id)
            else:
                update_document(db, rt, owner, document_id, private=True)
        return found

    monkeypatch.setattr(shares, "_checked", judged_then_ended)
    assert download(visitor(client), token_of(created)).status_code == 410
    with rt.sessions() as db:
        assert db.get_one(Share, created.json()["id"]).downloads == 0


def test_a_link_recorded_as_its_paper_is_binned_never_works(
    client: TestClient, rt: Runtime
) -> None:
    amina, _claire, _org = setup(client, rt)
    document_id: str = upload(client, amina, pdf("carte")).json()["id"]
    terms = shares.ShareTerms("CAF du Loiret", "Dossier RSA", expires_in_hours=48)
    with transaction(rt.sessions) as db:
        owner = db.get_one(Person, amina["user"]["id"])
        stored = shares.store_copy(rt, shares.plan_share(db, rt, owner, document_id, terms))

    def bins(db: Session, owner: Person) -> object:
        return delete_document(db, rt, owner, document_id)

    def records() -> str:
        try:
            with transaction(rt.sessions) as db:
                shares.record_share(db, rt, db.get_one(Person, amina["user"]["id"]), stored)
        except NotFoundError:
            return "refused"
        return "recorded"

    assert while_the_owner_changes(rt, amina["user"]["id"], bins, records) == ["refused"]
    restored = client.post(f"/api/v1/documents/{document_id}/restore", headers=amina["headers"])
    assert restored.status_code == 200, restored.text
    listed: Any = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"])
    assert listed.json() == []


def test_a_download_and_the_paper_going_to_the_bin_do_not_wait_on_each_other(
    client: TestClient, rt: Runtime, amina: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Second review: a download counts its link (the link's row), then writes its line (the
    journal's head); binning the paper wrote its line first, then stopped the paper's links.
    Each held what the other waited for, and PostgreSQL ended one of them with an error."""
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    document_id: str = upload(client, amina, pdf("carte")).json()["id"]
    created = make_share(client, amina, document_id)
    assert created.status_code == 201, created.text
    counted, go_on = threading.Event(), threading.Event()
    judged = shares._maker_may_still_send
    looks: list[None] = []

    def counted_then_held(*args: Any) -> bool:
        looks.append(None)
        if len(looks) == 2:  # the second look, once counted
            counted.set()
            go_on.wait(timeout=30)
        return judged(*args)

    monkeypatch.setattr(shares, "_maker_may_still_send", counted_then_held)
    outcome: dict[str, str] = {}

    def office_downloads() -> None:
        try:
            with transaction(rt.sessions) as db:
                copy = shares.take_copy(db, rt, token_of(created), "", OFFICE)
                outcome["download"] = "refused" if copy is None else "served"
        except Exception as exc:  # the deadlock's error is what this looks for
            outcome["download"] = type(exc).__name__

    def owner_bins() -> None:
        try:
            with transaction(rt.sessions) as db:
                delete_document(db, rt, db.get_one(Person, amina["user"]["id"]), document_id)
            outcome["bin"] = "binned"
        except Exception as exc:
            outcome["bin"] = type(exc).__name__

    office = threading.Thread(target=office_downloads)
    office.start()
    assert counted.wait(timeout=30)
    owner = threading.Thread(target=owner_bins)
    owner.start()
    owner.join(timeout=1)  # the binning now waits for the link's row
    go_on.set()
    office.join(timeout=30)
    owner.join(timeout=30)
    assert outcome == {"download": "served", "bin": "binned"}


def test_a_link_and_an_upload_through_the_same_grant_do_not_wait_on_each_other(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Second review: an upload locks the grants it goes through, then the person's row (her
    key); recording a link took her row, then the grant (its last use). Each held what the
    other waited for. Recording a link now locks the grants first, as a change does."""
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    amina, claire, _org = setup(client, rt)
    document_id: str = upload(client, amina, pdf("carte")).json()["id"]
    grant(client, amina, counsellor_id=claire["id"], scopes=["view", "upload"])
    terms = shares.ShareTerms("CAF du Loiret", "Dossier RSA", expires_in_hours=48)
    with transaction(rt.sessions) as db:
        helper = db.get_one(Person, claire["id"])
        copy = shares.store_copy(rt, shares.plan_share(db, rt, helper, document_id, terms))
        plan = plan_upload(db, rt, helper, amina["vault_id"])
    stored = store_upload(rt, plan, [pdf("avis")])
    judged, go_on = threading.Event(), threading.Event()
    still_stored = service._still_stored

    def judged_then_held(*args: Any) -> None:
        judged.set()
        go_on.wait(timeout=30)
        still_stored(*args)

    monkeypatch.setattr(service, "_still_stored", judged_then_held)
    outcome: dict[str, str] = {}

    def run(name: str, act: Callable[[Session], object]) -> None:
        try:
            with transaction(rt.sessions) as db:
                act(db)
            outcome[name] = "done"
        except Exception as exc:  # the deadlock's error is what this looks for
            outcome[name] = type(exc).__name__

    fields = service.DocumentFields("Avis", "income")
    uploads = threading.Thread(
        target=run,
        args=("upload", lambda db: service.create_document(db, rt, helper, stored, fields)),
    )
    uploads.start()
    assert judged.wait(timeout=30)
    links = threading.Thread(
        target=run, args=("link", lambda db: shares.record_share(db, rt, helper, copy))
    )
    links.start()
    links.join(timeout=1)  # the link now waits for the grant the upload holds
    go_on.set()
    uploads.join(timeout=30)
    links.join(timeout=30)
    assert outcome == {"upload": "done", "link": "done"}
