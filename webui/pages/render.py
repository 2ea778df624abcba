"""Rendering pages: one Jinja2 environment, a common context, and the error-summary pattern."""

from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from vault.accounts.accounts import LANGUAGES
from vault.accounts.sessions import SignedIn
from vault.documents.categories import CATEGORIES
from vault.errors import VaultError
from vault.models import Person
from vault.policy import (
    is_beneficiary,
    is_professional,
    may_manage_members,
    may_see_keys_page,
)
from webui import i18n
from webui.pages.typed_text import typed
from webui.security import set_cookie
from webui.statuses import error_headers, status_of

templates = Jinja2Templates(directory=str(files("webui") / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)


def size_label(size: int) -> str:
    if size < 1024 * 1024:
        # A few bytes show as 1 Ko, never as nothing; nothing at all as 0 Ko.
        kilobytes = max(1, round(size / 1024)) if size else 0
        return i18n.gettext("%(size)s Ko") % {"size": i18n.number(kilobytes)}
    return i18n.gettext("%(size)s Mo") % {"size": i18n.number(round(size / (1024 * 1024), 1))}


templates.env.filters["size"] = size_label
templates.env.filters["category"] = lambda code: i18n.gettext(CATEGORIES.get(code) or code)
templates.env.filters["day"] = i18n.day
templates.env.filters["moment"] = i18n.moment
templates.env.filters["typed"] = typed


@dataclass(frozen=True)
class Menu:
    """What the header offers, as the policy decides it."""

    papers: bool = False
    people: bool = False
    organisation: bool = False
    keys: bool = False


def menu_for(person: Person | None) -> Menu:
    if person is None:
        return Menu()
    return Menu(
        papers=is_beneficiary(person),
        people=is_professional(person),
        organisation=is_professional(person) and may_manage_members(person),
        keys=may_see_keys_page(person),
    )


def page(
    request: Request,
    template: str,
    signed_in: SignedIn | None,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    error: VaultError | None = None,
    error_field: str = "login",
    speaking_in: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a page. `errors` maps a field id to its message, shown at the top and by the field;
    `error` fills them from a refusal (its field, else `error_field`) unless they are given, and
    sets the status and the headers that go with it. `speaking_in`: a language of the pages
    chosen by the route, before the person's or the browser's."""
    person = signed_in.person if signed_in else None
    language = speaking_in or i18n.language_of(request, person)
    with i18n.speaking(language):
        if error is not None:
            status_code = status_of(error)
            errors = errors or {error.field or error_field: i18n.error_text(error)}
        response = _render(request, template, signed_in, status_code, errors, context)
    # A refusal that says when to try again (429, 503) says it on a page too.
    retry_after = (error_headers(error) or {}).get("Retry-After") if error else None
    if retry_after:
        response.headers["Retry-After"] = retry_after
    if person is not None and i18n.switch_cookie(request) != language:
        # The next requests start in the person's language (webui.i18n.ChooseLanguage).
        set_cookie(request, response, i18n.LANGUAGE_COOKIE, language, max_age=i18n.A_YEAR)
    return response


def _render(
    request: Request,
    template: str,
    signed_in: SignedIn | None,
    status_code: int,
    errors: dict[str, str] | None,
    context: dict[str, Any],
) -> HTMLResponse:
    settings = request.app.state.runtime.settings
    return templates.TemplateResponse(
        request,
        template,
        {
            "lang": i18n.current(),
            "dir": i18n.direction(),
            "languages": LANGUAGES,
            "signed_in": signed_in,
            "menu": menu_for(signed_in.person if signed_in else None),
            "csrf": signed_in.session.csrf_token if signed_in else "",
            "idle_seconds": settings.session_idle_minutes * 60,
            "allow_signup": settings.allow_signup,
            "categories": CATEGORIES,
            "errors": errors or {},
            # Set by webui/deps.py page_signed_in: papers closed after an assisted reset.
            "hold": getattr(request.state, "hold", None) if signed_in else None,
            "may_unlock": getattr(request.state, "may_unlock", False),
            "papers_closed": getattr(request.state, "papers_closed", False),
            **context,
        },
        status_code=status_code,
    )
