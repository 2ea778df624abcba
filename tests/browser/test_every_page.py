"""Every page of the four sides (the person, the counsellor, the organisation admin, the platform
admin) and the signed-out pages, at 320 px with and without JavaScript and at 1280 px with it: no
sideways scrolling, no critical or serious axe-core violation (WCAG 2.2 target size included),
every link and button 44 px high (but links inside a sentence), every focus outline at 3:1 against
what is behind it, under 100 KB before the paper itself, no typed field kept in the browser's
form history (but credentials), and a screenshot of each in
$COFFRE_TEST_SCREENSHOTS (else a temporary folder). A failing test is named after the page, the
width and the way of browsing.

A new page is one line in PAGES; a new language one word in LANGUAGES. Layout does not depend on
the back end: the module builds one embedded coffre instead of using the `rt` fixture (which runs
each test on every back end), serves it once and keeps one browser tab per person, way of
browsing and language. axe-core comes from the npm package pinned in package-lock.json, which
scripts/test.sh installs."""

import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, Route, ViewportSize
from sqlalchemy import select

from tests.app_fixtures import PASSWORD, PROVISIONAL_PASSWORD
from tests.browser.conftest import serve
from tests.browser.people import add_paper, amina_with_a_safe, claire_of_the_ccas
from tests.browser.screenshots import save_screenshot
from tests.browser.test_phone_header import WIDER_THAN_THE_SCREEN
from tests.integration.consent.test_many_people import granted_by, numbered
from tests.integration.shares.helpers import share_now
from tests.samples import png
from vault.accounts import second_factor
from vault.accounts.accounts import create_person, vault_of
from vault.accounts.recovery import new_recovery_codes, reset_with_person
from vault.accounts.sessions import open_session
from vault.config import Settings
from vault.consent.grants import GrantTerms, create_grant, request_access
from vault.consent.organisations import add_existing_member, add_member, rename_member
from vault.db import transaction
from vault.documents.previews import add_thumbnail
from vault.documents.reminders import send_due
from vault.documents.service import delete_document, update_document
from vault.documents.shares import ShareTerms
from vault.models import Membership, Organisation, Person, utcnow
from vault.policy import SCOPES
from vault.runtime import Runtime
from vault.vocabulary import MemberRole, Role
from vault.wiring import build_runtime
from webui.i18n import CatalogueWording

pytestmark = pytest.mark.browser

AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# The `coffre_lang` cookie chooses the language: add "en" and "ar" with their catalogues.
LANGUAGES = ("fr", "ar")
HEIGHTS = {320: 640, 1280: 800}
# Without JavaScript is the old phone's way: checked at 320 px; a wide screen, with it.
WAYS = ((320, True), (320, False), (1280, True))
# README.md's screenshots: the old phone's way, copied under the names docs/screenshots keeps.
README_WAY = (320, False)
BLOCKING = ("critical", "serious")
# WCAG 2.2's target size is off by default in axe-core: the coffre promises big targets.
AXE_RUN = """async () => await axe.run(document, {
    resultTypes: ['violations'], rules: {'target-size': {enabled: true}}})"""
# WCAG 2.5.5's 44 px, at every width, for every link and button but a link inside a sentence
# (WCAG's inline exception): a link shown inline whose block holds other text.
MIN_TARGET_PX = 44
SMALL_TARGETS = """(least) => {
    const words = (e) => e.textContent.replace(/\\s+/g, ' ').trim();
    const inSentence = (e) => e.tagName === 'A' && !e.classList.contains('button')
        && getComputedStyle(e).display === 'inline' && words(e.parentElement) !== words(e);
    return [...document.querySelectorAll(
            'a[href], button, summary, input[type=submit], input[type=button]')]
        .filter((e) => e.checkVisibility({visibilityProperty: true}) && !inSentence(e))
        .map((e) => [e, e.getBoundingClientRect()])
        .filter(([e, box]) => box.width > 0 && box.height < least - 0.5)
        .map(([e, box]) => `${e.tagName.toLowerCase()}.${e.className} « ${words(e).slice(0, 30)} »`
            + ` ${Math.round(box.height)} px`);
}"""
# WCAG 2.4.13: the focus outline against what is behind it (the nearest ancestor with a
# background: the outline is drawn outside the control) at 3:1 at least, for every control.
# A Tab first: focus moved by a script after a key shows as focus-visible, as after a Tab.
MIN_FOCUS_CONTRAST = 3.0
WEAK_FOCUS_RINGS = """(least) => {
    const rgb = (colour) => (colour.match(/[\\d.]+/g) || []).map(Number);
    const luminance = ([r, g, b]) => {
        const linear = (v) => (v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    };
    const behind = (e) => {
        for (let n = e.parentElement; n; n = n.parentElement) {
            const colour = rgb(getComputedStyle(n).backgroundColor);
            if (colour.length < 4 || colour[3] > 0) return colour;
        }
        return [255, 255, 255];
    };
    const weak = [];
    for (const e of document.querySelectorAll(
            'a[href], button, summary, input:not([type=hidden]), select, textarea')) {
        if (!e.checkVisibility({visibilityProperty: true})) continue;
        e.focus({preventScroll: true});
        const style = getComputedStyle(e);
        const name = `${e.tagName.toLowerCase()}.${e.className} « ${
            e.textContent.replace(/\\s+/g, ' ').trim().slice(0, 30)} »`;
        if (!e.matches(':focus-visible') || style.outlineStyle === 'none'
                || parseFloat(style.outlineWidth) < 2) {
            weak.push(`${name}: no focus outline`);
            continue;
        }
        const [ring, back] = [luminance(rgb(style.outlineColor)), luminance(behind(e))];
        const ratio = (Math.max(ring, back) + 0.05) / (Math.min(ring, back) + 0.05);
        if (ratio < least) {
            weak.push(`${name}: ${ratio.toFixed(2)}:1, ${style.outlineColor} on rgb(${behind(e)})`);
        }
    }
    return weak;
}"""
# The recovery codes' list: the last number (« 10. ») whole on the screen, not cut to « 0. ».
# A marker is no element: the room between the item's start edge and its code must hold the
# number written in the item's font, and the item must be inside the screen.
LAST_CODE_NUMBER_CUT = """() => {
    const items = document.querySelectorAll('.codes > li');
    if (!items.length) return null;
    const last = items[items.length - 1];
    const style = getComputedStyle(last);
    const probe = document.createElement('span');
    probe.textContent = `${items.length}. `;
    probe.style.cssText = 'position: absolute; visibility: hidden; white-space: pre';
    probe.style.font = style.font;
    document.body.append(probe);
    const needed = probe.getBoundingClientRect().width;
    probe.remove();
    const item = last.getBoundingClientRect();
    const code = last.querySelector('code').getBoundingClientRect();
    const room = style.direction === 'rtl' ? item.right - code.right : code.left - item.left;
    const screen = document.documentElement.clientWidth;
    if (item.left >= 0 && item.right <= screen && room >= needed - 1) return null;
    return `« ${items.length}. » needs ${Math.round(needed)} px, has ${Math.round(room)} px;`
        + ` the item spans ${Math.round(item.left)} to ${Math.round(item.right)} of ${screen}`;
}"""
# A shared computer keeps what is typed in a field in its browser's form history, and offers it
# to the next person there: a paper's title, a name, a phone number. Every field one types
# into says "off" (itself or its form), or names the secret it takes, which a password manager
# asks before saving and which the sign-in page turns off on a shared computer.
CREDENTIALS = ("off", "username", "current-password", "new-password", "one-time-code")
REMEMBERED_FIELDS = """(credentials) => [...document.querySelectorAll('input, textarea')]
    .filter((e) => !e.readOnly && !e.disabled
        && (e.tagName === 'TEXTAREA' || ['text', 'search', 'email', 'tel', 'url', 'number']
            .includes(e.type)))
    .filter((e) => !credentials.includes(
        (e.getAttribute('autocomplete') || e.form?.getAttribute('autocomplete') || 'on')
            .trim().toLowerCase()))
    .map((e) => `${e.tagName.toLowerCase()}#${e.id} name=${e.name} autocomplete=${
        e.getAttribute('autocomplete') ?? '(none)'}`)"""
# HTML, CSS and JavaScript of one page; the paper it shows does not count.
MAX_PAGE_BYTES = 100_000
SIGNED_OUT = "signed-out"
THE_PAPER = re.compile(r"/papiers/[^/]+/fichier")
NEWCOMERS = itertools.count(1)


def sign_up_with(page: Page, address: str, password: str) -> None:
    """By the fields' ids: the labels are in the page's language."""
    page.goto(address)
    page.locator("#display_name").fill("Awa Ndiaye")
    page.locator("form[action='/inscription'] button[type=submit]").click()
    page.locator("#password").fill(password)
    page.locator("form[action='/inscription'] button[type=submit]").click()


def sign_up(page: Page, address: str) -> None:
    """The recovery codes, shown once after signing up."""
    sign_up_with(page, address, PASSWORD)
    page.locator(".codes").wait_for()


def refused_sign_up(page: Page, address: str) -> None:
    """A refused form: the error summary at the top, the message by the field."""
    sign_up_with(page, address, "court")
    page.locator(".error-summary").wait_for()


def wrong_password(page: Page, address: str) -> None:
    """A new login each time: the failures of one account would soon make it wait."""
    page.goto(address)
    page.locator("#login").fill(f"inconnu{next(NEWCOMERS)}")
    page.locator("#password").fill("pas le bon mot de passe")
    page.locator("form[action='/connexion'] button[type=submit]").click()
    page.locator(".error-summary").wait_for()


def create_with_the_person(page: Page, address: str) -> None:
    """A counsellor makes an account with the person beside them: the codes, for printing."""
    page.goto(address)
    page.locator("#display_name").fill("Moussa Keita")
    page.locator("#login").fill(f"moussa.keita{next(NEWCOMERS)}")
    page.locator("#password").fill(PASSWORD)
    page.locator("input[name=consent]").check()
    page.locator("form[action='/personnes/nouvelle'] button[type=submit]").click()
    page.locator(".codes").wait_for()


def give_a_reset_code(page: Page, address: str) -> None:
    """« Aider au mot de passe », then « Avoir un code pour la personne »: the code, once."""
    page.goto(address)
    page.locator("#code-current_password").fill(PASSWORD)
    page.locator("form[action$='/mot-de-passe/code'] button[type=submit]").click()
    page.locator("strong.secret").first.wait_for()


def make_a_link(page: Page, address: str) -> None:
    """The page that shows a new link once, after the form to send a copy of a paper."""
    page.goto(address)
    page.locator("#recipient").fill("CAF du Loiret")
    page.locator("#purpose").fill("Dossier RSA")
    page.locator("form[action$='/envoyer'] button[type=submit]").click()
    page.locator("#link").wait_for()


def after_the_session_ended(page: Page, address: str) -> None:
    """A form sent after the session ended (idle sign-out): the page that says so and shows
    back what was typed. The browser still sends a session cookie, of a session now gone."""
    page.goto(address)
    page.locator("#recipient").fill("CAF du Loiret")
    page.locator("#purpose").fill("Dossier RSA")
    parts = urlsplit(address)
    origin = f"{parts.scheme}://{parts.netloc}"
    page.context.add_cookies([{"name": "coffre_session", "value": "fini", "url": origin}])
    page.locator("form[action$='/envoyer'] button[type=submit]").click()
    page.locator("dl.facts").wait_for()


@dataclass(frozen=True)
class Visit:
    """A page as someone sees it: `who` is a person of the world below (or SIGNED_OUT); `path`
    may name {photo}, {pdf} (two papers of Amina), {vault} (Amina's safe), {moussa} (the safe
    of Moussa, whose password Claire changed with him), {ccas} (Claire's organisation),
    {claire} (her account) and {leila} (a counsellor of the CCAS and the Secours); `reach` is
    for a page that follows a form rather than a link: it gets the path's full address, and
    goes there first. `readme`
    names the page's screenshot in README.md (docs/screenshots/<lang>-<readme>.png)."""

    who: str
    path: str
    reach: Callable[[Page, str], None] | None = None
    readme: str = ""

    def __str__(self) -> str:
        return f"{self.who}:{self.path}" + (f"+{self.reach.__name__}" if self.reach else "")


PAGES = (
    # Amina Diallo, whose safe it is: two papers (one expiring soon, one expired), a grant to
    # Claire, a request from Karim.
    Visit("amina", "/papiers", readme="amina-papiers"),
    Visit("amina", "/papiers/ajouter"),
    Visit("amina", "/papiers/{photo}"),
    Visit("amina", "/papiers/{photo}/voir", readme="amina-papiers-photo-voir"),
    Visit("amina", "/papiers/{pdf}/voir"),
    Visit("amina", "/papiers/{pdf}/telecharger"),
    Visit("amina", "/papiers/{pdf}/supprimer"),
    Visit("amina", "/papiers/{pdf}/modifier"),
    Visit("amina", "/papiers/{pdf}?modifie=1"),
    Visit("amina", "/papiers/{pdf}/envoyer"),
    Visit("amina", "/papiers/{pdf}/envoyer", reach=make_a_link),
    Visit("amina", "/papiers/{pdf}/envoyer", reach=after_the_session_ended),
    Visit("amina", "/papiers/{pdf}/liens"),
    Visit("amina", "/acces", readme="amina-acces"),
    Visit("amina", "/historique", readme="amina-historique"),
    Visit("amina", "/corbeille"),
    Visit("amina", "/papiers?supprime={pdf}"),
    Visit("amina", "/compte"),
    Visit("amina", "/compte/deverrouiller"),
    Visit("amina", "/papiers/inconnu"),
    Visit("amina", "/protection"),
    # Moussa Traoré, whose account Claire made with him (she saw his recovery codes) and whose
    # password she changed with him: who did it, and when; his papers closed for a while.
    Visit("moussa", "/compte/mot-de-passe-change"),
    Visit("moussa", "/papiers"),
    Visit("moussa", "/compte"),
    Visit("moussa", "/historique"),
    # Claire Martin, counsellor at the CCAS, with every scope on Amina's safe, and 60 other
    # people who gave her access: two pages of people, a search that finds, one that does not.
    Visit("claire", "/personnes"),
    Visit("claire", "/personnes?page=2"),
    Visit("claire", "/personnes?q=amina"),
    Visit("claire", "/personnes?q=inconnu"),
    Visit("claire", "/personnes/nouvelle"),
    Visit("claire", "/personnes/nouvelle", reach=create_with_the_person),
    Visit("claire", "/personnes/demande"),
    Visit("claire", "/personnes/{vault}", readme="claire-personnes-vault"),
    Visit("claire", "/personnes/{vault}/mot-de-passe"),
    Visit("claire", "/personnes/{moussa}/mot-de-passe", reach=give_a_reset_code),
    Visit("claire", "/papiers/ajouter?coffre={vault}"),
    Visit("claire", "/papiers/{pdf}"),
    Visit("claire", "/papiers/{pdf}/voir"),
    Visit("claire", "/papiers/{pdf}/liens"),
    Visit("claire", "/organisation"),
    Visit("claire", "/compte"),
    # Nadia Ferrand, who runs the CCAS's team.
    Visit("nadia", "/organisation"),
    Visit("nadia", "/organisation/{ccas}/conseillers/{claire}/fermer"),
    Visit("nadia", "/organisation?ferme=1"),
    Visit("nadia", "/organisation/{ccas}/conseillers/{leila}/fermer"),
    Visit("nadia", "/organisation?retire=1"),
    Visit("nadia", "/organisation/{ccas}/conseillers/{claire}/nom"),
    Visit("nadia", "/organisation?nom=1"),
    Visit("nadia", "/historique"),
    # Paul's account, made by Nadia: his first sign-in asks for his own password.
    Visit("paul", "/compte/premier-mot-de-passe"),
    # The platform administrator.
    Visit("admin", "/admin/cles"),
    Visit("admin", "/compte"),
    # Nobody signed in.
    Visit(SIGNED_OUT, "/connexion", readme="signed-out-connexion"),
    Visit(SIGNED_OUT, "/connexion", reach=wrong_password),
    Visit(SIGNED_OUT, "/connexion?partage=1"),
    Visit(SIGNED_OUT, "/connexion/code"),
    Visit(SIGNED_OUT, "/inscription"),
    Visit(SIGNED_OUT, "/inscription", reach=sign_up),
    Visit(SIGNED_OUT, "/inscription", reach=refused_sign_up),
    Visit(SIGNED_OUT, "/mot-de-passe-oublie"),
    Visit(SIGNED_OUT, "/au-revoir"),
    Visit(SIGNED_OUT, "/nulle-part"),
    Visit(SIGNED_OUT, "/protection"),
    Visit(SIGNED_OUT, "/qui-gere"),
    Visit(SIGNED_OUT, "/aide"),
    # The office that received a link to a marked copy: without a code, with one, and over.
    Visit(SIGNED_OUT, "/s/{share}"),
    Visit(SIGNED_OUT, "/s/{coded_share}"),
    Visit(SIGNED_OUT, "/s/plus-valable"),
)


@dataclass
class World:
    rt: Runtime
    url: str
    # The values PAGES name in their paths.
    ids: dict[str, str]
    # Who (as in PAGES) -> the person's id.
    people: dict[str, str]

    def new_session(self, who: str, lang: str) -> str:
        """A fresh web session: the module outlasts an idle time, a test does not. The person's
        stored language is the tab's: it is what a signed-in page speaks."""
        with transaction(self.rt.sessions) as db:
            person = db.get_one(Person, self.people[who])
            person.preferred_language = lang
            token, _record = open_session(db, self.rt.settings, person, "web")
        return token


def furnish(settings: Settings) -> Iterator[World]:
    rt = build_runtime(settings)
    try:
        with transaction(rt.sessions) as db:
            claire = claire_of_the_ccas(db, rt)
            ccas = db.scalars(
                select(Membership.organisation_id).where(Membership.person_id == claire.id)
            ).one()
            nadia = create_person(
                db,
                rt.master_keys,
                login="nadia.ferrand",
                display_name="Nadia Ferrand",
                password=PASSWORD,
                role=Role.ORG_ADMIN,
            )
            db.add(Membership(person_id=nadia.id, organisation_id=ccas, role=MemberRole.ORG_ADMIN))
            secours = Organisation(name="Secours populaire")
            db.add(secours)
            db.flush()
            karim = create_person(
                db,
                rt.master_keys,
                login="karim.benali",
                display_name="Karim Benali",
                password=PASSWORD,
                role=Role.COUNSELLOR,
            )
            db.add(
                Membership(
                    person_id=karim.id, organisation_id=secours.id, role=MemberRole.COUNSELLOR
                )
            )
            # Leïla Haddad works for the Secours and the CCAS: leaving one keeps her account.
            leila = create_person(
                db,
                rt.master_keys,
                login="leila.haddad",
                display_name="Leïla Haddad",
                password=PASSWORD,
                role=Role.COUNSELLOR,
            )
            db.add(
                Membership(
                    person_id=leila.id, organisation_id=secours.id, role=MemberRole.COUNSELLOR
                )
            )
            db.flush()
            add_existing_member(db, rt.settings, nadia, ccas, login="leila.haddad")
            # Paul's name was mistyped when Nadia made his account; she corrects it below,
            # once Moussa has given him an access: both their histories say so.
            paul = add_member(
                db,
                rt.settings,
                rt.master_keys,
                nadia,
                ccas,
                login="paul.girard",
                display_name="Paul Girad",
                password=PROVISIONAL_PASSWORD,
            )
            admin = create_person(
                db,
                rt.master_keys,
                login="admin",
                display_name="Admin",
                password=PASSWORD,
                role=Role.ADMIN,
            )
            second_factor.install(db, rt.master_keys, admin, second_factor.new_secret())
            amina = amina_with_a_safe(db, rt)
            new_recovery_codes(db, amina)
            vault = vault_of(db, amina.id)
            assert vault is not None
            create_grant(db, rt, amina, GrantTerms(SCOPES), counsellor_id=claire.id)
            db.flush()
            request_access(db, rt, karim, amina.login, GrantTerms(["view", "upload"]))
            moussa = create_person(
                db,
                rt.master_keys,
                login="moussa.traore",
                display_name="Moussa Traoré",
                password=PASSWORD,
                role=Role.BENEFICIARY,
            )
            # His account made with Claire: she saw his codes, the pages ask for his own.
            new_recovery_codes(db, moussa, seen_by=claire)
            helped = create_grant(
                db, rt, moussa, GrantTerms(["view", "recover"]), counsellor_id=claire.id
            )
            create_grant(db, rt, moussa, GrantTerms(["view"]), counsellor_id=paul.id)
            db.flush()
            rename_member(db, rt.settings, nadia, ccas, paul.id, "Paul Girard")
            reset_with_person(db, rt, claire, moussa.id, "le nouveau mot de passe de moussa")
            people = {
                "amina": amina.id,
                "claire": claire.id,
                "nadia": nadia.id,
                "paul": paul.id,
                "admin": admin.id,
                "moussa": moussa.id,
                "leila": leila.id,
            }
            vault_id = vault.id
            moussa_vault = helped.vault_id
        granted_by(rt, people["claire"], numbered(60))
        ids = {
            "vault": vault_id,
            "moussa": moussa_vault,
            "ccas": ccas,
            "claire": people["claire"],
            "leila": people["leila"],
            "photo": add_paper(
                rt, amina, vault_id, "Titre de séjour", content=png(400, 250), category="residence"
            ),
            "pdf": add_paper(rt, claire, vault_id, "Avis d'impôt 2024", category="taxes"),
        }
        # One paper expiring soon, one expired: their marks and counts are on the pages too.
        today = utcnow().date()
        with transaction(rt.sessions) as db:
            for paper, days in (("photo", 20), ("pdf", -10)):
                update_document(db, rt, amina, ids[paper], expires_on=today + timedelta(days=days))
        # Without an SMTP server, the reminder of the paper expiring soon waits as a banner:
        # the first visit of each of the two lists shows it (then it is seen).
        send_due(rt, wording=CatalogueWording())
        binned = add_paper(rt, amina, vault_id, "Ancien bail", category="housing")
        with transaction(rt.sessions) as db:
            delete_document(db, rt, claire, binned)
        terms = ShareTerms("CAF du Loiret", "Dossier RSA", 48)
        ids["share"] = share_now(rt, amina, ids["pdf"], terms).token
        coded = ShareTerms("Préfecture", "Titre de séjour", 48, code="soleil-42")
        ids["coded_share"] = share_now(rt, claire, ids["pdf"], coded).token
        # The lists show both: a paper with its thumbnail, a paper with the icon.
        assert add_thumbnail(rt, ids["photo"])
        with serve(rt) as url:
            yield World(rt, url, ids, people)
    finally:
        rt.engine.dispose()


@pytest.fixture(scope="module", params=["embedded"])
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One embedded coffre for the whole module (the `embedded` id keeps `-k embedded` runs)."""
    folder = tmp_path_factory.mktemp("every-page")
    settings = Settings(
        _env_file=None,
        data_dir=folder / "data",
        keyring=(folder / "keys" / "keyring.json").as_uri(),
    )
    yield from furnish(settings)


@dataclass
class Tabs:
    """One tab per person, way of browsing and language. The "no-js" tabs have JavaScript off;
    an "axe" tab shows axe-core what a "no-js" tab got, since axe-core needs JavaScript."""

    browser: Browser
    world: World
    pages: dict[tuple[str, str, str], Page] = field(default_factory=dict)

    def tab(self, who: str, mode: str, lang: str) -> Page:
        key = (who, mode, lang)
        if key not in self.pages:
            context = self.browser.new_context(
                locale=lang, java_script_enabled=mode != "no-js", accept_downloads=False
            )
            context.set_default_timeout(10_000)
            self.pages[key] = context.new_page()
        page = self.pages[key]
        self.fresh_cookies(page.context, who, lang)
        return page

    def fresh_cookies(self, context: BrowserContext, who: str, lang: str) -> None:
        """The language, and the person's session; a signed-out tab also forgets the account
        a sign-up made in it."""
        context.clear_cookies()
        url = self.world.url
        context.add_cookies([{"name": "coffre_lang", "value": lang, "url": url}])
        if who != SIGNED_OUT:
            token = self.world.new_session(who, lang)
            context.add_cookies([{"name": "coffre_session", "value": token, "url": url}])

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module")
def tabs(browser: Browser, world: World) -> Iterator[Tabs]:
    kept = Tabs(browser, world)
    yield kept
    kept.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip("no axe-core: run bash scripts/test.sh (or npm ci)")
    return AXE.read_text()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("COFFRE_TEST_SCREENSHOTS")
    if not folder:
        return tmp_path_factory.mktemp("shots")
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)


class Weighing:
    """The responses of the last page shown in a tab, from its HTML on."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.responses: list[Response] = []
        page.on("response", self.seen)

    def seen(self, response: Response) -> None:
        # The browser's own PDF viewer (chrome:// and chrome-extension://) is not the page's.
        if not response.url.startswith(("http://", "https://")):
            return
        request = response.request
        if request.resource_type == "document" and request.frame == self.page.main_frame:
            self.responses = []
        if not THE_PAPER.search(response.url) and not 300 <= response.status < 400:
            self.responses.append(response)

    def total(self) -> tuple[int, list[str]]:
        sizes = [(len(r.body()), r.url) for r in self.responses]
        return sum(size for size, _ in sizes), [f"{url} {size}" for size, url in sizes]

    def stop(self) -> None:
        self.page.remove_listener("response", self.seen)


def show(page: Page, visit: Visit, url: str, ids: dict[str, str]) -> None:
    address = url + visit.path.format(**ids)
    if visit.reach is not None:
        visit.reach(page, address)
    else:
        page.goto(address)


def blocking_violations(page: Page, axe_source: str) -> list[str]:
    # evaluate() is not bound by the page's CSP, which refuses an injected <script>.
    page.evaluate(axe_source)
    found = page.evaluate(AXE_RUN)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in found["violations"]
        if v["impact"] in BLOCKING
    ]


def as_seen_without_javascript(axe_tab: Page, html: str, at: str) -> None:
    """Loads in `axe_tab` the very HTML a tab without JavaScript got, with its style sheets and
    images but none of its scripts: the policy refuses them, and evaluate() is not bound by it."""

    def same_html(route: Route) -> None:
        route.fulfill(
            status=200,
            headers={"Content-Security-Policy": "script-src 'none'"},
            content_type="text/html; charset=utf-8",
            body=html,
        )

    def is_the_page(address: str) -> bool:
        return address == at

    axe_tab.route(is_the_page, same_html)
    axe_tab.goto(at)
    axe_tab.unroute(is_the_page, same_html)
    assert axe_tab.content() == html, "a script changed the page axe-core checks"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("width", "javascript"), WAYS, ids=[f"{w}px-{'js' if js else 'no-js'}" for w, js in WAYS]
)
@pytest.mark.parametrize("visit", PAGES, ids=str)
def test_page(
    visit: Visit,
    width: int,
    javascript: bool,
    lang: str,
    world: World,
    tabs: Tabs,
    axe_source: str,
    shots: Path,
) -> None:
    mode = "js" if javascript else "no-js"
    page = tabs.tab(visit.who, mode, lang)
    viewport: ViewportSize = {"width": width, "height": HEIGHTS[width]}
    page.set_viewport_size(viewport)
    weighing = Weighing(page)
    try:
        show(page, visit, world.url, world.ids)
    finally:
        weighing.stop()
    name = re.sub(r"[^\w]+", "-", f"{lang}-{width}-{mode}-{visit}").strip("-")
    shot = shots / f"{name}.png"
    save_screenshot(page, shot)
    if visit.readme and (width, javascript) == README_WAY:
        shutil.copyfile(shot, shots / f"{lang}-{visit.readme}.png")

    problems = []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        too_wide = page.evaluate(WIDER_THAN_THE_SCREEN, width)
        problems.append(f"scrolls sideways: {scroll_width} px; too wide: {too_wide}")
    weight, parts = weighing.total()
    if weight >= MAX_PAGE_BYTES:
        problems.append(f"weighs {weight} bytes: {parts}")
    if javascript:
        checked = page
    else:
        checked = tabs.tab(visit.who, "axe", lang)
        checked.set_viewport_size(viewport)
        as_seen_without_javascript(checked, page.content(), page.url)
    problems += blocking_violations(checked, axe_source)
    problems += [f"target under 44 px: {t}" for t in page.evaluate(SMALL_TARGETS, MIN_TARGET_PX)]
    problems += [
        f"kept in the browser's form history: {f}"
        for f in page.evaluate(REMEMBERED_FIELDS, list(CREDENTIALS))
    ]
    if cut := page.evaluate(LAST_CODE_NUMBER_CUT):
        problems.append(f"the last recovery code's number is cut: {cut}")
    page.keyboard.press("Tab")
    problems += [f"focus: {w}" for w in page.evaluate(WEAK_FOCUS_RINGS, MIN_FOCUS_CONTRAST)]
    if problems:
        pytest.fail(f"{visit} at {width} px ({mode}, {lang}):\n" + "\n".join(problems))
