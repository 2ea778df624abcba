"""In a real browser, from the person's side: Moussa forgot his password and no longer has his
recovery codes. He opens « J'ai oublié mon mot de passe » and reads how a counsellor can help;
Claire, his counsellor, opens his page, « Aider au mot de passe », and gets a code for him; he
types his login, the code and a new password on the recovery page, signs in, and is told who
helped and when, then sees it in his history. In French with JavaScript, and in Arabic (the
person's pages) without it; the counsellor's pages stay in her French. The person's words are
looked up in the catalogues, so the test holds while a translation changes.

Screenshots go to $COFFRE_TEST_SCREENSHOTS (or the test's own folder)."""

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.app_fixtures import PASSWORD
from tests.browser.people import claire_of_the_ccas, sign_in
from tests.browser.screenshots import save_screenshot
from vault.accounts.accounts import create_person
from vault.consent.grants import GrantTerms, create_grant
from vault.db import transaction
from vault.models import Person
from vault.runtime import Runtime
from webui import i18n

pytestmark = pytest.mark.browser

NEW_PASSWORD = "la pluie tombe sur orleans"
WAYS = [("fr", True), ("ar", False)]


def said(language: str, message: str, **params: Any) -> str:
    """`message` as the pages show it in `language` (tags aside)."""
    with i18n.speaking(language):
        text = i18n.gettext(message)
    return re.sub(r"</?strong>", "", text % params if params else text)


def new_tab(browser: Browser, javascript: bool) -> Page:
    context = browser.new_context(locale="fr-FR", java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.mark.parametrize(
    ("language", "javascript"), WAYS, ids=[f"{lang}-{'js' if js else 'nojs'}" for lang, js in WAYS]
)
def test_forgot_password_then_a_code_from_the_counsellor(
    browser: Browser, live_url: str, rt: Runtime, tmp_path: Path, language: str, javascript: bool
) -> None:
    shots = Path(os.environ.get("COFFRE_TEST_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with transaction(rt.sessions) as db:
        claire = claire_of_the_ccas(db, rt)
        moussa = create_person(
            db,
            rt.master_keys,
            login="moussa.traore",
            display_name="Moussa Traoré",
            password="un mot de passe oublie depuis",
            role="beneficiary",
            preferred_language=language,
        )
        create_grant(db, rt, moussa, GrantTerms(["view", "recover"]), counsellor_id=claire.id)
        moussa_id = moussa.id

    # Moussa, on his phone, finds how to get help.
    person = new_tab(browser, javascript)
    person.goto(f"{live_url}/connexion")
    if language != "fr":
        person.get_by_role("link", name=i18n.language_name(language)).click()
    expect(person.locator("html")).to_have_attribute("lang", language)
    person.locator("a[href='/mot-de-passe-oublie']").first.click()
    expect(person.locator("h1")).to_have_text(said(language, "J'ai oublié mon mot de passe"))
    expect(
        person.get_by_role("heading", name=said(language, "Avec votre conseiller"))
    ).to_be_visible()
    expect(
        person.get_by_text(
            said(language, "Ou elle vous donne un code : vous l'écrivez ici, plus bas.")
        )
    ).to_be_visible()
    save_screenshot(person, shots / f"forgot-{language}-1-help.png")

    # Claire, at the CCAS, gets a code for him from his page.
    counsellor = new_tab(browser, javascript)
    sign_in(counsellor, live_url, "claire.martin", PASSWORD)
    counsellor.get_by_role("link", name="Moussa Traoré").click()
    counsellor.get_by_role("link", name="Aider au mot de passe").click()
    with_code = counsellor.locator("form[action$='/mot-de-passe/code']")
    with_code.get_by_label("Votre mot de passe à vous").fill(PASSWORD)
    counsellor.get_by_role("button", name="Avoir un code pour la personne").click()
    expect(counsellor.get_by_role("heading", name="Le code de Moussa Traoré")).to_be_visible()
    expect(counsellor.locator("p.lead", has_text="Son identifiant")).to_contain_text(
        "moussa.traore"
    )
    code = counsellor.locator("dl.facts strong.secret").inner_text()
    save_screenshot(counsellor, shots / f"forgot-{language}-2-code.png")
    counsellor.context.close()

    # Moussa types his login, the code and a new password, then signs in.
    person.locator("#login").fill("moussa.traore")
    person.locator("#code").fill(code)
    person.locator("#password").fill(NEW_PASSWORD)
    person.locator("form[action='/mot-de-passe-oublie'] button[type=submit]").click()
    expect(person.get_by_text(said(language, "Votre mot de passe est changé."))).to_be_visible()
    person.locator("#login").fill("moussa.traore")
    person.locator("#password").fill(NEW_PASSWORD)
    person.locator("form[action='/connexion'] button[type=submit]").click()

    # First, who helped and when.
    expect(person.locator("h1")).to_have_text(said(language, "Votre mot de passe a changé"))
    with transaction(rt.sessions) as db:
        since = db.get_one(Person, moussa_id).held_since
    assert since is not None
    with i18n.speaking(language):
        when = i18n.moment(since)
    notice = said(
        language,
        "<strong>%(who)s</strong> a changé votre mot de passe avec vous le %(moment)s.",
        who="Claire Martin (CCAS d'Orléans)",
        moment=when,
    )
    expect(person.locator("p.lead")).to_have_text(notice)
    save_screenshot(person, shots / f"forgot-{language}-3-notice.png")

    # And in his history.
    person.locator("a[href='/historique']").first.click()
    who = said(language, "{name}, {organisation},").format(
        name="Claire Martin", organisation="CCAS d'Orléans"
    )
    used = said(language, "Le code donné par {who} a servi à changer votre mot de passe.")
    expect(person.locator(".history li", has_text=used.format(who=who))).to_have_count(1)
    save_screenshot(person, shots / f"forgot-{language}-4-history.png")
    person.context.close()
