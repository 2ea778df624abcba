"""A password reset made with a counsellor never gives more than the person granted.

Finding 1: a counsellor holding only "recover", limited to identity papers, asked for a reset
code, redeemed it alone and read every paper of the person, private ones included. Now the
papers outside what that counsellor may view stay closed (423) for a waiting period, unless the
person enters one of their own recovery codes; the journal names the counsellor."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.app_fixtures import PASSWORD, REAUTH, admin_headers, organisation, professional, sign_up
from tests.integration.shares.helpers import download, make_share, token_of, visitor
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import (
    SAME_ORIGIN,
    as_read,
    csrf_of,
    form_csrf,
    page_signed_in,
)
from tests.samples import pdf
from vault.db import transaction
from vault.models import Grant, Person, utcnow
from vault.runtime import Runtime

pytestmark = pytest.mark.master_keys

NEW = "une phrase toute neuve"
# The password the person chooses as she opens her papers with her own code: the one in force
# was typed at the counsellor's.
MINE = "ma phrase rien qu'a moi"
OWN_PASSWORD = {"new_password": MINE}
# The counsellor's own password, then the one the person types beside them.
WITH_PERSON = {**REAUTH, "new_password": NEW}


def setup(client: TestClient, rt: Runtime) -> tuple[dict[str, Any], dict[str, Any], str]:
    admin = admin_headers(client, rt)
    org_id = organisation(client, admin)
    claire = professional(client, admin, org_id, "claire.martin")
    amina = sign_up(client, "amina.diallo")
    amina["id"] = client.get("/api/v1/me", headers=amina["headers"]).json()["id"]
    return amina, claire, org_id


def papers(client: TestClient, amina: dict[str, Any]) -> dict[str, tuple[str, bytes]]:
    """An identity paper, a private identity paper and a bank paper, with their bytes."""
    made: dict[str, tuple[str, bytes]] = {}
    for name, category, title in (
        ("identity", "identity", "Carte d'identité"),
        ("private", "identity", "Lettre de l'avocat"),
        ("bank", "bank", "Relevé de banque"),
    ):
        content = pdf(name)
        answer = upload(client, amina, content, category=category, title=title)
        assert answer.status_code == 201, answer.text
        made[name] = (answer.json()["id"], content)
    private_id = made["private"][0]
    hidden = client.patch(
        f"/api/v1/documents/{private_id}", headers=amina["headers"], json={"private": True}
    )
    assert hidden.status_code == 200
    return made


def give(client: TestClient, amina: dict[str, Any], claire: dict[str, Any], **body: Any) -> str:
    answer = client.post(
        "/api/v1/grants",
        headers=amina["headers"],
        json={"counsellor_id": claire["id"], "current_password": PASSWORD, **body},
    )
    assert answer.status_code == 201, answer.text
    grant_id: str = answer.json()["id"]
    return grant_id


def recover(client: TestClient, login: str, code: str, password: str = NEW) -> Any:
    return client.post(
        "/api/v1/recovery", json={"login": login, "code": code, "new_password": password}
    )


def signed_in(client: TestClient, login: str, password: str) -> dict[str, str]:
    answer = client.post("/api/v1/session", json={"login": login, "password": password})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def content(client: TestClient, headers: dict[str, str], document_id: str) -> Any:
    return client.get(f"/api/v1/documents/{document_id}/content", headers=headers)


def own_codes(client: TestClient, amina: dict[str, Any]) -> list[str]:
    """The person's printed recovery codes, made before any reset."""
    answer = client.post(
        "/api/v1/me/recovery-codes", headers=amina["headers"], json={"current_password": PASSWORD}
    )
    assert answer.status_code == 201, answer.text
    codes: list[str] = answer.json()["codes"]
    return codes


def reset_alone(
    client: TestClient, amina: dict[str, Any], claire: dict[str, Any]
) -> dict[str, str]:
    """The counsellor gets a reset code and redeems it with no one present: the held account."""
    issued = client.post(
        f"/api/v1/beneficiaries/{amina['id']}/reset-code", headers=claire["headers"], json=REAUTH
    )
    assert issued.status_code == 201, issued.text
    assert recover(client, "amina.diallo", issued.json()["code"]).status_code == 204
    return signed_in(client, "amina.diallo", NEW)


def test_a_recover_only_grant_does_not_give_the_account(client: TestClient, rt: Runtime) -> None:
    amina, claire, org_id = setup(client, rt)
    codes = client.post(
        "/api/v1/me/recovery-codes", headers=amina["headers"], json={"current_password": PASSWORD}
    ).json()["codes"]
    made = papers(client, amina)
    give(client, amina, claire, scopes=["recover"], categories=["identity"])

    # The counsellor asks for a reset code and redeems it alone, with no one present.
    issued = client.post(
        f"/api/v1/beneficiaries/{amina['id']}/reset-code", headers=claire["headers"], json=REAUTH
    )
    assert issued.status_code == 201
    assert recover(client, "amina.diallo", issued.json()["code"]).status_code == 204
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 401
    rogue = signed_in(client, "amina.diallo", NEW)

    # Every paper stays closed: the grant has no "view" scope, so even the identity paper.
    for name in ("private", "bank", "identity"):
        document_id, _bytes = made[name]
        for url in (f"/api/v1/documents/{document_id}", f"/api/v1/documents/{document_id}/content"):
            answer = client.get(url, headers=rogue)
            assert answer.status_code == 423, (name, answer.text)
            assert "Claire Martin" in answer.json()["detail"]
            assert "codes de secours" in answer.json()["detail"]
        assert client.delete(f"/api/v1/documents/{document_id}", headers=rogue).status_code == 423
    listed = client.get("/api/v1/vaults/me/documents", headers=rogue).json()
    assert len(listed) == 3
    assert all(d["locked"] for d in listed)
    assert sorted(d["title"] for d in listed) == ["Banque", "Identité", "Identité"]
    assert all(d["filename"] is None for d in listed)
    hold = client.get("/api/v1/me", headers=rogue).json()["hold"]
    assert hold["by_name"] == "Claire Martin"
    assert hold["organisation_name"] == "CCAS d'Orléans"

    # The journal names the counsellor and the organisation, not the person.
    journal = client.get("/api/v1/journal", headers=rogue).json()
    changed = [e for e in journal if e["action"] in ("reset_code_issued", "password_changed")]
    assert [(e["actor_id"], e["organisation_id"]) for e in changed] == [(claire["id"], org_id)] * 2

    # The account cannot widen the helper's rights nor replace the person's codes meanwhile.
    widen = client.post(
        "/api/v1/grants",
        headers=rogue,
        json={"counsellor_id": claire["id"], "scopes": ["view"]},
    )
    assert widen.status_code == 423
    again = {"current_password": NEW}
    assert client.post("/api/v1/me/recovery-codes", headers=rogue, json=again).status_code == 423

    # A reset code does not open them, a wrong code neither; one of the person's own does.
    second_code = client.post(
        f"/api/v1/beneficiaries/{amina['id']}/reset-code", headers=claire["headers"], json=REAUTH
    )
    unlock = "/api/v1/me/unlock"
    assert (
        client.post(
            unlock, headers=rogue, json={"code": second_code.json()["code"], **OWN_PASSWORD}
        ).status_code
        == 422
    )
    wrong = {"code": "AAAA-BBBB-CCCC", **OWN_PASSWORD}
    assert client.post(unlock, headers=rogue, json=wrong).status_code == 422
    # Not with the password typed at Claire's, which she would keep (review finding).
    same = client.post(unlock, headers=rogue, json={"code": codes[0], "new_password": NEW})
    assert (same.status_code, same.json()["field"]) == (422, "password")
    assert client.get("/api/v1/me", headers=rogue).json()["hold"] is not None
    assert (
        client.post(unlock, headers=rogue, json={"code": codes[0], **OWN_PASSWORD}).status_code
        == 204
    )
    assert client.get("/api/v1/me", headers=rogue).json()["hold"] is None
    # The password typed at Claire's went with the hold (review finding: once the papers were
    # open, Claire signed in with it and had the whole account, and made new codes).
    typed_at_claire = {"login": "amina.diallo", "password": NEW}
    assert client.post("/api/v1/session", json=typed_at_claire).status_code == 401
    signed_in(client, "amina.diallo", MINE)
    for name in ("private", "bank", "identity"):
        document_id, original = made[name]
        opened = content(client, rogue, document_id)
        assert opened.status_code == 200
        assert opened.content == original
    assert not any(
        d["locked"] for d in client.get("/api/v1/vaults/me/documents", headers=rogue).json()
    )
    actions = [e["action"] for e in client.get("/api/v1/journal", headers=rogue).json()]
    assert "hold_ended" in actions
    assert "recovery_failed" in actions


def test_the_hold_ends_by_itself_after_the_waiting_period(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    made = papers(client, amina)
    give(client, amina, claire, scopes=["recover"], categories=["identity"])
    code = client.post(
        f"/api/v1/beneficiaries/{amina['id']}/reset-code", headers=claire["headers"], json=REAUTH
    ).json()["code"]
    assert recover(client, "amina.diallo", code).status_code == 204
    person = signed_in(client, "amina.diallo", NEW)
    until = client.get("/api/v1/me", headers=person).json()["hold"]["until"]
    assert until > (utcnow() + timedelta(hours=71)).isoformat()
    assert content(client, person, made["bank"][0]).status_code == 423
    with transaction(rt.sessions) as db:
        db.execute(
            update(Person)
            .where(Person.login == "amina.diallo")
            .values(held_until=utcnow() - timedelta(seconds=1))
        )
    assert client.get("/api/v1/me", headers=person).json()["hold"] is None
    for name in ("private", "bank", "identity"):
        assert content(client, person, made[name][0]).content == made[name][1]


def test_an_own_recovery_code_in_recovery_ends_the_hold(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    codes = client.post(
        "/api/v1/me/recovery-codes", headers=amina["headers"], json={"current_password": PASSWORD}
    ).json()["codes"]
    made = papers(client, amina)
    give(client, amina, claire, scopes=["recover"])
    code = client.post(
        f"/api/v1/beneficiaries/{amina['id']}/reset-code", headers=claire["headers"], json=REAUTH
    ).json()["code"]
    assert recover(client, "amina.diallo", code).status_code == 204
    assert recover(client, "amina.diallo", codes[3], "ma phrase a moi seule").status_code == 204
    person = signed_in(client, "amina.diallo", "ma phrase a moi seule")
    assert client.get("/api/v1/me", headers=person).json()["hold"] is None
    assert content(client, person, made["private"][0]).status_code == 200


def test_in_session_reset_with_the_counsellor(client: TestClient, rt: Runtime) -> None:
    amina, claire, org_id = setup(client, rt)
    made = papers(client, amina)
    url = f"/api/v1/beneficiaries/{amina['id']}/password"
    assert client.post(url, headers=claire["headers"], json=WITH_PERSON).status_code == 404
    give(client, amina, claire, scopes=["view", "recover"], categories=["identity"])
    give(client, amina, claire, scopes=["upload"], categories=["bank"])
    too_close = client.post(
        url, headers=claire["headers"], json={**REAUTH, "new_password": "Amina Diallo"}
    )
    assert too_close.status_code == 422
    assert client.post(url, headers=claire["headers"], json=WITH_PERSON).status_code == 204
    assert client.get("/api/v1/me", headers=amina["headers"]).status_code == 401

    person = signed_in(client, "amina.diallo", NEW)
    identity_id, identity_bytes = made["identity"]
    assert content(client, person, identity_id).content == identity_bytes
    assert content(client, person, made["private"][0]).status_code == 423
    assert content(client, person, made["bank"][0]).status_code == 423
    listed = {d["id"]: d for d in client.get("/api/v1/vaults/me/documents", headers=person).json()}
    assert listed[identity_id]["locked"] is False
    assert listed[identity_id]["title"] == "Carte d'identité"
    assert listed[made["private"][0]]["locked"] is True
    assert "avocat" not in listed[made["private"][0]]["title"]

    # A paper the person adds during the hold is theirs to open.
    added = upload(client, {"headers": person}, pdf("new"), category="bank", title="Nouveau")
    assert content(client, person, added.json()["id"]).status_code == 200
    # One a professional adds meanwhile is not: Claire may add bank papers, not open them.
    by_claire = upload(client, claire, pdf("releve"), vault=amina["vault_id"], category="bank")
    assert by_claire.status_code == 201, by_claire.text
    assert content(client, person, by_claire.json()["id"]).status_code == 423

    line = next(
        e
        for e in client.get("/api/v1/journal", headers=person).json()
        if e["action"] == "password_changed"
    )
    assert (line["actor_id"], line["actor_name"], line["organisation_id"]) == (
        claire["id"],
        "Claire Martin",
        org_id,
    )


def test_only_a_current_recover_scope_resets(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    admin = admin_headers(client, rt, "second.admin")
    other = professional(client, admin, organisation(client, admin, "Secours"), "eve.durand")
    grant_id = give(client, amina, claire, scopes=["view", "upload", "manage"])
    for who in (claire, other):
        for path, body in (("password", WITH_PERSON), ("reset-code", REAUTH)):
            answer = client.post(
                f"/api/v1/beneficiaries/{amina['id']}/{path}", headers=who["headers"], json=body
            )
            assert answer.status_code == 404, (path, answer.text)
    client.delete(f"/api/v1/grants/{grant_id}", headers=amina["headers"])
    recover_grant = give(client, amina, claire, scopes=["recover"])
    code = client.post(
        f"/api/v1/beneficiaries/{amina['id']}/reset-code", headers=claire["headers"], json=REAUTH
    ).json()["code"]
    # The person ends the access before the code is used: the code no longer works.
    client.delete(f"/api/v1/grants/{recover_grant}", headers=amina["headers"])
    assert recover(client, "amina.diallo", code).status_code == 401


def test_the_person_is_told_at_the_next_sign_in_and_in_the_history(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    made = papers(client, amina)
    give(client, amina, claire, scopes=["view", "recover"], categories=["identity"])
    url = f"/api/v1/beneficiaries/{amina['id']}/password"
    assert client.post(url, headers=claire["headers"], json=WITH_PERSON).status_code == 204

    token = form_csrf(client, "/connexion")
    answer = client.post(
        "/connexion",
        data={"csrf": token, "login": "amina.diallo", "password": NEW},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    notice = client.get(answer.headers["location"])
    assert "Claire Martin" in notice.text
    assert "CCAS d&#39;Orléans" in notice.text
    assert "/compte/deverrouiller" in notice.text
    # Shown once: the next landing is the papers.
    assert client.get("/", follow_redirects=False).headers["location"] == "/papiers"

    listed = client.get("/papiers")
    assert "Fermé jusqu'au" in listed.text
    assert "Lettre de l&#39;avocat" not in listed.text
    assert "Carte d&#39;identité" in listed.text
    assert "/compte/deverrouiller" in listed.text
    history = as_read(client.get("/historique").text)
    assert "Claire Martin, CCAS d&#39;Orléans, a changé votre mot de passe avec vous." in history
    assert "avocat" not in history
    assert client.get(f"/papiers/{made['private'][0]}").status_code == 423

    unlock_page = client.get("/compte/deverrouiller")
    wrong = client.post(
        "/compte/deverrouiller",
        data={"csrf": csrf_of(unlock_page.text), "code": "AAAA-BBBB-CCCC", "password": MINE},
        headers=SAME_ORIGIN,
    )
    assert wrong.status_code == 422
    assert "Ce code ne marche pas" in wrong.text


def test_a_professional_page_to_reset_with_the_person(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    vault_id = amina["vault_id"]
    give(client, amina, claire, scopes=["view", "recover"])
    token = form_csrf(client, "/connexion")
    client.post(
        "/connexion",
        data={"csrf": token, "login": "claire.martin", "password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    person_page = client.get(f"/personnes/{vault_id}")
    assert f"/personnes/{vault_id}/mot-de-passe" in person_page.text
    form = client.get(f"/personnes/{vault_id}/mot-de-passe")
    assert form.status_code == 200
    assert "3 jours" in form.text
    refused = client.post(
        f"/personnes/{vault_id}/mot-de-passe",
        data={"csrf": csrf_of(form.text), "password": "court", **REAUTH},
        headers=SAME_ORIGIN,
    )
    assert refused.status_code == 422
    done = client.post(
        f"/personnes/{vault_id}/mot-de-passe",
        data={"csrf": csrf_of(form.text), "password": NEW, **REAUTH},
        headers=SAME_ORIGIN,
    )
    assert done.status_code == 200
    assert "Le mot de passe est changé" in done.text
    assert signed_in(client, "amina.diallo", NEW)
    with transaction(rt.sessions) as db:
        person = db.scalars(select(Person).where(Person.login == "amina.diallo")).one()
        assert person.held_by == claire["id"]
        assert person.reset_notice_pending is True


def test_the_grant_pages_explain_the_recover_scope(client: TestClient, rt: Runtime) -> None:
    _amina, claire, _org = setup(client, rt)
    client.post(
        "/api/v1/access-requests",
        headers=claire["headers"],
        json={"login": "amina.diallo", "scopes": ["view", "recover"]},
    )
    token = form_csrf(client, "/connexion")
    client.post(
        "/connexion",
        data={"csrf": token, "login": "amina.diallo", "password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    page = client.get("/acces").text
    assert (
        "Cette personne peut vous aider à changer votre mot de passe. "
        "Vos papiers privés restent fermés 3 jours après." in page
    )
    rt.settings.assisted_reset_hold_hours = 36
    assert "restent fermés 36 heures après" in client.get("/acces").text


def test_access_requests_to_one_person_are_limited(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)

    def ask() -> Any:
        return client.post(
            "/api/v1/access-requests",
            headers=claire["headers"],
            json={"login": "amina.diallo", "scopes": ["recover"]},
        )

    def pending() -> list[dict[str, Any]]:
        grants = client.get("/api/v1/grants", headers=amina["headers"]).json()
        return [g for g in grants if g["status"] in ("pending", "refused")]

    first = ask()
    refused = client.post(f"/api/v1/grants/{pending()[0]['id']}/refuse", headers=amina["headers"])
    assert refused.status_code == 200
    second, third, fourth = ask(), ask(), ask()
    for answer in (first, second, third, fourth):
        assert (answer.status_code, answer.content) == (202, first.content)
    assert len(pending()) == 3
    with transaction(rt.sessions) as db:
        db.execute(update(Grant).values(created_at=utcnow() - timedelta(days=31)))
    assert ask().status_code == 202
    assert len(pending()) == 4


def test_the_bin_shows_no_more_than_the_list_during_a_hold(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    made = papers(client, amina)
    private_id, _private = made["private"]
    identity_id, _identity = made["identity"]
    for document_id in (private_id, identity_id):
        deleted = client.delete(f"/api/v1/documents/{document_id}", headers=amina["headers"])
        assert deleted.status_code == 204
    give(client, amina, claire, scopes=["view", "recover"], categories=["identity"])
    url = f"/api/v1/beneficiaries/{amina['id']}/password"
    assert client.post(url, headers=claire["headers"], json=WITH_PERSON).status_code == 204
    person = signed_in(client, "amina.diallo", NEW)

    # The private paper is closed as it would be in the list: its category, no title, no name.
    binned = {
        b["document"]["id"]: b["document"]
        for b in client.get("/api/v1/vaults/me/bin", headers=person).json()
    }
    assert binned[private_id]["locked"] is True
    assert binned[private_id]["title"] == "Identité"
    assert binned[private_id]["filename"] is None
    assert binned[identity_id]["locked"] is False
    assert binned[identity_id]["title"] == "Carte d'identité"

    page_signed_in(client, "amina.diallo", NEW)
    page = client.get("/corbeille")
    assert page.status_code == 200
    assert "avocat" not in page.text
    assert "Carte d&#39;identité" in page.text or "Carte d'identité" in page.text

    # Taking it back tells nothing more, and it stays closed among the papers.
    restored = client.post(f"/api/v1/documents/{private_id}/restore", headers=person)
    assert restored.status_code == 200
    assert restored.json()["locked"] is True
    assert "avocat" not in restored.json()["title"]
    assert content(client, person, private_id).status_code == 423


def test_the_history_names_no_recipient_of_a_closed_paper(client: TestClient, rt: Runtime) -> None:
    amina, claire, _org = setup(client, rt)
    bank_id, _bank = papers(client, amina)["bank"]
    token = token_of(make_share(client, amina, bank_id, recipient="Banque du Loiret"))
    assert download(visitor(client), token).status_code == 200
    give(client, amina, claire, scopes=["view", "recover"], categories=["identity"])
    url = f"/api/v1/beneficiaries/{amina['id']}/password"
    assert client.post(url, headers=claire["headers"], json=WITH_PERSON).status_code == 204

    page_signed_in(client, "amina.diallo", NEW)
    history = client.get("/historique").text
    assert "Banque du Loiret" not in history
    assert "Relevé de banque" not in history


def test_a_held_account_cannot_accept_an_access_request(client: TestClient, rt: Runtime) -> None:
    """Accepting would widen the helper's reach as giving would: refused on the API and the
    page, and the request waits for the person."""
    amina, claire, _org = setup(client, rt)
    codes = own_codes(client, amina)
    made = papers(client, amina)
    give(client, amina, claire, scopes=["recover"], categories=["identity"])
    rogue = reset_alone(client, amina, claire)
    asked = client.post(
        "/api/v1/access-requests",
        headers=claire["headers"],
        json={"login": "amina.diallo", "scopes": ["view"]},
    )
    assert asked.status_code == 202
    [request] = [
        g for g in client.get("/api/v1/grants", headers=rogue).json() if g["status"] == "pending"
    ]
    accept = f"/api/v1/grants/{request['id']}/accept"

    refused = client.post(accept, headers=rogue)
    assert refused.status_code == 423
    assert "accepter une demande d'accès" in refused.json()["detail"]
    csrf = page_signed_in(client, "amina.diallo", NEW)
    on_page = client.post(
        f"/acces/{request['id']}",
        data={"csrf": csrf, "decision": "accept"},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert on_page.status_code == 423
    assert "accepter une demande d&#39;accès" in on_page.text
    statuses = {g["id"]: g["status"] for g in client.get("/api/v1/grants", headers=rogue).json()}
    assert statuses[request["id"]] == "pending"
    bank_id = made["bank"][0]
    assert client.get(f"/api/v1/documents/{bank_id}", headers=claire["headers"]).status_code == 404
    actions = [e["action"] for e in client.get("/api/v1/journal", headers=rogue).json()]
    assert "grant_accepted" not in actions

    # The person's own code ends the hold: then the request is theirs to accept.
    unlocked = client.post(
        "/api/v1/me/unlock", headers=rogue, json={"code": codes[0], **OWN_PASSWORD}
    )
    assert unlocked.status_code == 204
    assert client.post(accept, headers=rogue).json()["status"] == "active"


def test_a_held_account_can_still_end_other_accesses(client: TestClient, rt: Runtime) -> None:
    """Ending an access widens no one's reach, so the hold does not stop it (SECURITY.md, the
    limit: the account may end the person's other helpers' accesses too)."""
    amina, claire, _org = setup(client, rt)
    admin = admin_headers(client, rt, "second.admin")
    eve = professional(client, admin, organisation(client, admin, "Secours"), "eve.durand")
    made = papers(client, amina)
    eve_grant = give(client, amina, eve, scopes=["view"], categories=["bank"])
    give(client, amina, claire, scopes=["recover"])
    rogue = reset_alone(client, amina, claire)
    bank = f"/api/v1/documents/{made['bank'][0]}"
    assert client.get(bank, headers=eve["headers"]).status_code == 200

    assert client.delete(f"/api/v1/grants/{eve_grant}", headers=rogue).status_code == 204
    assert client.get(bank, headers=eve["headers"]).status_code == 404
    statuses = {g["id"]: g["status"] for g in client.get("/api/v1/grants", headers=rogue).json()}
    assert statuses[eve_grant] == "revoked"
    assert client.get("/api/v1/me", headers=rogue).json()["hold"] is not None
    ended = [
        e
        for e in client.get("/api/v1/journal", headers=rogue).json()
        if e["action"] == "grant_revoked"
    ]
    assert [e["actor_id"] for e in ended] == [amina["id"]]


def test_wrong_unlock_codes_are_throttled(client: TestClient, rt: Runtime) -> None:
    """The code that ends a hold is a secret like the others: after the free tries even the
    person's own code waits, on the API and the page. A code of ~59 bits is counted per
    address, not per account: the account's wait, which anyone who knows the login can keep
    going, never stops the person's way in."""
    rt.settings.throttle_base_delay_seconds = 60
    amina, claire, _org = setup(client, rt)
    codes = own_codes(client, amina)
    give(client, amina, claire, scopes=["recover"])
    rogue = reset_alone(client, amina, claire)
    csrf = page_signed_in(client, "amina.diallo", NEW)
    unlock = "/api/v1/me/unlock"

    statuses = [
        client.post(
            unlock, headers=rogue, json={"code": "AAAA-BBBB-CCCC", **OWN_PASSWORD}
        ).status_code
        for _ in range(21)
    ]
    # 422, not 401: the session is good, only the code is wrong.
    assert statuses == [422] * 21
    right = client.post(unlock, headers=rogue, json={"code": codes[0], **OWN_PASSWORD})
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) >= 1
    on_page = client.post(
        "/compte/deverrouiller",
        data={"csrf": csrf, "code": codes[0], "password": MINE},
        headers=SAME_ORIGIN,
    )
    assert on_page.status_code == 429
    assert int(on_page.headers["retry-after"]) >= 1
    assert "Attendez" in on_page.text
    assert client.get("/api/v1/me", headers=rogue).json()["hold"] is not None
    # One address, one count: the sign-in from there waits too.
    assert (
        client.post("/api/v1/session", json={"login": "amina.diallo", "password": NEW}).status_code
        == 429
    )
    actions = [e["action"] for e in client.get("/api/v1/journal", headers=rogue).json()]
    assert actions.count("recovery_failed") == 21
    assert "hold_ended" not in actions


def test_a_refused_password_change_names_who_tried(client: TestClient, rt: Runtime) -> None:
    """A professional without the person's current "recover" scope who asks for a reset code,
    sets a new password or opens the page to do it is refused (404) and named in the person's
    history, one line a day however many times they try."""
    amina, claire, _org = setup(client, rt)
    give(client, amina, claire, scopes=["view"])
    for path, body in (("reset-code", REAUTH), ("password", WITH_PERSON)):
        answer = client.post(
            f"/api/v1/beneficiaries/{amina['id']}/{path}", headers=claire["headers"], json=body
        )
        assert answer.status_code == 404, answer.text
    page_signed_in(client, "claire.martin")
    assert client.get(f"/personnes/{amina['vault_id']}/mot-de-passe").status_code == 404
    lines = client.get("/api/v1/journal", headers=amina["headers"]).json()
    refused = [(e["actor_id"], e["count"]) for e in lines if e["action"] == "reset_refused"]
    assert refused == [(claire["id"], 3)]
    client.cookies.clear()
    page_signed_in(client, "amina.diallo")
    history = as_read(client.get("/historique", params={"quoi": "refus"}).text)
    assert (
        "Claire Martin, CCAS d&#39;Orléans, a essayé 3 fois de changer votre mot de passe, "
        "sans en avoir le droit." in history
    )


def test_a_held_account_without_closed_papers_is_shown_the_way_to_end_the_hold(
    client: TestClient, rt: Runtime
) -> None:
    """Review finding: the banner, hidden when no paper is closed, was the one lasting link to
    the page that ends the hold, which the hold's own refusals send the person to."""
    amina, claire, _org = setup(client, rt)
    own_codes(client, amina)
    give(client, amina, claire, scopes=["recover"])
    reset_alone(client, amina, claire)
    page_signed_in(client, "amina.diallo", NEW)
    papers = as_read(client.get("/papiers").text)
    assert "Certains papiers sont fermés" not in papers
    assert "Finir cette sécurité avec un code de secours" in papers
    assert 'href="/compte/deverrouiller"' in papers
