"""« Ajouter un papier » for someone else, in pages: the helper lands where they may look, told
the paper is in the person's vault; a helper who may add but not open that paper is sent to
the person's page, not to the paper, which they would be refused (and the person told so)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.app_fixtures import admin_headers, organisation, professional, sign_up
from tests.integration.consent.test_grants import grant
from tests.integration.webui.test_pages import SAME_ORIGIN, as_read, page_signed_in
from tests.samples import pdf
from vault.audit.journal import ACCESS_REFUSED
from vault.db import transaction
from vault.models import JournalEvent
from vault.runtime import Runtime

ADDED = "Le papier est dans le coffre de Amina Diallo."


def add_for(client: TestClient, vault_id: str, category: str) -> Any:
    """Claire, signed in on the pages, adds a paper to the vault and follows the answer."""
    client.cookies.clear()
    csrf = page_signed_in(client, "claire.martin")
    return client.post(
        f"/papiers/ajouter?coffre={vault_id}",
        data={"csrf": csrf, "category": category, "title": "Attestation CAF"},
        files={"file": ("a.pdf", pdf("attestation"), "application/pdf")},
        headers=SAME_ORIGIN,
    )


@pytest.mark.parametrize(
    "grants",
    [
        [{"scopes": ["upload"]}],
        [{"scopes": ["upload"]}, {"scopes": ["view"], "categories": ["taxes"]}],
    ],
    ids=["upload-only", "view-for-other-papers"],
)
def test_a_helper_who_may_not_open_the_paper_lands_on_the_persons_page(
    client: TestClient, rt: Runtime, grants: list[dict[str, Any]]
) -> None:
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    amina = sign_up(client, "amina.diallo")
    for terms in grants:
        grant(client, amina, counsellor_id=claire["id"], **terms)
    added = add_for(client, amina["vault_id"], "income")
    assert added.status_code == 200, added.text
    assert added.url.path == f"/personnes/{amina['vault_id']}"
    assert ADDED in as_read(added.text)
    assert "Attestation CAF" not in added.text
    with transaction(rt.sessions) as db:
        refused = db.scalars(
            select(JournalEvent).where(JournalEvent.action == ACCESS_REFUSED)
        ).all()
    assert refused == []


def test_a_helper_who_may_open_the_paper_lands_on_it(client: TestClient, rt: Runtime) -> None:
    admin = admin_headers(client, rt)
    claire = professional(client, admin, organisation(client, admin), "claire.martin")
    amina = sign_up(client, "amina.diallo")
    grant(client, amina, counsellor_id=claire["id"], scopes=["upload", "view"])
    added = add_for(client, amina["vault_id"], "income")
    assert added.status_code == 200, added.text
    assert added.url.path.startswith("/papiers/")
    assert ADDED in as_read(added.text)
    assert "Attestation CAF" in added.text


def test_the_form_says_for_whom_and_only_to_a_helper(client: TestClient, rt: Runtime) -> None:
    """Review of the pages: the form said only « Ajouter un papier », and a helper with several
    people could add to the wrong one. Someone without an access reads no name."""
    admin = admin_headers(client, rt)
    org = organisation(client, admin)
    claire = professional(client, admin, org, "claire.martin")
    professional(client, admin, org, "paul.durand")
    amina = sign_up(client, "amina.diallo")
    grant(client, amina, counsellor_id=claire["id"], scopes=["upload"])
    form = f"/papiers/ajouter?coffre={amina['vault_id']}"
    client.cookies.clear()
    page_signed_in(client, "claire.martin")
    assert "Ajouter un papier pour Amina Diallo" in as_read(client.get(form).text)
    asked = client.get("/personnes/demande").text
    assert "voir ses papiers" in asked
    assert "voir vos papiers" not in asked
    client.cookies.clear()
    page_signed_in(client, "paul.durand")
    stranger = as_read(client.get(form).text)
    assert "Ajouter un papier" in stranger
    assert "Amina" not in stranger
