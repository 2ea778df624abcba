"""The API's refusals speak the language the pages would: the signed-in caller's stored choice,
else the switch's cookie, else Accept-Language, else French. Only `detail` changes: the status,
the `field` and the headers are the same in every language. Expected words come from the
catalogues, with their parameters put in after translation, as the pages do."""

import uuid
from typing import Any

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import select

from storage.base import BlobStoreError
from tests.app_fixtures import PASSWORD, admin_headers, organisation, professional, sign_up
from tests.integration.accounts.test_assisted_reset import give, papers, reset_alone, setup
from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_languages import switched_to
from tests.integration.webui.test_pages import page_signed_in
from tests.samples import pdf
from vault.accounts.hold import gate_for
from vault.db import transaction
from vault.errors import ThrottledError, VaultError
from vault.models import Person
from vault.runtime import Runtime
from webui import i18n
from webui.app import create_app

MiB = 1024 * 1024
WRONG_SIGN_IN = "Identifiant ou mot de passe incorrect."


def said(language: str, message: str, **params: str | int) -> str:
    """`message` as the catalogue of `language` gives it (a translation this test needs, so
    it must be there), with its parameters."""
    with i18n.speaking(language):
        translated = i18n.gettext(message)
    assert translated != message, f"no {language} translation of {message!r}"
    return translated % params if params else translated


def refusal_in(language: str, error: VaultError) -> str:
    with i18n.speaking(language):
        return i18n.error_text(error)


def in_arabic(client: TestClient, who: dict[str, Any]) -> dict[str, Any]:
    """`who` has chosen Arabic; their client asks for English every other way, which must lose."""
    chosen = client.patch("/api/v1/me", headers=who["headers"], json={"preferred_language": "ar"})
    assert chosen.status_code == 200, chosen.text
    switched_to(client, "en")
    who["headers"] = {**who["headers"], "Accept-Language": "en"}
    return who


def test_a_paper_not_found_is_told_in_the_persons_language(
    client: TestClient, amina: dict[str, Any]
) -> None:
    in_arabic(client, amina)
    answer = client.get(f"/api/v1/documents/{uuid.uuid4()}", headers=amina["headers"])
    assert answer.status_code == 404
    assert answer.json() == {"detail": said("ar", "Ce document n'existe pas."), "field": None}


def test_bad_fields_keep_their_field_in_the_persons_language(
    client: TestClient, amina: dict[str, Any]
) -> None:
    in_arabic(client, amina)
    refused_by_the_domain = client.patch(
        "/api/v1/me", headers=amina["headers"], json={"preferred_language": "de"}
    )
    assert refused_by_the_domain.status_code == 422
    assert refused_by_the_domain.json() == {
        "detail": said("ar", "Cette langue n'est pas proposée."),
        "field": "preferred_language",
    }
    refused_by_the_schema = client.patch(
        "/api/v1/me", headers=amina["headers"], json={"preferred_language": 5}
    )
    assert refused_by_the_schema.status_code == 422
    assert refused_by_the_schema.json() == {
        "detail": said("ar", "Un champ manque ou n'est pas valide."),
        "field": "preferred_language",
    }


def test_over_the_room_left_says_the_size_in_the_persons_language(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    in_arabic(client, amina)
    assert upload(client, amina, pdf("first", padding=MiB)).status_code == 201
    rt.settings.quota_bytes = 4 * MiB
    answer = upload(client, amina, pdf("second", padding=4 * MiB))
    assert answer.status_code == 413
    assert answer.json() == {
        "detail": said("ar", "Il reste %(megabytes)s Mo de place dans votre coffre.", megabytes=2),
        "field": "file",
    }


def test_a_login_taken_is_a_conflict_in_the_counsellors_language(
    client: TestClient, rt: Runtime
) -> None:
    admin = admin_headers(client, rt)
    claire = in_arabic(
        client, professional(client, admin, organisation(client, admin), "claire.martin")
    )
    sign_up(client, "moussa.t")
    taken = client.post(
        "/api/v1/beneficiaries",
        headers=claire["headers"],
        json={
            "login": "moussa.t",
            "display_name": "Moussa T",
            "password": PASSWORD,
            "consent": True,
        },
    )
    assert taken.status_code == 409
    assert taken.json() == {
        "detail": said("ar", "Cet identifiant est déjà pris. Choisissez-en un autre."),
        "field": "login",
    }


def test_a_held_paper_names_the_helper_and_dates_in_the_persons_language(
    client: TestClient, rt: Runtime
) -> None:
    amina, claire, _org = setup(client, rt)
    made = papers(client, amina)
    give(client, amina, claire, scopes=["recover"], categories=["identity"])
    rogue = in_arabic(client, {"headers": reset_alone(client, amina, claire)})
    answer = client.get(f"/api/v1/documents/{made['bank'][0]}", headers=rogue["headers"])
    assert answer.status_code == 423
    with transaction(rt.sessions) as db:
        person = db.scalars(select(Person).where(Person.login == "amina.diallo")).one()
        gate = gate_for(db, rt.settings, person)
        assert gate is not None
        refusal = gate.refusal()
    assert answer.json() == {"detail": refusal_in("ar", refusal), "field": None}
    assert "Claire Martin" in answer.json()["detail"]
    assert answer.json()["detail"] != refusal.message


def test_throttled_secrets_say_how_long_to_wait_in_the_persons_language(
    client: TestClient, rt: Runtime, amina: dict[str, Any]
) -> None:
    rt.settings.throttle_base_delay_seconds = 60
    in_arabic(client, amina)
    for _ in range(6):
        wrong = client.post(
            "/api/v1/me/recovery-codes",
            headers=amina["headers"],
            json={"current_password": "pas la bonne phrase"},
        )
        assert wrong.status_code == 422
        assert wrong.json() == {
            "detail": said("ar", "Le mot de passe actuel n'est pas bon."),
            "field": "current_password",
        }
    blocked = client.post(
        "/api/v1/me/recovery-codes", headers=amina["headers"], json={"current_password": PASSWORD}
    )
    assert blocked.status_code == 429
    wait = ThrottledError(int(blocked.headers["retry-after"]))
    assert blocked.json() == {"detail": refusal_in("ar", wait), "field": None}
    assert blocked.json()["detail"] != wait.message


def test_a_store_failure_is_told_in_the_persons_language(
    client: TestClient, rt: Runtime, amina: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answered without asking the database again: the person's choice came with their token."""
    in_arabic(client, amina)

    def store_gone(*_: object) -> int:
        raise BlobStoreError("the store went away")

    monkeypatch.setattr(rt.store, "put", store_gone)
    answer = upload(client, amina, pdf())
    assert answer.status_code == 503
    assert answer.json() == {
        "detail": said(
            "ar", "Le service est momentanément indisponible. Réessayez dans quelques minutes."
        ),
        "field": None,
    }


def test_a_wrong_sign_in_speaks_the_browsers_language(client: TestClient) -> None:
    wrong = client.post(
        "/api/v1/session",
        json={"login": "personne.ici", "password": "pas le bon"},
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert wrong.json() == {"detail": said("en", WRONG_SIGN_IN), "field": None}


def test_the_switch_cookie_chooses_before_the_browser(client: TestClient) -> None:
    switched_to(client, "ar")
    wrong = client.post(
        "/api/v1/session",
        json={"login": "personne.ici", "password": "pas le bon"},
        headers={"Accept-Language": "en"},
    )
    assert wrong.json()["detail"] == said("ar", WRONG_SIGN_IN)


def test_a_refused_token_is_told_in_the_browsers_language(client: TestClient) -> None:
    refused = client.get(
        "/api/v1/me", headers={"Authorization": "Bearer not-a-token", "Accept-Language": "ar"}
    )
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.json() == {"detail": said("ar", "Connectez-vous pour continuer."), "field": None}


def test_a_browser_signed_in_on_the_pages_gets_its_stored_language(
    client: TestClient, amina: dict[str, Any]
) -> None:
    """The API takes no session cookie, but the first page set the switch's to the stored choice."""
    client.patch("/api/v1/me", headers=amina["headers"], json={"preferred_language": "ar"})
    page_signed_in(client, "amina.diallo")
    refused = client.get("/api/v1/vaults/me/documents", headers={"Accept-Language": "en"})
    assert refused.status_code == 401
    assert refused.json()["detail"] == said("ar", "Connectez-vous pour continuer.")


def test_an_unknown_address_is_told_in_the_browsers_language(client: TestClient) -> None:
    missing = client.get("/api/v1/nowhere", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": said("en", "Cette page n'existe pas."), "field": None}


def test_without_any_choice_the_api_answers_in_french(
    client: TestClient, amina: dict[str, Any]
) -> None:
    answer = client.get(f"/api/v1/documents/{uuid.uuid4()}", headers=amina["headers"])
    assert answer.json()["detail"] == "Ce document n'existe pas."
    german = client.post(
        "/api/v1/session",
        json={"login": "personne.ici", "password": "pas le bon"},
        headers={"Accept-Language": "de"},
    )
    assert german.json()["detail"] == WRONG_SIGN_IN


def test_a_message_outside_the_catalogues_stays_french(rt: Runtime) -> None:
    app = create_app(runtime=rt)

    def teapot() -> None:
        raise HTTPException(status_code=418, detail="Une phrase hors des catalogues.")

    app.add_api_route("/api/v1/teapot", teapot)
    with TestClient(app, base_url="http://coffre.test") as client:
        answer = client.get("/api/v1/teapot", headers={"Accept-Language": "ar"})
    assert answer.status_code == 418
    assert answer.json() == {"detail": "Une phrase hors des catalogues.", "field": None}
