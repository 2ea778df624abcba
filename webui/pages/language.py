"""The language switch on every page: a plain link, so it works without JavaScript. Before
sign-in the choice lives in a cookie; signed in, it is also the person's stored choice."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vault.accounts.accounts import LANGUAGES, update_profile
from vault.errors import NotFoundError
from webui.deps import PAGE_CSRF, DbSession, PageSignedIn, RuntimeDep
from webui.i18n import A_YEAR, LANGUAGE_COOKIE
from webui.navigation import own_page
from webui.pages.common import redirect
from webui.security import set_cookie

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])


@router.get("/langue/{code}")
def choose_language(
    code: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    signed_in: PageSignedIn,
    retour: str = "",
) -> Response:
    """A GET that changes a setting: harmless to replay, and the session cookie is SameSite
    strict, so another site cannot change a signed-in person's choice. `retour`: the page the
    switch was on, the sign-in page too."""
    if code not in LANGUAGES:
        raise NotFoundError("Cette langue n'est pas proposée.")
    if signed_in is not None:
        update_profile(db, rt.master_keys, signed_in.person, preferred_language=code)
    response = redirect(own_page(retour) or "/")
    set_cookie(request, response, LANGUAGE_COOKIE, code, max_age=A_YEAR)
    return response
