"""The pages in French (the source), English and Arabic: gettext catalogues made with Babel
(webui/locales/<lang>/LC_MESSAGES/messages.po), the language of each request, and dates,
numbers and messages of the domain (vault.errors) put in that language at the edge."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from gettext import GNUTranslations, NullTranslations
from importlib.resources import files
from io import BytesIO
from urllib.parse import urlencode

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from fastapi import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from vault.accounts.accounts import LANGUAGES
from vault.errors import VaultError
from vault.models import Person
from vault.wall_clock import on_the_wall
from webui.security import cookie_name

SOURCE = "fr"
RIGHT_TO_LEFT = frozenset({"ar"})
LANGUAGE_COOKIE = "coffre_lang"
A_YEAR = 365 * 24 * 3600

_current: ContextVar[str] = ContextVar("coffre_language", default=SOURCE)


@cache
def catalogue(language: str) -> NullTranslations:
    """The compiled catalogue of `language`; the source language needs none."""
    if language == SOURCE:
        return NullTranslations()
    po = files("webui") / "locales" / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        messages = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return GNUTranslations(compiled)


def language_of(request: Request, person: Person | None) -> str:
    """The person's stored choice, then the switch (a cookie), then the browser's languages."""
    if person is not None and person.preferred_language in LANGUAGES:
        return person.preferred_language
    return browser_language(request)


def browser_language(request: Request) -> str:
    """The switch's cookie (set too at sign-in to the stored choice), then Accept-Language."""
    chosen = switch_cookie(request)
    if chosen in LANGUAGES:
        return chosen
    wanted = accepted(request.headers.get("accept-language", ""))
    return negotiate_locale(wanted, list(LANGUAGES), sep="-") or SOURCE


def switch_cookie(request: Request) -> str:
    """The switch's cookie, under the name it was set with (__Host- prefixed over HTTPS)."""
    return request.cookies.get(cookie_name(request, LANGUAGE_COOKIE), "")


def accepted(header: str) -> list[str]:
    """Accept-Language's languages, most wanted first."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:20]):
        tag, _, quality = item.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag and weight > 0:
            weighted.append((-weight, position, tag.split("-")[0].lower()))
    return [tag for _weight, _position, tag in sorted(weighted)]


class ChooseLanguage:
    """Every request speaks the browser's language from its start, so words made in a route
    (before the page) are in it too; a page then speaks the person's stored choice."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        switch = _switch_by_query(request)
        if switch is not None:
            await RedirectResponse(switch, status_code=303)(scope, receive, send)
            return
        with speaking(browser_language(request)):
            await self.app(scope, receive, send)


def _switch_by_query(request: Request) -> str | None:
    """A page asked with `?lang=fr|en|ar` (the contract's switch, beside the pages' own links to
    /langue/{code}) goes through that switch, which keeps the choice (a cookie, and the
    person's stored choice once signed in), then back to the same page without it."""
    code = request.query_params.get("lang", "")
    path = request.url.path
    if request.method != "GET" or code not in LANGUAGES or path.startswith(("/api/", "/langue/")):
        return None
    rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    back = f"{path}?{rest}" if rest else path
    return f"/langue/{code}?{urlencode({'retour': back})}"


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Within: gettext, dates and numbers are in `language`."""
    token = _current.set(language if language in LANGUAGES else SOURCE)
    try:
        yield
    finally:
        _current.reset(token)


def speak(language: str) -> None:
    """From here to the end of the request (see webui.deps.page_csrf, which knows who is
    signed in): the person's stored choice, for words made in routes as for the page."""
    _current.set(language if language in LANGUAGES else SOURCE)


def current() -> str:
    return _current.get()


def direction() -> str:
    return "rtl" if current() in RIGHT_TO_LEFT else "ltr"


def gettext(message: str) -> str:
    return catalogue(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return catalogue(current()).ngettext(singular, plural, count)


def error_text(error: VaultError) -> str:
    """A refusal of the domain, in the request's language."""
    return translated(error.template, error.params)


def translated(message: str, params: Mapping[str, str | int] | None = None) -> str:
    """`message` (French) in the request's language, then its `%(name)s` places filled: a
    size, a date or a name is put in the translated sentence. A message the catalogue lacks
    stays French."""
    text = gettext(message)
    return text % params if params else text


# English as written in Europe for dates and times: the day before the month and a 24-hour
# clock, as on the French papers beside them ("7 March 2031, 14:05", not "March 7, 2:05 PM").
_DATE_LOCALES = {"en": "en_GB"}


def day(value: date | datetime) -> str:
    """The day as stored: an access « until » a day ends at 23:59:59 UTC of that day, which
    the wall clock would show as the next."""
    return format_date(value, format="long", locale=_date_locale())


def moment(value: datetime) -> str:
    """The day and the time, as a clock on the wall shows it (vault.wall_clock)."""
    locale = _date_locale()
    local = on_the_wall(value)
    day_part = format_date(local, format="long", locale=locale)
    comma = "، " if current() in RIGHT_TO_LEFT else ", "  # Arabic writes its own comma
    return f"{day_part}{comma}{format_time(local, format='short', locale=locale)}"


def _date_locale() -> str:
    language = current()
    return _DATE_LOCALES.get(language, language)


class CatalogueWording:
    """Words and dates of the domain (vault.documents.reminders.Wording) in a given language,
    outside any request (the reminders job)."""

    def text(self, language: str, message: str) -> str:
        with speaking(language):
            return gettext(message)

    def day(self, language: str, value: date) -> str:
        with speaking(language):
            return day(value)


def number(value: float) -> str:
    return format_decimal(value, format="#,##0.#", locale=current())


def language_name(code: str) -> str:
    return Locale.parse(code).get_display_name(code) or code
