"""Recovery codes a professional saw give no more than a reset made by that professional.

Review finding: an account created « with the person present » hands the person's ten codes to
the professional (the API answer, their screen). They counted as the person's own: long after
the person ended the grant and changed her password, the professional took the account with
one, private papers open, no hold, a journal naming only the person. Now such a code starts the
same hold as a reset made with that professional, and the journal names them; the codes the
person makes herself later are hers, as before.

Second review finding: the code still worked once the professional had lost the "recover" scope
(the person ended the access, or their account was closed), and after the hold the account was
theirs. Now such a code works only while they could make that reset themselves, as a reset code
does."""

from typing import Any

from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD, admin_headers, organisation, professional
from tests.integration.accounts.test_assisted_reset import content, recover, signed_in
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_counsellor_help import CODE
from tests.integration.webui.test_pages import (
    SAME_ORIGIN,
    as_read,
    codes_in_force_of,
    csrf_of,
    page_sign_in,
    page_signed_in,
)
from tests.samples import pdf
from vault.accounts.erasure import close_account
from vault.db import transaction
from vault.models import Person
from vault.runtime import Runtime

MINE = "ma phrase a moi seule"
TAKEN = "le conseiller a la main"


def created_with_claire(client: TestClient, rt: Runtime) -> tuple[dict[str, Any], dict[str, Any]]:
    """Claire creates Amina's account with her (API); Amina, later and alone, signs in. Returns
    Amina (with the codes Claire saw) and Claire."""
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    created = client.post(
        "/api/v1/beneficiaries",
        headers=claire["headers"],
        json={
            "login": "amina.diallo",
            "display_name": "Amina Diallo",
            "password": PASSWORD,
            "consent": True,
        },
    )
    assert created.status_code == 201, created.text
    amina: dict[str, Any] = {
        **created.json(),
        "headers": signed_in(client, "amina.diallo", PASSWORD),
    }
    # The answer still carries the codes: the person prints them there.
    assert len(amina["recovery_codes"]) == 10
    return amina, claire


def alone_again(client: TestClient, amina: dict[str, Any]) -> str:
    """Amina adds a private paper and changes her password; the paper."""
    paper = upload(client, amina, pdf("lettre"), category="justice", title="Lettre de l'avocat")
    paper_id: str = paper.json()["id"]
    private = client.patch(
        f"/api/v1/documents/{paper_id}", headers=amina["headers"], json={"private": True}
    )
    assert private.status_code == 200
    changed = client.post(
        "/api/v1/me/password",
        headers=amina["headers"],
        json={"current_password": PASSWORD, "new_password": MINE},
    )
    assert changed.status_code == 204
    return paper_id


def test_a_code_the_counsellor_saw_holds_the_account_like_their_reset(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire = created_with_claire(client, rt)
    paper_id = alone_again(client, amina)

    # Claire uses a code of the answer she received at the creation.
    assert recover(client, "amina.diallo", amina["recovery_codes"][0], TAKEN).status_code == 204
    taken = signed_in(client, "amina.diallo", TAKEN)
    assert content(client, taken, paper_id).status_code == 423
    hold = client.get("/api/v1/me", headers=taken).json()["hold"]
    assert (hold["by_name"], hold["organisation_name"]) == ("Claire Martin", "CCAS d'Orléans")

    # The journal names Claire for the code and the new password, not the person.
    journal = client.get("/api/v1/journal?limit=5", headers=taken).json()
    used = [e for e in journal if e["action"] in ("recovery_code_used", "password_changed")]
    assert [(e["action"], e["actor_id"], e["actor_name"]) for e in used][:2] == [
        ("password_changed", claire["id"], "Claire Martin"),
        ("recovery_code_used", claire["id"], "Claire Martin"),
    ]

    # Her pages offer no way the hold refuses: no code of hers would open the papers, and no
    # new codes can be made before it ends.
    page_sign_in(client, "amina.diallo", TAKEN)
    papers = client.get("/papiers").text
    assert "Certains papiers sont fermés" in papers
    assert "Les ouvrir avec un code de secours" not in papers
    assert "Faites vos propres codes de secours" not in papers
    assert "Faites vos propres codes de secours" not in client.get("/compte").text
    history = as_read(client.get("/historique").text)
    assert (
        "Un code de secours vu par Claire Martin, CCAS d&#39;Orléans, "
        "a servi à changer votre mot de passe."
    ) in history

    # Another code Claire saw neither ends the hold nor gives new codes.
    unlock = "/api/v1/me/unlock"
    other = {"code": amina["recovery_codes"][1], "new_password": MINE}
    assert client.post(unlock, headers=taken, json=other).status_code == 422
    again = {"current_password": TAKEN}
    assert client.post("/api/v1/me/recovery-codes", headers=taken, json=again).status_code == 423
    assert content(client, taken, paper_id).status_code == 423


def test_codes_made_with_the_password_of_the_creation_are_as_seen(
    client: TestClient, rt: Runtime
) -> None:
    """Review finding: Claire, who sent the password of the account she created with Amina,
    signed in with it alone and made new codes, stored as Amina's own; once Amina had ended the
    access and changed her password, one of them took the account, private papers open. Codes
    made before Amina chooses a password of her own are as seen as those of the creation."""
    amina, _claire = created_with_claire(client, rt)
    as_amina = signed_in(client, "amina.diallo", PASSWORD)
    made = client.post(
        "/api/v1/me/recovery-codes", headers=as_amina, json={"current_password": PASSWORD}
    )
    assert made.status_code == 201
    codes = made.json()["codes"]
    page_sign_in(client, "amina.diallo")
    told = as_read(client.get("/compte").text)
    assert "Changez d'abord votre mot de passe, puis faites vos propres codes" in told
    paper_id = alone_again(client, amina)  # a private paper, a password of her own
    ended = client.delete(f"/api/v1/grants/{amina['grant_id']}", headers=amina["headers"])
    assert ended.status_code == 204
    assert recover(client, "amina.diallo", codes[0], TAKEN).status_code == 401
    mine = signed_in(client, "amina.diallo", MINE)
    assert content(client, mine, paper_id).status_code == 200
    # With a password of her own, the codes she makes are hers.
    own = client.post("/api/v1/me/recovery-codes", headers=mine, json={"current_password": MINE})
    assert recover(client, "amina.diallo", own.json()["codes"][0], TAKEN).status_code == 204


def test_no_banner_of_closed_papers_for_someone_who_has_none(
    client: TestClient, rt: Runtime
) -> None:
    """Review of the pages: « Certains papiers sont fermés » stood above « Vous n'avez pas encore
    de papier », and a person could think her papers were gone."""
    amina, _claire = created_with_claire(client, rt)
    assert recover(client, "amina.diallo", amina["recovery_codes"][0], TAKEN).status_code == 204
    taken = signed_in(client, "amina.diallo", TAKEN)
    assert client.get("/api/v1/me", headers=taken).json()["hold"] is not None
    page_sign_in(client, "amina.diallo", TAKEN)
    papers = client.get("/papiers").text
    assert "Vous n'avez pas encore de papier" in papers
    assert "Certains papiers sont fermés" not in papers


def test_a_code_the_counsellor_saw_is_void_once_the_access_ends(
    client: TestClient, rt: Runtime
) -> None:
    amina, _claire = created_with_claire(client, rt)
    paper_id = alone_again(client, amina)
    ended = client.delete(f"/api/v1/grants/{amina['grant_id']}", headers=amina["headers"])
    assert ended.status_code == 204

    # Claire could no longer reset the password herself: a code she saw no longer does.
    assert recover(client, "amina.diallo", amina["recovery_codes"][0], TAKEN).status_code == 401
    mine = signed_in(client, "amina.diallo", MINE)
    assert content(client, mine, paper_id).status_code == 200
    journal = client.get("/api/v1/journal?limit=5", headers=mine).json()
    assert "recovery_failed" in [e["action"] for e in journal]


def test_a_code_the_counsellor_saw_stays_void_under_an_access_given_again(
    client: TestClient, rt: Runtime
) -> None:
    """Review finding: once the person ended the access and later gave "recover" again, a code
    Claire had seen at the creation worked again, with neither her password nor her app's
    code, which a reset code asks her for. A new access is a new consent, as for links."""
    amina, claire = created_with_claire(client, rt)
    alone_again(client, amina)
    ended = client.delete(f"/api/v1/grants/{amina['grant_id']}", headers=amina["headers"])
    assert ended.status_code == 204
    again = client.post(
        "/api/v1/grants",
        headers=amina["headers"],
        json={"counsellor_id": claire["id"], "scopes": ["recover"], "current_password": MINE},
    )
    assert again.status_code == 201, again.text
    assert recover(client, "amina.diallo", amina["recovery_codes"][1], TAKEN).status_code == 401
    assert signed_in(client, "amina.diallo", MINE)


def test_a_code_the_counsellor_saw_is_void_once_their_account_is_closed(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire = created_with_claire(client, rt)
    paper_id = alone_again(client, amina)
    with transaction(rt.sessions) as db:
        close_account(db, db.get_one(Person, claire["id"]), None)

    assert recover(client, "amina.diallo", amina["recovery_codes"][0], TAKEN).status_code == 401
    mine = signed_in(client, "amina.diallo", MINE)
    assert content(client, mine, paper_id).status_code == 200


def test_codes_the_person_makes_herself_afterwards_are_her_own(
    client: TestClient, rt: Runtime
) -> None:
    amina, _claire = created_with_claire(client, rt)
    paper_id = alone_again(client, amina)
    own = client.post(
        "/api/v1/me/recovery-codes", headers=amina["headers"], json={"current_password": MINE}
    )
    assert own.status_code == 201, own.text

    # The codes Claire saw stopped working; Amina's own give her account back, whole.
    assert recover(client, "amina.diallo", amina["recovery_codes"][0], TAKEN).status_code == 401
    assert recover(client, "amina.diallo", own.json()["codes"][0], TAKEN).status_code == 204
    back = signed_in(client, "amina.diallo", TAKEN)
    assert client.get("/api/v1/me", headers=back).json()["hold"] is None
    assert content(client, back, paper_id).status_code == 200


def test_the_account_page_asks_for_own_codes_after_a_creation_in_person(
    client: TestClient, rt: Runtime
) -> None:
    admin = admin_headers(client, rt)
    professional(client, admin, organisation(client, admin), "claire.martin")
    csrf = page_signed_in(client, "claire.martin")
    made = client.post(
        "/personnes/nouvelle",
        data={
            "csrf": csrf,
            "display_name": "Amina Diallo",
            "login": "amina.diallo",
            "password": PASSWORD,
            "consent": "yes",
        },
        headers=SAME_ORIGIN,
    )
    assert made.status_code == 200
    seen = sorted(set(CODE.findall(made.text)))
    assert len(seen) == 10

    # Amina, at home: her account page asks her to make codes no one else has seen.
    client.cookies.clear()
    landing = page_sign_in(client, "amina.diallo")
    invitation = "Faites vos propres codes de secours"
    assert invitation in client.get(landing).text
    account = client.get("/compte")
    # The password was typed in front of Claire: a new one first, then her own codes.
    assert "Changez d'abord votre mot de passe, puis faites vos propres codes" in as_read(
        account.text
    )
    changed = client.post(
        "/compte/mot-de-passe",
        data={"csrf": csrf_of(account.text), "current_password": PASSWORD, "password": MINE},
        headers=SAME_ORIGIN,
    )
    assert changed.status_code == 200
    account = client.get("/compte")
    assert "Faites vos propres codes de secours : personne" in as_read(account.text)

    # Once she has, the page no longer asks.
    own = client.post(
        "/compte/codes",
        data={
            "csrf": csrf_of(account.text),
            "current_password": MINE,
            "codes_in_force": codes_in_force_of(account.text),
        },
        headers=SAME_ORIGIN,
    )
    assert own.status_code == 200
    assert invitation not in client.get("/compte").text
    assert invitation not in client.get(landing).text
