"""The pages that say why the safe can be trusted: how papers are protected, who runs the
service, and help. They open with or without a session, and every page links to them."""

import html
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.integration.vault.test_documents_api import upload
from tests.integration.webui.test_pages import page_sign_in
from tests.samples import pdf
from vault.config import Settings
from vault.runtime import Runtime
from vault.wiring import build_runtime
from webui.app import create_app

TRUST_PAGES = {
    "/protection": "Comment mes papiers sont protégés",
    "/qui-gere": "Qui gère ce service",
    "/aide": "Aide",
}
NOT_FILLED = "La personne qui gère ce coffre n'a pas encore rempli ces informations."


@pytest.fixture
def operated(settings: Settings) -> Iterator[TestClient]:
    """A coffre whose operator filled in who they are."""
    runtime = build_runtime(
        settings.model_copy(
            update={
                "operator_name": "CCAS de Lyon <équipe numérique>",
                "operator_contact": (
                    "coffre@ccas-lyon.example\n04 72 00 00 00\n1 place de la Mairie"
                ),
                "operator_legal_notice": "Directeur de la publication : M. Dupont.\n\n"
                "Hébergement : un serveur à Lyon.",
                "project_url": "https://code.example/coffre",
            }
        )
    )
    with TestClient(create_app(runtime=runtime), base_url="http://coffre.test") as test_client:
        yield test_client
    runtime.engine.dispose()


def text_of(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.text)
    return html.unescape(answer.text)


def footer_links(text: str) -> list[str]:
    footer = text.split('<footer class="foot">', 1)[1].split("</footer>", 1)[0]
    return [path for path in TRUST_PAGES if f'href="{path}"' in footer]


@pytest.mark.parametrize("path", list(TRUST_PAGES))
def test_trust_pages_open_without_a_session(client: TestClient, path: str) -> None:
    text = text_of(client, path)
    assert f"<h1>{TRUST_PAGES[path]}</h1>" in text
    assert "Quitter</button>" not in text
    assert footer_links(text) == list(TRUST_PAGES)


def test_trust_pages_show_the_usual_header_when_signed_in(
    client: TestClient, amina: dict[str, Any]
) -> None:
    page_sign_in(client, "amina.diallo")
    for path in TRUST_PAGES:
        text = text_of(client, path)
        assert "Quitter</button>" in text, path
        assert 'href="/papiers"' in text, path


def test_every_page_links_to_the_trust_pages(client: TestClient, amina: dict[str, Any]) -> None:
    for path in ("/connexion", "/inscription", "/mot-de-passe-oublie", "/au-revoir"):
        assert footer_links(text_of(client, path)) == list(TRUST_PAGES), path
    page_sign_in(client, "amina.diallo")
    for path in ("/papiers", "/acces", "/historique", "/compte"):
        assert footer_links(text_of(client, path)) == list(TRUST_PAGES), path


def test_the_protection_page_promises_no_more_than_security_md(
    client: TestClient, rt: Runtime
) -> None:
    text = text_of(client, "/protection")
    for heading in ("Vos papiers sont chiffrés", "Qui peut voir vos papiers"):
        assert heading in text
    # Helpers see what the person chose, and each look is in the history.
    assert "Historique" in text
    assert "Qui voit mes papiers" in text
    # Administrators cannot read papers through coffre, but the service holds the keys.
    assert "ne peuvent pas lire vos papiers avec coffre" in text
    assert "le service garde les clés" in text
    # A shared computer: Quitter, and the idle sign-out after the instance's delay.
    assert "« Quitter »" in text
    assert f"{rt.settings.session_idle_minutes} minutes" in text
    assert "Vous seul" not in text
    assert 'aria-hidden="true"' in text.split("<h2>", 1)[1]


def test_no_page_says_only_you_can_see_the_papers(
    client: TestClient, amina: dict[str, Any]
) -> None:
    """SECURITY.md promises that helpers see only what the person gave them, and private
    papers never; not that nobody else could ever see them."""
    assert "Vous seul" not in text_of(client, "/inscription")
    paper = upload(client, amina, pdf()).json()["id"]
    hidden = client.patch(
        f"/api/v1/documents/{paper}", headers=amina["headers"], json={"private": True}
    )
    assert hidden.status_code == 200
    page_sign_in(client, "amina.diallo")
    private = text_of(client, f"/papiers/{paper}")
    assert "Ce papier est privé : il n'est jamais montré aux personnes qui vous aident." in private
    no_access = text_of(client, "/acces")
    assert "Personne d'autre que vous" not in no_access
    assert "Personne n'a d'accès en ce moment." in no_access


def test_who_runs_the_service_before_the_operator_fills_it_in(client: TestClient) -> None:
    text = text_of(client, "/qui-gere")
    assert NOT_FILLED in text
    assert "coffre" in text
    assert "logiciel libre" in text
    help_text = text_of(client, "/aide")
    assert "La personne qui gère ce coffre n'a pas encore donné de contact." in help_text


def test_who_runs_the_service_from_the_settings(operated: TestClient) -> None:
    answer = operated.get("/qui-gere")
    assert "CCAS de Lyon &lt;équipe numérique&gt;" in answer.text  # escaped, never markup
    text = html.unescape(answer.text)
    assert NOT_FILLED not in text
    for line in ("coffre@ccas-lyon.example", "04 72 00 00 00", "1 place de la Mairie"):
        assert line in text
    assert "Directeur de la publication : M. Dupont." in text
    assert "Hébergement : un serveur à Lyon." in text
    assert 'href="https://code.example/coffre"' in text
    help_text = text_of(operated, "/aide")
    assert "CCAS de Lyon <équipe numérique>" in help_text
    assert "04 72 00 00 00" in help_text


def test_the_project_link_must_be_a_web_address(settings: Settings) -> None:
    for bad in ("javascript:alert(1)", "code.example/coffre", "ftp://code.example"):
        with pytest.raises(ValidationError):
            Settings(_env_file=None, data_dir=settings.data_dir, project_url=bad)
    assert Settings(_env_file=None, project_url="https://code.example/c").project_url


def test_help_page_explains_the_main_steps(client: TestClient) -> None:
    text = text_of(client, "/aide")
    for words in (
        "Ajouter un papier",
        "Qui voit mes papiers",
        'href="/mot-de-passe-oublie"',
        "codes de secours",
        "identifiant",
    ):
        assert words in text, words
