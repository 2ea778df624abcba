"""The pages without a browser: the no-JavaScript journeys, CSRF and caching rules."""

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD
from tests.integration.vault.helpers import counts
from tests.samples import pdf
from vault.runtime import Runtime

SAME_ORIGIN = {"Origin": "http://coffre.test", "Sec-Fetch-Site": "same-origin"}


def as_read(html: str) -> str:
    """The page as a person reads it: the <bdi> that keeps typed text (a title, a name) in its
    own direction does not show."""
    return re.sub(r"</?bdi>", "", html)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def codes_in_force_of(html: str) -> str:
    """The generation of recovery codes the account page's « nouveaux codes » form replaces."""
    match = re.search(r'name="codes_in_force" value="([^"]*)"', html)
    assert match, "no codes form in the page"
    return match.group(1)


def form_csrf(client: TestClient, path: str) -> str:
    return csrf_of(client.get(path).text)


def page_sign_in(client: TestClient, login: str, password: str = PASSWORD) -> str:
    """Signs in through the page, without opening the page it lands on (a banner shown once
    is still there to see); returns that page's address."""
    token = form_csrf(client, "/connexion")
    signed = client.post(
        "/connexion",
        data={"csrf": token, "login": login, "password": password},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    landing: str = signed.headers["location"]
    return landing


def page_signed_in(client: TestClient, login: str, password: str = PASSWORD) -> str:
    """Signs in through the page; the CSRF token of the page it lands on."""
    return csrf_of(client.get(page_sign_in(client, login, password)).text)


def signed_up(client: TestClient, login: str = "fatou.sow") -> str:
    """Both sign-up steps through the forms; returns the session's CSRF token."""
    token = form_csrf(client, "/inscription")
    step_one = client.post(
        "/inscription",
        data={"csrf": token, "step": "1", "display_name": "Fatou Sow"},
        headers=SAME_ORIGIN,
    )
    assert 'value="fatou.sow"' in step_one.text
    answer = client.post(
        "/inscription",
        data={
            "csrf": token,
            "step": "2",
            "display_name": "Fatou Sow",
            "login": login,
            "password": PASSWORD,
        },
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 200
    assert "Mes codes de secours" in answer.text
    assert f'<strong class="secret">{login}</strong>' in answer.text  # printed with the codes
    return csrf_of(client.get("/papiers").text)


def add_paper(client: TestClient, csrf: str, content: bytes, **headers: str) -> Any:
    return client.post(
        "/papiers/ajouter",
        data={"csrf": csrf, "category": "identity", "title": "Ma carte"},
        files={"file": ("carte.pdf", content, "application/pdf")},
        headers={**SAME_ORIGIN, **headers},
        follow_redirects=True,
    )


def test_sign_up_add_open_delete(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    paper = pdf("page")
    added = add_paper(client, csrf, paper)
    assert added.status_code == 200
    assert "Le papier est bien dans votre coffre" in added.text
    document_path = str(added.url.path)
    listed = client.get("/papiers")
    assert "Ma carte" in listed.text
    opened = client.get(f"{document_path}/fichier")
    assert opened.content == paper
    assert opened.headers["content-disposition"].startswith("inline")
    download = client.get(f"{document_path}/fichier?telecharger=1")
    assert download.headers["content-disposition"].startswith("attachment")
    deleted = client.post(
        f"{document_path}/supprimer",
        data={"csrf": csrf},
        headers=SAME_ORIGIN,
        follow_redirects=True,
    )
    assert "Le papier est dans la corbeille" in deleted.text
    assert "Ma carte" not in deleted.text.split("corbeille")[-1]
    binned = client.get("/corbeille")
    assert "Ma carte" in binned.text
    action = re.findall(r'action="(/corbeille/[^"]+/remettre)"', binned.text)[0]
    restored = client.post(action, data={"csrf": csrf}, headers=SAME_ORIGIN)
    assert "Le papier est revenu dans vos papiers" in restored.text
    assert "Ma carte" in restored.text
    assert "La corbeille est vide" in client.get("/corbeille").text


def test_the_undo_of_a_deletion_posts_only_to_the_bin(client: TestClient, rt: Runtime) -> None:
    """Review finding: the « Annuler » form after a deletion took its address from the link's
    `?supprime=`, with the session's CSRF token in it: a link (through the sign-in's `suite`)
    with `../compte/export#` made that button send a valid POST elsewhere (every paper
    downloaded on a library computer, a private paper made public)."""
    signed_up(client)
    for trick in ("../compte/export#", "../papiers/x/prive?", "x/../../quitter"):
        page = client.get("/papiers", params={"supprime": trick})
        assert page.status_code == 200
        assert "Le papier est dans la corbeille" not in page.text
        assert "/remettre" not in page.text
    paper_id = "0f8b5f0e-4a1c-4a5e-9f3e-2b7d6c1a9e10"
    page = client.get("/papiers", params={"supprime": paper_id})
    assert f'action="/corbeille/{paper_id}/remettre"' in page.text


def test_every_page_is_no_store(client: TestClient) -> None:
    signed_up(client)
    for path in ("/papiers", "/papiers/ajouter", "/connexion", "/inscription"):
        assert client.get(path).headers["cache-control"] == "no-store", path


def test_missing_or_wrong_csrf_is_refused_and_stores_nothing(
    client: TestClient, rt: Runtime
) -> None:
    signed_up(client)
    for token in ("", "forged"):
        answer = add_paper(client, token, pdf())
        assert answer.status_code == 403
        assert "expiré" in answer.text
    assert counts(rt) == (0, 0, 0)


def test_cross_site_post_is_refused(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    cross = add_paper(
        client, csrf, pdf(), Origin="https://evil.example", **{"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    assert counts(rt) == (0, 0, 0)


def test_refused_file_shows_the_error_summary(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    answer = add_paper(client, csrf, b"<html>not a paper</html>")
    assert answer.status_code == 415
    assert "Il y a un problème" in answer.text
    assert "<title>Erreur : " in answer.text
    assert 'href="#file"' in answer.text
    assert "Le fichier doit être un JPG, PNG ou PDF." in answer.text
    assert counts(rt) == (0, 0, 0)


def test_sign_out_ends_the_session_on_the_server(client: TestClient) -> None:
    csrf = signed_up(client)
    cookie = client.cookies.get("coffre_session")
    answer = client.post(
        "/quitter", data={"csrf": csrf}, headers=SAME_ORIGIN, follow_redirects=False
    )
    assert answer.status_code == 303
    assert "cookies" in answer.headers["clear-site-data"]
    client.cookies.set("coffre_session", cookie or "")
    stale = client.get("/papiers", follow_redirects=False)
    assert stale.headers["location"] == "/connexion?fin=1&suite=%2Fpapiers"


def test_pages_need_a_session(client: TestClient) -> None:
    for path in ("/papiers", "/papiers/ajouter", "/papiers/x"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].split("?")[0] == "/connexion"


def test_wrong_password_page(client: TestClient) -> None:
    signed_up(client, "awa.ndiaye")
    client.cookies.clear()
    token = form_csrf(client, "/connexion")
    answer = client.post(
        "/connexion",
        data={"csrf": token, "login": "awa.ndiaye", "password": "wrong password"},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in answer.text


def test_idle_session_is_dead(client: TestClient, rt: Runtime) -> None:
    signed_up(client)
    rt.settings.session_idle_minutes = 0
    assert client.get("/papiers", follow_redirects=False).status_code == 303
