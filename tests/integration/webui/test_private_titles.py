"""A browser keeps every page's title in its history, and offers it to the next person who types
in the address bar of a shared computer (a day centre, a library, a CCAS's front desk). So no
page's title carries a paper's title or a person's name: they are in the page, never in its
<title>."""

import html
import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD, REAUTH
from tests.integration.consent.test_grants import grant
from tests.integration.consent.test_member_closed import team
from tests.integration.webui.test_pages import SAME_ORIGIN, csrf_of, page_sign_in
from vault.runtime import Runtime

PAPER_TITLE = "Titre de séjour Amina"


def title_of(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
    assert found, "a page without a title"
    return html.unescape(found.group(1))


def test_no_page_title_names_a_paper_or_a_person(client: TestClient, rt: Runtime) -> None:
    t = team(client, rt)
    amina = t["amina"]
    paper = f"/papiers/{t['paper']}"
    renamed = client.patch(
        f"/api/v1/documents/{t['paper']}", headers=amina["headers"], json={"title": PAPER_TITLE}
    )
    assert renamed.status_code == 200, renamed.text
    grant(client, amina, counsellor_id=t["claire"]["id"], scopes=["view", "manage", "recover"])
    vault = amina["vault_id"]
    titles: dict[str, str] = {}

    page_sign_in(client, "amina.diallo")
    for path in (
        paper,
        f"{paper}/voir",
        f"{paper}/modifier",
        f"{paper}/telecharger",
        f"{paper}/supprimer",
        f"{paper}/envoyer",
        f"{paper}/liens",
    ):
        shown = client.get(path)
        assert shown.status_code == 200, path
        assert PAPER_TITLE in html.unescape(shown.text), path
        titles[path] = title_of(shown.text)

    page_sign_in(client, "claire.martin")
    for path in (f"/personnes/{vault}", f"/personnes/{vault}/mot-de-passe", paper):
        shown = client.get(path)
        assert shown.status_code == 200, path
        titles[path] = title_of(shown.text)
    csrf = csrf_of(client.get(f"/personnes/{vault}/mot-de-passe").text)
    code = client.post(
        f"/personnes/{vault}/mot-de-passe/code", data={"csrf": csrf, **REAUTH}, headers=SAME_ORIGIN
    )
    assert code.status_code == 200, code.text
    titles["the reset code"] = title_of(code.text)
    created = client.post(
        "/personnes/nouvelle",
        data={
            "csrf": csrf,
            "display_name": "Moussa Traoré",
            "login": "moussa.traore",
            "password": PASSWORD,
            "consent": "yes",
        },
        headers=SAME_ORIGIN,
    )
    assert created.status_code == 200, created.text
    assert "Moussa Traoré" in html.unescape(created.text)
    titles["Moussa's recovery codes"] = title_of(created.text)

    page_sign_in(client, "nadia.responsable")
    closing = client.get(f"/organisation/{t['ccas']}/conseillers/{t['claire']['id']}/fermer")
    assert closing.status_code == 200
    titles["closing Claire's account"] = title_of(closing.text)

    names = (PAPER_TITLE, "Amina", "Diallo", "Moussa", "Claire", "Martin")
    leaks = {where: title for where, title in titles.items() if any(n in title for n in names)}
    assert leaks == {}


def test_every_page_title_is_a_fixed_sentence() -> None:
    """The same rule for pages to come: a title block holds translated words only, never a
    value (a name, a paper's title) filled in at display time."""
    templates = Path(__file__).parents[3] / "webui" / "templates"
    blocks = {
        page.name: found.group(1)
        for page in sorted(templates.glob("*.html"))
        if (found := re.search(r"{% block title %}(.*?){% endblock %}", page.read_text()))
    }
    assert len(blocks) >= 30
    filled = {
        name: block
        for name, block in blocks.items()
        if re.search(r'{{(?!\s*_\("[^"]*"\)\s*(?:if|else|}}))', block)
    }
    assert filled == {}
