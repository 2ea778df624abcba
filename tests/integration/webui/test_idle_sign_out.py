"""Idle sign-out without `meta refresh`: the server ends the session; the pages carry the
warning script and the style sheet that covers them; the next action after the end lands on a
page that says why and keeps what was typed (never a password); then back where one was,
unless that page was one paper's, one person's or one link's."""

from fastapi.testclient import TestClient

from tests.app_fixtures import PASSWORD, sign_up
from tests.integration.accounts.test_sign_in import sign_in_form
from tests.integration.webui.test_pages import SAME_ORIGIN, add_paper, csrf_of, form_csrf, signed_up
from tests.samples import pdf
from vault.runtime import Runtime
from webui.navigation import local_path


def test_signed_in_pages_use_no_meta_refresh(client: TestClient, rt: Runtime) -> None:
    signed_up(client)
    html = client.get("/papiers").text
    assert 'http-equiv="refresh"' not in html
    assert '<script src="/static/idle.js" defer></script>' in html
    assert f'data-idle-seconds="{rt.settings.session_idle_minutes * 60}"' in html
    assert "Rester connecté" in html
    assert 'class="idle-curtain"' in html
    css = client.get("/inactivite.css")
    assert css.headers["content-type"].startswith("text/css")
    assert f"{rt.settings.session_idle_minutes * 60 + 5}s forwards" in css.text


def test_stay_signed_in_keeps_the_session(client: TestClient) -> None:
    csrf = signed_up(client)
    assert (
        client.post("/rester-connecte", data={"csrf": csrf}, headers=SAME_ORIGIN).status_code == 204
    )
    refused = client.post("/rester-connecte", data={}, headers=SAME_ORIGIN)
    assert refused.status_code == 403


def test_a_page_after_the_end_says_why_and_returns_to_the_papers(
    client: TestClient, rt: Runtime
) -> None:
    csrf = signed_up(client)
    paper = add_paper(client, csrf, pdf("page"))
    paper_path = str(paper.url.path)
    rt.settings.session_idle_minutes = 0
    ended = client.get(paper_path, follow_redirects=False)
    assert ended.status_code == 303
    assert (
        ended.headers["location"]
        == f"/connexion?fin=1&suite=%2Fpapiers%2F{paper_path.split('/')[-1]}"
    )
    assert "coffre_session" in ended.headers["set-cookie"]  # the stale cookie goes
    rt.settings.session_idle_minutes = 15
    sign_in_page = client.get(ended.headers["location"])
    assert "Votre coffre s'est fermé, pour votre sécurité" in sign_in_page.text
    assert f'name="suite" value="{paper_path}"' in sign_in_page.text
    token = sign_in_page.text.split('name="csrf" value="')[1].split('"')[0]
    # Not back to the paper: whoever signs in there next may be someone else (below); nor
    # to a page whose query names someone's record (a counsellor's form for a person's vault).
    someones = "/papiers/ajouter?coffre=8c3a1e84-f6e3-4cfe-8b95-02a440437859"
    returns = [(paper_path, "/papiers"), (someones, "/papiers"), ("/compte", "/compte")]
    for suite, landing in returns:
        back = client.post(
            "/connexion",
            data={"csrf": token, "login": "fatou.sow", "password": PASSWORD, "suite": suite},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        assert back.headers["location"] == landing


def test_the_next_person_at_the_computer_is_not_sent_to_the_last_ones_paper(
    client: TestClient, rt: Runtime
) -> None:
    """Fatou left her paper open and the coffre closed itself; Bruno, next at the computer,
    clicks « Ouvrir mon coffre » and signs in with his own account. Sent to her paper, he read
    « Cette page n'existe pas », and her history said that he tried to open one of her papers."""
    csrf = signed_up(client)
    paper_path = str(add_paper(client, csrf, pdf("page")).url.path)
    sign_up(client, "bruno.martin", "Bruno Martin")
    rt.settings.session_idle_minutes = 0
    ended = client.get(paper_path, follow_redirects=False)
    rt.settings.session_idle_minutes = 15
    sign_in_page = client.get(ended.headers["location"])
    bruno = client.post(
        "/connexion",
        data={
            "csrf": csrf_of(sign_in_page.text),
            "login": "bruno.martin",
            "password": PASSWORD,
            "suite": paper_path,
        },
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert bruno.headers["location"] == "/papiers"
    assert client.get(bruno.headers["location"]).status_code == 200
    fatou = client.post(
        "/api/v1/session", json={"login": "fatou.sow", "password": PASSWORD}
    ).json()["token"]
    journal = client.get("/api/v1/journal", headers={"Authorization": f"Bearer {fatou}"})
    assert "access_refused" not in [line["action"] for line in journal.json()]


def test_a_form_sent_after_the_end_keeps_the_text_and_changes_nothing(
    client: TestClient, rt: Runtime
) -> None:
    csrf = signed_up(client)
    rt.settings.session_idle_minutes = 0
    answer = client.post(
        "/compte/infos",
        data={"csrf": csrf, "display_name": "Fatou Sow Diop", "password": "mon secret à moi"},
        headers={**SAME_ORIGIN, "Referer": "http://coffre.test/compte"},
    )
    assert answer.status_code == 401
    assert "Votre coffre s'est fermé" in answer.text
    assert "Fatou Sow Diop" in answer.text
    assert "mon secret à moi" not in answer.text
    assert csrf not in answer.text
    assert 'href="/connexion?fin=1&amp;suite=%2Fcompte"' in answer.text
    rt.settings.session_idle_minutes = 15
    assert client.get("/compte", follow_redirects=False).status_code == 303


def test_after_the_end_a_choice_is_not_shown_back_as_text(client: TestClient, rt: Runtime) -> None:
    csrf = signed_up(client)
    rt.settings.session_idle_minutes = 0
    answer = client.post(
        "/papiers/00000000-0000-0000-0000-000000000000/envoyer",
        data={"csrf": csrf, "recipient": "CAF du Loiret", "purpose": "dossier RSA", "hours": "168"},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 401
    assert "CAF du Loiret" in answer.text
    assert "dossier RSA" in answer.text
    assert "168" not in answer.text


def test_the_idle_script_signs_out_and_says_so(client: TestClient) -> None:
    csrf = signed_up(client)
    answer = client.post(
        "/quitter", data={"csrf": csrf, "inactif": "1"}, headers=SAME_ORIGIN, follow_redirects=False
    )
    assert answer.headers["location"] == "/au-revoir?inactif=1&langue=fr"
    assert "Il s'est fermé tout seul" in client.get(answer.headers["location"]).text
    assert client.get("/papiers", follow_redirects=False).status_code == 303


def test_only_our_own_pages_come_after_sign_in() -> None:
    assert local_path("/papiers/abc?x=1") == "/papiers/abc?x=1"
    for elsewhere in (
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "papiers",
        "/connexion",
        "/quitter",
        "/",
        "/a\nb",
        "/" + "a" * 600,
    ):
        assert local_path(elsewhere) is None, elsewhere


def test_a_paper_opened_on_its_own_goes_back_to_its_page_when_the_session_ends(
    client: TestClient, rt: Runtime
) -> None:
    """The bare file (« Ouvrir le PDF en grand ») has no idle script of ours: its answer tells
    the browser to leave it for the paper's page once the session is surely over. In the
    paper's frame, as an image or as a download, it stays what it is."""
    csrf = signed_up(client)
    paper_path = str(add_paper(client, csrf, pdf("page")).url.path)
    file_path = f"{paper_path}/fichier"
    delay = rt.settings.session_idle_minutes * 60 + 5
    on_its_own = client.get(file_path, headers={"Sec-Fetch-Dest": "document"})
    assert on_its_own.headers["refresh"] == f"{delay}; url={paper_path}/voir"
    assert client.get(file_path).headers["refresh"] == f"{delay}; url={paper_path}/voir"
    for framed in ("iframe", "image"):
        answer = client.get(file_path, headers={"Sec-Fetch-Dest": framed})
        assert answer.status_code == 200
        assert "refresh" not in answer.headers
    assert "refresh" not in client.get(f"{file_path}?telecharger=1").headers


NOT_MINE = {"form": "off", "login": "off", "password": "off"}


def test_not_my_computer_is_kept_when_the_idle_sign_out_brings_the_sign_in_back(
    client: TestClient, rt: Runtime
) -> None:
    """Amina chose « Je suis sur un ordinateur qui n'est pas à moi », then left the tab for 15
    minutes. The page her next click leads to (« Ouvrir mon coffre », or any link) was the
    ordinary sign-in: the browser could keep her login, and signing in again left a device
    cookie on the day centre's computer. The choice is kept until the browser closes."""
    sign_up(client, "amina.diallo")
    signed = client.post(
        "/connexion",
        data={
            "csrf": form_csrf(client, "/connexion?partage=1"),
            "login": "amina.diallo",
            "password": PASSWORD,
            "shared": "1",
        },
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert "coffre_device" not in signed.headers.get("set-cookie", "")
    rt.settings.session_idle_minutes = 0
    ended = client.get("/papiers", follow_redirects=False)
    assert ended.headers["location"].startswith("/connexion?fin=1")
    rt.settings.session_idle_minutes = 15
    again = client.get(ended.headers["location"])
    assert sign_in_form(again.text) == NOT_MINE
    back = client.post(
        "/connexion",
        data={
            "csrf": csrf_of(again.text),
            "login": "amina.diallo",
            "password": PASSWORD,
            "shared": "1" if 'name="shared" value="1"' in again.text else "0",
        },
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert "coffre_device" not in back.headers.get("set-cookie", "")
