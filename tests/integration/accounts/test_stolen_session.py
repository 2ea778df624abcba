"""A session left open on a shared computer by someone who did not say "not my computer": the
tab holds their device cookie too. What it buys the next person at the keyboard, and how a
counsellor the person trusts lifts the wait that follows."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.app_fixtures import PASSWORD, PROVISIONAL_PASSWORD, admin_headers, professional, sign_up
from tests.integration.accounts.test_reauthentication import WRONG, journal_actions
from tests.integration.consent.test_grants import grant, setup
from tests.integration.consent.test_member_closed import team
from tests.integration.webui.test_forms_keep_values import page_sign_in
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read
from vault.db import transaction
from vault.models import Throttle
from vault.runtime import Runtime


def api_sign_in(client: TestClient, login: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/session", json={"login": login, "password": password})


def lift(
    client: TestClient,
    person: dict[str, Any],
    helper: dict[str, Any],
    password: str | None = PASSWORD,
) -> Any:
    """The helper lifts the person's wait after failed sign-ins, with their own password."""
    return client.request(
        "DELETE",
        f"/api/v1/beneficiaries/{person['user']['id']}/sign-in-delay",
        headers=helper["headers"],
        json={} if password is None else {"current_password": password},
    )


def test_a_stolen_session_with_the_device_cookie_gets_a_few_more_guesses(
    client: TestClient, rt: Runtime
) -> None:
    """The device's 5 tries first, which leave the person's own sign-in alone, then the
    account's 5 free ones: past those even the right password waits, in the tab and at the
    sign-in, and every guess is in the person's history."""
    rt.settings.throttle_base_delay_seconds = 60
    amina = sign_up(client, "amina.diallo")
    csrf = page_sign_in(client, "amina.diallo")
    assert client.cookies.get("coffre_device")

    def guess(password: str) -> int:
        form = {"csrf": csrf, "current_password": password}
        status: int = client.post("/compte/codes", data=form, headers=SAME_ORIGIN).status_code
        return status

    assert [guess(f"{WRONG} {n}") for n in range(5)] == [422] * 5
    # Counted on the device alone: the account's count is untouched, the person gets in.
    assert api_sign_in(client, "amina.diallo").status_code == 201
    assert [guess(f"{WRONG} {n}") for n in range(5, 11)] == [422] * 6
    assert guess(PASSWORD) == 429
    assert api_sign_in(client, "amina.diallo").status_code == 429
    # The session the person opened at the start is still theirs.
    assert journal_actions(client, amina["headers"]).count("reauthentication_failed") == 11


def test_a_counsellor_with_recover_lifts_the_sign_in_delay(client: TestClient, rt: Runtime) -> None:
    """The account's wait ends, not the address's: knowing one password buys no more guesses
    at others. The person sees who lifted it."""
    rt.settings.throttle_base_delay_seconds = 60
    amina, claire, org_id = setup(client, rt)
    bruno = professional(client, admin_headers(client, rt, "second.admin"), org_id, "bruno.roux")
    grant(client, amina, counsellor_id=claire["id"], scopes=["recover"])
    grant(client, amina, counsellor_id=bruno["id"], scopes=["view", "upload", "manage"])
    assert [api_sign_in(client, "amina.diallo", WRONG).status_code for _ in range(6)] == [401] * 6
    assert api_sign_in(client, "amina.diallo").status_code == 429
    assert lift(client, amina, bruno).status_code == 404
    assert api_sign_in(client, "amina.diallo").status_code == 429
    assert lift(client, amina, claire).status_code == 204

    with transaction(rt.sessions) as db:
        kept = {row.key: row.failures for row in db.scalars(select(Throttle))}
    assert "login:amina.diallo" not in kept
    assert kept["addr:testclient"] == 6
    assert api_sign_in(client, "amina.diallo").status_code == 201
    lines = client.get("/api/v1/journal", headers=amina["headers"]).json()
    [cleared] = [line for line in lines if line["action"] == "throttle_cleared"]
    assert (cleared["actor_id"], cleared["organisation_name"]) == (claire["id"], "CCAS d'Orléans")
    # Bruno, without "recover", was refused: his attempt is in her history too.
    [refused] = [line for line in lines if line["action"] == "reset_refused"]
    assert refused["actor_id"] == bruno["id"]
    page_sign_in(client, "amina.diallo")
    history = as_read(client.get("/historique").text)
    assert (
        "Claire Martin, CCAS d&#39;Orléans, a levé l&#39;attente après des erreurs de mot de passe."
        in history
    )


def test_a_stolen_counsellor_session_changes_no_password(client: TestClient, rt: Runtime) -> None:
    """Whoever finds Claire's tab open holds her session, not her password: neither a new
    password for Amina nor a code to hand over, through the API or the pages, without it.
    Each wrong guess is in Claire's history and counts against her sign-in."""
    amina, claire, _org_id = setup(client, rt)
    grant(client, amina, counsellor_id=claire["id"], scopes=["recover"])
    person = f"/api/v1/beneficiaries/{amina['user']['id']}"
    new = {"new_password": "le voleur choisit celui-ci"}
    guessed = {"current_password": WRONG}
    for path, body in (
        ("password", new),
        ("password", {**new, **guessed}),
        ("reset-code", {}),
        ("reset-code", guessed),
    ):
        answer = client.post(f"{person}/{path}", headers=claire["headers"], json=body)
        assert (answer.status_code, answer.json()["field"]) == (422, "current_password")
    assert client.post(f"{person}/reset-code", headers=claire["headers"]).status_code == 422

    csrf = page_sign_in(client, "claire.martin")
    help_page = f"/personnes/{amina['vault_id']}/mot-de-passe"
    for path, form in (
        (help_page, {"password": new["new_password"], "current_password": WRONG}),
        (f"{help_page}/code", {"current_password": WRONG}),
    ):
        refused = client.post(path, data={"csrf": csrf, **form}, headers=SAME_ORIGIN)
        assert refused.status_code == 422
        assert "Le mot de passe actuel n&#39;est pas bon." in refused.text
        assert "Donnez ce code" not in refused.text

    assert api_sign_in(client, "amina.diallo").status_code == 201
    assert journal_actions(client, claire["headers"]).count("reauthentication_failed") == 4
    assert not {"password_changed", "reset_code_issued"} & set(
        journal_actions(client, amina["headers"])
    )


def test_a_stolen_organisation_admin_session_adds_no_one(client: TestClient, rt: Runtime) -> None:
    """A professional added to an organisation reaches what people gave it: whoever finds
    Nadia's tab open adds no account of their own, nor an existing one, without her password.
    Each wrong guess is in Nadia's history."""
    t = team(client, rt)
    org = f"/api/v1/organisations/{t['ccas']}"
    newcomer = {"login": "x.complice", "display_name": "X", "password": PROVISIONAL_PASSWORD}
    existing = {"login": "claire.martin"}
    for path, body in (
        ("counsellors", newcomer),
        ("counsellors", {**newcomer, "current_password": WRONG}),
        ("members", existing),
        ("members", {**existing, "current_password": WRONG}),
    ):
        answer = client.post(f"{org}/{path}", headers=t["nadia"]["headers"], json=body)
        assert (answer.status_code, answer.json()["field"]) == (422, "current_password")

    csrf = page_sign_in(client, "nadia.responsable")
    for path, form in (
        ("conseillers", {**newcomer, "current_password": WRONG}),
        ("membres", {**existing, "current_password": WRONG}),
    ):
        refused = client.post(
            f"/organisation/{t['ccas']}/{path}", data={"csrf": csrf, **form}, headers=SAME_ORIGIN
        )
        assert refused.status_code == 422
        assert "Le mot de passe actuel n&#39;est pas bon." in refused.text

    members = client.get(f"{org}/counsellors", headers=t["nadia"]["headers"]).json()
    assert "x.complice" not in {m["login"] for m in members}
    assert journal_actions(client, t["nadia"]["headers"]).count("reauthentication_failed") == 4


def test_a_counsellors_session_alone_does_not_lift_the_wait(
    client: TestClient, rt: Runtime
) -> None:
    """Whoever finds a counsellor's session open cannot lift a person's wait again and again
    while guessing her password: the counsellor's own password is asked first, and wrong ones
    count against the counsellor's account and are in their history."""
    rt.settings.throttle_base_delay_seconds = 60
    amina, claire, _org_id = setup(client, rt)
    grant(client, amina, counsellor_id=claire["id"], scopes=["recover"])
    assert [api_sign_in(client, "amina.diallo", WRONG).status_code for _ in range(6)] == [401] * 6

    missing = lift(client, amina, claire, password=None)
    assert (missing.status_code, missing.json()["field"]) == (422, "current_password")
    wrong = lift(client, amina, claire, password=WRONG)
    assert (wrong.status_code, wrong.json()["field"]) == (422, "current_password")
    assert api_sign_in(client, "amina.diallo").status_code == 429
    with transaction(rt.sessions) as db:
        assert db.get_one(Throttle, "login:amina.diallo").failures == 6
    assert "throttle_cleared" not in journal_actions(client, amina["headers"])
    assert "reauthentication_failed" in journal_actions(client, claire["headers"])

    assert lift(client, amina, claire).status_code == 204
    assert api_sign_in(client, "amina.diallo").status_code == 201
