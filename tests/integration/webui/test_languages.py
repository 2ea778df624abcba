"""The pages' language: the switch (a link, then a cookie), the browser's Accept-Language, and
a signed-in person's stored choice, which wins. Expected words come from the catalogues, so the
tests hold while a translation is still missing (the page then shows the French)."""

import re

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from tests.app_fixtures import PASSWORD
from tests.integration.webui.test_pages import SAME_ORIGIN, form_csrf, signed_up
from tests.samples import pdf
from vault.db import transaction
from vault.models import Person
from vault.runtime import Runtime
from webui import i18n
from webui.app import create_app


def said(language: str, message: str) -> str:
    """`message` as the pages show it in `language`."""
    with i18n.speaking(language):
        return i18n.gettext(message)


def speaks(html: str, language: str, direction: str) -> bool:
    return f'<html lang="{language}" dir="{direction}"' in html


def switched_to(client: TestClient, language: str) -> None:
    """The switch's cookie, as the site sets it (replacing the one it set before)."""
    client.cookies.set(i18n.LANGUAGE_COOKIE, language, domain="coffre.test")


def test_french_without_a_choice(client: TestClient) -> None:
    page = client.get("/connexion")
    assert speaks(page.text, "fr", "ltr")
    assert "<h1>Ouvrir mon coffre</h1>" in page.text


def test_the_switch_cookie_gives_arabic_right_to_left(client: TestClient) -> None:
    switched_to(client, "ar")
    page = client.get("/connexion")
    assert speaks(page.text, "ar", "rtl")
    assert f"<h1>{said('ar', 'Ouvrir mon coffre')}</h1>" in page.text
    assert '<span lang="ar" aria-current="true">العربية</span>' in page.text


def test_the_browser_languages_choose_when_nothing_was_chosen(client: TestClient) -> None:
    english = client.get("/connexion", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert speaks(english.text, "en", "ltr")
    assert f"<h1>{said('en', 'Ouvrir mon coffre')}</h1>" in english.text
    unknown = client.get("/connexion", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert speaks(unknown.text, "fr", "ltr")


def test_the_switch_sets_the_cookie_and_goes_back(client: TestClient) -> None:
    switched = client.get("/langue/ar?retour=/connexion", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/connexion"
    assert f"{i18n.LANGUAGE_COOKIE}=ar" in switched.headers["set-cookie"]
    assert speaks(client.get("/connexion").text, "ar", "rtl")
    elsewhere = client.get("/langue/en?retour=https://evil.example/", follow_redirects=False)
    assert elsewhere.headers["location"] == "/"


def test_over_https_the_switch_is_read_back_under_the_name_it_set(rt: Runtime) -> None:
    """Over HTTPS the cookie is __Host- prefixed, as every cookie of ours: the pages read it
    under that name, so the switch works before sign-in, where it matters most."""
    with TestClient(create_app(runtime=rt), base_url="https://coffre.test") as client:
        switched = client.get("/langue/ar?retour=/connexion", follow_redirects=False)
        assert switched.headers["set-cookie"].startswith(f"__Host-{i18n.LANGUAGE_COOKIE}=ar;")
        page = client.get("/connexion")
    assert speaks(page.text, "ar", "rtl")
    assert f"<h1>{said('ar', 'Ouvrir mon coffre')}</h1>" in page.text


def test_the_switch_comes_back_to_the_same_page_with_its_query(client: TestClient) -> None:
    shared = client.get("/connexion?partage=1")
    link = "/langue/en?retour=/connexion%3Fpartage%3D1"
    assert f'<a href="{link}" lang="en"' in shared.text
    back = client.get(link, follow_redirects=False)
    assert back.headers["location"] == "/connexion?partage=1"


def test_a_page_asked_with_lang_goes_through_the_switch(client: TestClient) -> None:
    """The contract's switch, `?lang=fr|en|ar` on any page (review finding: it was ignored)."""
    asked = client.get("/connexion?partage=1&lang=ar", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/langue/ar?retour=%2Fconnexion%3Fpartage%3D1"
    page = client.get("/connexion?lang=ar")
    assert page.url.path == "/connexion"
    assert speaks(page.text, "ar", "rtl")
    assert client.get("/connexion?lang=xx").status_code == 200  # not a language: as without


def test_the_switch_by_lang_comes_back_to_the_same_address(client: TestClient) -> None:
    """A path holding an escaped « ? » or « # » (a paper's link, a name) comes back as it was
    asked, not cut at that sign."""
    asked = client.get("/s/ab%3Fcd%23ef?lang=en", follow_redirects=False)
    assert asked.headers["location"] == "/langue/en?retour=%2Fs%2Fab%253Fcd%2523ef"


def test_an_unknown_language_is_refused_in_the_pages_language(client: TestClient) -> None:
    switched_to(client, "en")
    refused = client.get("/langue/xx")
    assert refused.status_code == 404
    assert speaks(refused.text, "en", "ltr")
    assert escape(said("en", "Cette langue n'est pas proposée.")) in refused.text


def test_refusals_are_in_the_pages_language(client: TestClient) -> None:
    switched_to(client, "ar")
    token = form_csrf(client, "/connexion")
    wrong = client.post(
        "/connexion",
        data={"csrf": token, "login": "personne.ici", "password": "pas le bon"},
        headers=SAME_ORIGIN,
    )
    assert wrong.status_code == 401
    assert said("ar", "Identifiant ou mot de passe incorrect.") in wrong.text


def test_sign_up_keeps_the_language_of_the_page(client: TestClient, rt: Runtime) -> None:
    switched_to(client, "ar")
    form = client.get("/inscription")
    assert re.search(r'<option value="ar" lang="ar"\s+selected>', form.text)
    assert not re.search(r'<option value="fr" lang="fr"\s+selected>', form.text)
    token = form_csrf(client, "/inscription")
    step_two = client.post(
        "/inscription",
        data={
            "csrf": token,
            "step": "1",
            "display_name": "Amina Diallo",
            "preferred_language": "ar",
        },
        headers=SAME_ORIGIN,
    )
    assert 'name="preferred_language" value="ar"' in step_two.text
    codes = client.post(
        "/inscription",
        data={
            "csrf": token,
            "step": "2",
            "display_name": "Amina Diallo",
            "login": "amina.diallo",
            "password": PASSWORD,
            "preferred_language": "ar",
        },
        headers=SAME_ORIGIN,
    )
    assert speaks(codes.text, "ar", "rtl")
    assert stored_language(rt, "amina.diallo") == "ar"


def test_a_signed_in_persons_choice_wins_over_the_cookie(client: TestClient) -> None:
    signed_up(client)  # in French, the stored choice
    switched_to(client, "ar")
    papers = client.get("/papiers")
    assert speaks(papers.text, "fr", "ltr")
    # The next requests start in the person's language: the cookie follows the stored choice.
    assert f"{i18n.LANGUAGE_COOKIE}=fr" in papers.headers["set-cookie"]


def test_the_switch_stores_a_signed_in_persons_choice(client: TestClient, rt: Runtime) -> None:
    signed_up(client)
    switched = client.get("/langue/en?retour=/compte")
    assert speaks(switched.text, "en", "ltr")
    assert stored_language(rt, "fatou.sow") == "en"
    # Another browser, which asks for French: signed in, the stored choice is what it gets.
    client.cookies.clear()
    token = form_csrf(client, "/connexion")
    signed_in = client.post(
        "/connexion",
        data={"csrf": token, "login": "fatou.sow", "password": PASSWORD},
        headers={**SAME_ORIGIN, "Accept-Language": "fr-FR,fr;q=0.9"},
    )
    assert speaks(signed_in.text, "en", "ltr")


def stored_language(rt: Runtime, login: str) -> str | None:
    with transaction(rt.sessions) as db:
        return db.scalar(select(Person.preferred_language).where(Person.login == login))


def test_switching_on_the_codes_page_after_sign_up_lands_signed_in(client: TestClient) -> None:
    """The codes page answers the sign-up form: the switch goes back to /inscription, which
    sends a signed-in person to their papers."""
    signed_up(client)
    switched = client.get("/langue/en?retour=/inscription", follow_redirects=False)
    landed = client.get(switched.headers["location"], follow_redirects=False)
    assert landed.status_code == 303
    assert landed.headers["location"] == "/papiers"


def test_words_made_in_a_route_speak_the_stored_choice_too(client: TestClient) -> None:
    """The history's sentences are made by the route, before the page: the same language."""
    signed_up(client)  # in French, the stored choice
    switched_to(client, "ar")
    history = client.get("/historique").text
    assert speaks(history, "fr", "ltr")
    assert "Vous avez reçu de nouveaux codes de secours." in history
    assert said("ar", "Vous avez reçu de nouveaux codes de secours.") not in history


def added_in_arabic(client: TestClient, rt: Runtime, title: str) -> str:
    """Fatou Sow signs up, reads in Arabic and adds a paper: the page that says it is added."""
    csrf = signed_up(client)
    with transaction(rt.sessions) as db:
        person = db.scalars(select(Person).where(Person.login == "fatou.sow")).one()
        person.preferred_language = "ar"
    added = client.post(
        "/papiers/ajouter",
        data={"csrf": csrf, "category": "identity", "title": title},
        files={"file": ("carte.pdf", pdf(), "application/pdf")},
        headers=SAME_ORIGIN,
    )
    assert added.status_code == 200, added.text
    return added.text


def test_typed_text_keeps_its_own_direction_on_every_page_that_shows_it(
    client: TestClient, rt: Runtime
) -> None:
    added = added_in_arabic(client, rt, "Carte (recto) 2")
    match = re.search(r'href="/papiers/([0-9a-f-]{36})/supprimer"', added)
    assert match, "no way to delete the paper just added"
    paper = f"/papiers/{match.group(1)}"
    title = "<bdi>Carte (recto) 2</bdi>"
    for path in ("/papiers", paper, f"{paper}/supprimer", f"{paper}/liens", f"{paper}/envoyer"):
        page = client.get(path).text
        assert speaks(page, "ar", "rtl"), path
        assert title in page, path
        assert f"<title>{title}" not in page, path  # a <title> holds no markup
    # Her name, in the field that changes it: its direction from its own first letter too.
    assert 'dir="auto" value="Fatou Sow"' in client.get("/compte").text


def test_a_typed_title_keeps_its_own_direction_in_an_arabic_sentence(
    client: TestClient, rt: Runtime
) -> None:
    added_in_arabic(client, rt, "Carte <b>d'identité</b>")
    history = client.get("/historique").text
    assert speaks(history, "ar", "rtl")
    # In its own <bdi>, escaped: the Latin title and its quotes are not reordered with the
    # Arabic words around them, and nothing typed becomes markup.
    assert "<bdi>Carte &lt;b&gt;d&#39;identité&lt;/b&gt;</bdi>" in history
