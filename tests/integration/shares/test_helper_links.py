"""A link made by a helper (a counsellor with a grant) sends the paper out in the helper's name:
it works only while the helper could still send that paper. Once the grant is over, or the
paper out of its reach, the office gets the page of a link that is over; the owner's own links
live by their own terms."""

import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.app_fixtures import REAUTH, admin_headers, organisation, professional
from tests.integration.consent.test_access_page import pending_id
from tests.integration.consent.test_grants import grant
from tests.integration.consent.test_member_closed import close
from tests.integration.consent.test_member_elsewhere import join, two_organisations
from tests.integration.shares.helpers import SAME_ORIGIN, download, make_share, token_of, visitor
from tests.integration.shares.test_shares_api import paper
from tests.integration.vault.test_round_trips import statements
from tests.integration.webui.test_forms_keep_values import page_sign_in
from tests.integration.webui.test_pages import as_read
from vault.accounts import sessions
from vault.audit.journal import ACCESS_REFUSED, SHARE_OPENED
from vault.db import transaction
from vault.models import Grant, JournalEvent, utcnow
from vault.runtime import Runtime

AMINA, CLAIRE = "Amina Diallo", "Claire Martin"


def claire_of(client: TestClient, rt: Runtime) -> dict[str, Any]:
    admin = admin_headers(client, rt)
    return professional(client, admin, organisation(client, admin), "claire.martin")


def is_over(client: TestClient, token: str) -> None:
    """The office's answer for a link that is over: the page of a link that never was."""
    office, unknown = visitor(client), "x" * 43
    page = office.get(f"/s/{token}")
    assert page.status_code == 410
    assert "Ce lien n'est plus valable." in page.text
    assert page.text.replace(token, "T") == office.get(f"/s/{unknown}").text.replace(unknown, "T")
    assert download(office, token).status_code == 410


def revoke(client: TestClient, rt: Runtime, amina: dict[str, Any], grant_id: str) -> None:
    answer = client.delete(f"/api/v1/grants/{grant_id}", headers=amina["headers"])
    assert answer.status_code == 204


def expire(client: TestClient, rt: Runtime, amina: dict[str, Any], grant_id: str) -> None:
    with transaction(rt.sessions) as db:
        db.execute(update(Grant).values(expires_at=utcnow()))


def leave_idle(client: TestClient, rt: Runtime, amina: dict[str, Any], grant_id: str) -> None:
    rt.settings.grant_inactivity_days = 0


def make_private(client: TestClient, rt: Runtime, amina: dict[str, Any], document_id: str) -> None:
    answer = client.patch(
        f"/api/v1/documents/{document_id}", headers=amina["headers"], json={"private": True}
    )
    assert answer.status_code == 200, answer.text


def move_out_of_the_grant(
    client: TestClient, rt: Runtime, amina: dict[str, Any], document_id: str
) -> None:
    answer = client.patch(
        f"/api/v1/documents/{document_id}", headers=amina["headers"], json={"category": "taxes"}
    )
    assert answer.status_code == 200, answer.text


Change = Callable[[TestClient, Runtime, dict[str, Any], str], None]


def name_of(change: Change) -> str:
    return change.__name__


@pytest.mark.parametrize("end_the_grant", [revoke, expire, leave_idle], ids=name_of)
def test_a_helpers_link_is_over_when_the_grant_ends(
    client: TestClient, rt: Runtime, amina: dict[str, Any], end_the_grant: Change
) -> None:
    claire = claire_of(client, rt)
    document_id = paper(client, amina)
    grant_id = grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    token = token_of(make_share(client, claire, document_id, expires_in_hours=720))
    assert download(visitor(client), token).status_code == 200
    end_the_grant(client, rt, amina, grant_id)
    is_over(client, token)


@pytest.mark.parametrize("take_it_out", [make_private, move_out_of_the_grant], ids=name_of)
def test_a_helpers_link_is_over_when_the_paper_leaves_the_grant(
    client: TestClient, rt: Runtime, amina: dict[str, Any], take_it_out: Change
) -> None:
    claire = claire_of(client, rt)
    document_id = paper(client, amina)
    grant(client, amina, counsellor_id=claire["id"], scopes=["view"], categories=["identity"])
    token = token_of(make_share(client, claire, document_id, expires_in_hours=720))
    take_it_out(client, rt, amina, document_id)
    is_over(client, token)


def test_the_owners_own_link_lives_by_its_own_terms(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    claire = claire_of(client, rt)
    document_id = paper(client, amina)
    grant_id = grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    token = token_of(make_share(client, amina, document_id))
    revoke(client, rt, amina, grant_id)
    make_private(client, rt, amina, document_id)
    office = visitor(client)
    assert office.get(f"/s/{token}").status_code == 200
    assert download(office, token).status_code == 200


def test_the_owner_sees_a_helpers_link_over_and_its_downloads_journaled(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    claire = claire_of(client, rt)
    document_id = paper(client, amina)
    grant_id = grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    created = make_share(client, claire, document_id, recipient="CAF du Loiret")
    token, share_id = token_of(created), created.json()["id"]
    assert download(visitor(client), token).status_code == 200
    revoke(client, rt, amina, grant_id)
    is_over(client, token)

    links = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"])
    assert [(link["revoked"], link["valid"]) for link in links.json()] == [(False, False)]
    page_sign_in(client, "amina.diallo")
    listed = as_read(client.get(f"/papiers/{document_id}/liens").text)
    assert "Pour CAF du Loiret" in listed
    assert "Ne marche plus : Claire Martin n'a plus accès à ce papier." in listed
    assert "Marche jusqu" not in listed
    with transaction(rt.sessions) as db:
        lines = db.scalars(
            select(JournalEvent).where(JournalEvent.action.in_((SHARE_OPENED, ACCESS_REFUSED)))
        ).all()
    # The one download made while it worked; the refused ones are no attempt of Claire's.
    assert [(e.action, e.target_id, e.actor_id) for e in lines] == [(SHARE_OPENED, share_id, None)]


@pytest.mark.parametrize("end_the_grant", [revoke, expire], ids=name_of)
def test_a_helpers_link_stays_over_when_the_access_comes_back(
    client: TestClient, rt: Runtime, amina: dict[str, Any], end_the_grant: Change
) -> None:
    """A new access is a new consent: the links sent out under the one that ended do not
    work again (an office may hold one for months); those made under the new one do."""
    claire = claire_of(client, rt)
    document_id = paper(client, amina)
    grant_id = grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    token = token_of(make_share(client, claire, document_id, expires_in_hours=720))
    end_the_grant(client, rt, amina, grant_id)
    grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    is_over(client, token)
    listed = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"])
    assert [link["valid"] for link in listed.json()] == [False]
    fresh = token_of(make_share(client, claire, document_id))
    assert download(visitor(client), fresh).status_code == 200


def test_the_list_of_links_asks_for_each_makers_access_once(
    client: TestClient, rt: Runtime, amina: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each link judged by the grants given before it was made, the helper's grants read once
    for them all: more links of one helper cost the list no more statements."""
    # However slow the machine, the two lists' sessions are not touched (one statement more).
    monkeypatch.setattr(sessions, "SEEN_EVERY", timedelta(hours=1))
    claire = claire_of(client, rt)
    document_id = paper(client, amina)
    grant_id = grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    make_share(client, claire, document_id)
    revoke(client, rt, amina, grant_id)
    grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    make_share(client, amina, document_id)

    def listed() -> tuple[list[tuple[str, bool]], int]:
        with statements(rt) as seen:
            answer = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"])
        assert answer.status_code == 200, answer.text
        return [(link["created_by"], link["valid"]) for link in answer.json()], len(seen)

    links, few = listed()
    assert links == [(AMINA, True), (CLAIRE, False)]
    for _ in range(4):
        assert make_share(client, claire, document_id).status_code == 201
    links, many = listed()
    assert links == [(CLAIRE, True)] * 4 + [(AMINA, True), (CLAIRE, False)]
    assert many == few


def test_a_helpers_link_comes_back_with_the_paper_unless_the_owner_stops_it(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    claire = claire_of(client, rt)
    document_id = paper(client, amina)
    grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    token = token_of(make_share(client, claire, document_id))
    make_private(client, rt, amina, document_id)
    is_over(client, token)
    # The same access, the paper in its reach again: Claire could make the same link again.
    make_public(client, amina, document_id)
    assert download(visitor(client), token).status_code == 200

    make_private(client, rt, amina, document_id)
    csrf = page_sign_in(client, "amina.diallo")
    listed = client.get(f"/papiers/{document_id}/liens").text
    [share_id] = re.findall(r'action="/liens/([^/]+)/arreter"', listed)
    stopped = client.post(f"/liens/{share_id}/arreter", data={"csrf": csrf}, headers=SAME_ORIGIN)
    assert "Le lien est arrêté. Il ne marche plus." in stopped.text
    make_public(client, amina, document_id)
    is_over(client, token)


def make_public(client: TestClient, amina: dict[str, Any], document_id: str) -> None:
    answer = client.patch(
        f"/api/v1/documents/{document_id}", headers=amina["headers"], json={"private": False}
    )
    assert answer.status_code == 200, answer.text


def test_a_helpers_link_ends_when_the_grant_ends(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    claire = claire_of(client, rt)
    document_id = paper(client, amina)
    last_day = utcnow().date() + timedelta(days=2)
    grant(client, amina, counsellor_id=claire["id"], expires_on=last_day.isoformat())
    grant_ends = datetime.combine(last_day, time(23, 59, 59), tzinfo=UTC)
    created = make_share(client, claire, document_id, expires_in_hours=720)
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["expires_at"]) == grant_ends
    # A shorter link keeps its own end.
    shorter = make_share(client, claire, document_id, expires_in_hours=24)
    assert datetime.fromisoformat(shorter.json()["expires_at"]) < grant_ends
    listed = client.get(f"/api/v1/documents/{document_id}/shares", headers=amina["headers"])
    assert datetime.fromisoformat(listed.json()[1]["expires_at"]) == grant_ends


def test_a_helpers_link_stays_over_when_an_older_request_is_accepted(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    """A request asked before the link, accepted after its grant ended, is a new consent too:
    what counts is when the person said yes, not when the helper asked."""
    claire = claire_of(client, rt)
    document_id = paper(client, amina)
    grant_id = grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    asked = client.post(
        "/api/v1/access-requests",
        headers=claire["headers"],
        json={"login": "amina.diallo", "scopes": ["view", "upload"]},
    )
    assert asked.status_code == 202, asked.text
    token = token_of(make_share(client, claire, document_id, expires_in_hours=720))
    revoke(client, rt, amina, grant_id)
    is_over(client, token)
    accepted = client.post(
        f"/api/v1/grants/{pending_id(client, amina)}/accept", headers=amina["headers"], json=REAUTH
    )
    assert accepted.status_code == 200, accepted.text
    is_over(client, token)
    fresh = token_of(make_share(client, claire, document_id))
    assert download(visitor(client), fresh).status_code == 200


def test_a_helpers_link_stays_over_when_they_join_an_organisation_given_access_before(
    client: TestClient, rt: Runtime
) -> None:
    """An organisation's access reaches a helper from the day they join it: a link they made
    before, under another grant since ended, is not sent again in that organisation's name."""
    t = two_organisations(client, rt)
    amina, claire = t["amina"], t["claire"]
    grant(client, amina, organisation_id=t["secours"], scopes=["view"])
    personal = grant(client, amina, counsellor_id=claire["id"], scopes=["view"])
    token = token_of(make_share(client, claire, t["paper"], expires_in_hours=720))
    revoke(client, rt, amina, personal)
    assert join(client, t["sam"]["headers"], t["secours"], "claire.martin").status_code == 201
    assert client.get(t["content"], headers=claire["headers"]).status_code == 200
    is_over(client, token)


def test_a_helpers_link_stays_over_when_they_are_added_back_to_the_organisation(
    client: TestClient, rt: Runtime
) -> None:
    """Taken out of an organisation, a helper's links through its access stop; added back
    later, they do not start again: the office may have been told they were over."""
    t = two_organisations(client, rt)
    amina, claire = t["amina"], t["claire"]
    grant(client, amina, organisation_id=t["ccas"], scopes=["view"])
    assert join(client, t["sam"]["headers"], t["secours"], "claire.martin").status_code == 201
    token = token_of(make_share(client, claire, t["paper"], expires_in_hours=720))
    assert close(client, t["nadia"]["headers"], t["ccas"], claire["id"]).status_code == 204
    is_over(client, token)
    assert join(client, t["nadia"]["headers"], t["ccas"], "claire.martin").status_code == 201
    assert client.get(t["content"], headers=claire["headers"]).status_code == 200
    is_over(client, token)
    fresh = token_of(make_share(client, claire, t["paper"]))
    assert download(visitor(client), fresh).status_code == 200
