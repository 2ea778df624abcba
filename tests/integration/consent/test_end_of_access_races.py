"""A person ends a helper's access while the helper is acting through it, or the helper's
organisation takes them out: whatever the helper does after that end is refused, however close
the two come. On PostgreSQL a helper's action read the access as it was when its own statement
ran: one that started just before the end was committed changed the password, or moved the
paper to the bin, once the access had ended."""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.app_fixtures import PASSWORD
from tests.integration.consent.test_grants import grant, setup
from tests.integration.consent.test_member_closed import team
from tests.integration.consent.test_member_elsewhere import join, two_organisations
from tests.integration.vault.test_documents_api import upload
from tests.samples import pdf
from vault.accounts.erasure import erase_account
from vault.accounts.passwords import verify_password
from vault.accounts.recovery import recover, reset_with_person
from vault.consent.grants import revoke
from vault.consent.organisations import Departure, close_member
from vault.db import transaction
from vault.documents.content_check import store_checked
from vault.documents.service import delete_document, update_document
from vault.errors import AuthenticationError, NotFoundError
from vault.models import Document, Grant, Person, utcnow
from vault.runtime import Runtime
from vault.vocabulary import GrantStatus

pytestmark = pytest.mark.master_keys

NEW = "une phrase toute neuve"


def ended_while_acting(
    rt: Runtime, owner_id: str, grant_id: str, act: Callable[[Session], object]
) -> list[str]:
    """The owner ends the access and, before that is committed, the helper acts: what the
    helper's action came to."""

    def ends(db: Session) -> object:
        return revoke(db, db.get_one(Person, owner_id), grant_id)

    return acting_meanwhile(rt, ends, act)


def acting_meanwhile(
    rt: Runtime, change: Callable[[Session], object], act: Callable[[Session], object]
) -> list[str]:
    """`change` is made and, before it is committed, the helper acts, which must wait for it:
    what the helper's action came to."""
    outcome: list[str] = []

    def helper_acts() -> None:
        try:
            with transaction(rt.sessions) as db:
                act(db)
            outcome.append("done")
        except NotFoundError:
            outcome.append("refused")

    with transaction(rt.sessions) as db:
        change(db)
        db.flush()
        helper = threading.Thread(target=helper_acts)
        helper.start()
        helper.join(timeout=1)
        assert helper.is_alive(), "the helper's action did not wait for the change"
    helper.join(timeout=30)
    return outcome


def test_a_reset_begun_as_the_access_ends_changes_no_password(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    given = grant(client, amina, counsellor_id=claire["id"], scopes=["view", "recover"])

    def reset(db: Session) -> object:
        return reset_with_person(db, rt, db.get_one(Person, claire["id"]), amina["user"]["id"], NEW)

    assert ended_while_acting(rt, amina["user"]["id"], given, reset) == ["refused"]
    with rt.sessions() as db:
        assert verify_password(db.get_one(Person, amina["user"]["id"]).password_hash, PASSWORD)


def test_a_paper_is_not_binned_by_a_helper_whose_access_just_ended(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    paper: Any = upload(client, amina, pdf("carte")).json()["id"]
    given = grant(client, amina, counsellor_id=claire["id"], scopes=["view", "manage"])

    def bin_it(db: Session) -> object:
        return delete_document(db, rt, db.get_one(Person, claire["id"]), paper)

    assert ended_while_acting(rt, amina["user"]["id"], given, bin_it) == ["refused"]
    with rt.sessions() as db:
        assert db.get_one(Document, paper).deleted_at is None


def test_a_helper_does_not_wait_for_an_ended_grant_being_marked_so(
    client: TestClient, rt: Runtime
) -> None:
    """Only the grants an action goes through are locked: one past its end, still to be marked
    so (grants.expire_due, when someone opens their accesses), is neither waited for nor held,
    and that marking never waits for a helper at work."""
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: the helper waits whatever it locks")
    amina, claire, _org = setup(client, rt)
    paper: Any = upload(client, amina, pdf("carte")).json()["id"]
    ended = grant(client, amina, counsellor_id=claire["id"], scopes=["view", "manage"])
    with transaction(rt.sessions) as db:
        past = utcnow() - timedelta(days=1)
        db.execute(update(Grant).where(Grant.id == ended).values(expires_at=past))
    grant(client, amina, counsellor_id=claire["id"], scopes=["view", "manage"])
    outcome: list[str] = []

    def bin_it() -> None:
        with transaction(rt.sessions) as db:
            delete_document(db, rt, db.get_one(Person, claire["id"]), paper)
        outcome.append("done")

    with transaction(rt.sessions) as marking:
        marking.execute(update(Grant).where(Grant.id == ended).values(status=GrantStatus.EXPIRED))
        helper = threading.Thread(target=bin_it)
        helper.start()
        helper.join(timeout=10)
        assert not helper.is_alive(), "the helper waited for a grant it does not go through"
    assert outcome == ["done"]


@pytest.mark.parametrize("departure", [Departure.LEFT, Departure.CLOSED])
def test_a_helper_taken_out_of_the_organisation_changes_nothing_through_it(
    client: TestClient, rt: Runtime, departure: Departure
) -> None:
    """The organisation's admin takes a counsellor out while the counsellor bins a paper the
    person gave that organisation: they work for another one too, so only that membership ends
    (LEFT); or it was their only one, so their account is closed and the membership and the
    organisation's grant stay for the others (CLOSED)."""
    t = two_organisations(client, rt)
    if departure == Departure.LEFT:
        assert join(client, t["sam"]["headers"], t["secours"], "claire.martin").status_code == 201
    grant(client, t["amina"], organisation_id=t["ccas"], scopes=["view", "manage"])

    def takes_her_out(db: Session) -> object:
        nadia = db.get_one(Person, t["nadia"]["id"])
        assert close_member(db, nadia, t["ccas"], t["claire"]["id"]) == departure
        return None

    def bin_it(db: Session) -> object:
        return delete_document(db, rt, db.get_one(Person, t["claire"]["id"]), t["paper"])

    assert acting_meanwhile(rt, takes_her_out, bin_it) == ["refused"]
    with rt.sessions() as db:
        assert db.get_one(Document, t["paper"]).deleted_at is None


def test_an_upload_whose_access_ends_while_it_is_stored_leaves_a_line_and_no_object(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow phone still sending the file when the person ends the access: the paper is not
    recorded, its object goes, and the refused addition is in the person's history like any
    other refused attempt (it was rolled back with the rows)."""
    amina, claire, _org = setup(client, rt)
    vault_id = client.get("/api/v1/me", headers=amina["headers"]).json()["vault_id"]
    grant_id = grant(client, amina, counsellor_id=claire["id"], scopes=["view", "upload"])

    def stored_then_ended(*args: Any) -> Any:
        stored = store_checked(*args)
        with transaction(rt.sessions) as db:
            revoke(db, db.get_one(Person, amina["user"]["id"]), grant_id)
        return stored

    monkeypatch.setattr("webui.uploads.store_checked", stored_then_ended)
    before = {blob.name for blob in rt.store.list()}
    answer = upload(client, claire, pdf("avis"), vault=vault_id)
    assert answer.status_code == 404, answer.text
    assert {blob.name for blob in rt.store.list()} == before
    newest, *_ = client.get("/api/v1/journal", headers=amina["headers"]).json()
    assert (newest["action"], newest["actor_id"]) == ("access_refused", claire["id"])


def test_a_reset_code_is_not_used_by_a_counsellor_whose_access_just_ended(
    client: TestClient, rt: Runtime
) -> None:
    """Concurrency review: `coffre`'s recovery judged a counsellor's reset code on the grant as
    it read it, then took a password hash's time to replace the password; an end of the access
    committed meanwhile did not stop it. The code is now judged on the grant locked."""
    amina, claire, _org = setup(client, rt)
    given = grant(client, amina, counsellor_id=claire["id"], scopes=["view", "recover"])
    issued = client.post(
        f"/api/v1/beneficiaries/{amina['user']['id']}/reset-code",
        headers=claire["headers"],
        json={"current_password": PASSWORD},
    )
    assert issued.status_code == 201, issued.text

    def use_the_code(db: Session) -> object:
        try:
            return recover(db, rt, "amina.diallo", issued.json()["code"], NEW, "")
        except AuthenticationError:
            raise NotFoundError("refused") from None

    assert ended_while_acting(rt, amina["user"]["id"], given, use_the_code) == ["refused"]
    with rt.sessions() as db:
        assert verify_password(db.get_one(Person, amina["user"]["id"]).password_hash, PASSWORD)


def test_a_paper_made_private_meanwhile_is_not_binned_by_a_helper(
    client: TestClient, rt: Runtime
) -> None:
    """Concurrency review (PostgreSQL): a helper's deletion judged the paper as it first read
    it, then binned it once the owner had made it private: a private paper changed through a
    grant, and the owner's own links to it stopped."""
    amina, claire, _org = setup(client, rt)
    paper: Any = upload(client, amina, pdf("carte")).json()["id"]
    grant(client, amina, counsellor_id=claire["id"], scopes=["view", "manage"])

    def made_private(db: Session) -> object:
        owner = db.get_one(Person, amina["user"]["id"])
        return update_document(db, rt, owner, paper, private=True)

    def helper_bins(db: Session) -> object:
        return delete_document(db, rt, db.get_one(Person, claire["id"]), paper)

    assert acting_meanwhile(rt, made_private, helper_bins) == ["refused"]
    with rt.sessions() as db:
        assert db.get_one(Document, paper).deleted_at is None


def test_an_upload_by_a_helper_whose_account_is_closed_meanwhile_is_not_recorded(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrency review: Claire's only organisation takes her out while her upload is stored,
    which closes her account but keeps the organisation's grant (Paul still works there). The
    upload judged her as the request first read her, and recorded the paper."""
    t = team(client, rt)
    vault_id = client.get("/api/v1/me", headers=t["amina"]["headers"]).json()["vault_id"]
    grant(client, t["amina"], organisation_id=t["ccas"], scopes=["view", "upload"])

    def stored_then_closed(*args: Any) -> Any:
        stored = store_checked(*args)
        with transaction(rt.sessions) as db:
            nadia = db.get_one(Person, t["nadia"]["id"])
            assert close_member(db, nadia, t["ccas"], t["claire"]["id"]) == Departure.CLOSED
        return stored

    monkeypatch.setattr("webui.uploads.store_checked", stored_then_closed)
    before = {blob.name for blob in rt.store.list()}
    answer = upload(client, t["claire"], pdf("avis"), vault=vault_id)
    assert answer.status_code == 404, answer.text
    assert {blob.name for blob in rt.store.list()} == before
    with rt.sessions() as db:
        assert db.scalar(select(func.count()).where(Document.uploaded_by == t["claire"]["id"])) == 0


@pytest.mark.parametrize("uploader", ["amina", "claire"])
def test_an_upload_into_a_vault_erased_meanwhile_is_not_recorded(
    client: TestClient, rt: Runtime, monkeypatch: pytest.MonkeyPatch, uploader: str
) -> None:
    """Concurrency review: the person's account is erased while a paper for her is stored, by
    her on another device or by her counsellor. Its rows were written under her destroyed key,
    after the erasure had purged her vault: unreadable, kept until the next sweep."""
    amina, claire, _org = setup(client, rt)
    vault_id = client.get("/api/v1/me", headers=amina["headers"]).json()["vault_id"]
    grant(client, amina, counsellor_id=claire["id"], scopes=["view", "upload"])

    def stored_then_erased(*args: Any) -> Any:
        stored = store_checked(*args)
        erase_account(rt, "amina.diallo")
        return stored

    monkeypatch.setattr("webui.uploads.store_checked", stored_then_erased)
    before = {blob.name for blob in rt.store.list()}
    who = amina if uploader == "amina" else claire
    answer = upload(client, who, pdf("avis"), vault=vault_id)
    assert answer.status_code in (401, 404), answer.text
    assert {blob.name for blob in rt.store.list()} == before
    with rt.sessions() as db:
        assert db.scalar(select(func.count()).where(Document.vault_id == vault_id)) == 0
