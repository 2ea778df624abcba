"""A professional's first sign-in: the admin who made their account chose its password, so
they choose their own before anything else (vault.policy.must_choose_password); every other
page sends them here until then (webui.deps)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from vault.errors import VaultError
from vault.policy import must_choose_password
from webui.deps import PAGE_CSRF, DbSession, RuntimeDep, SignedInPage
from webui.pages.account import change_own_password
from webui.pages.auth import start_session
from webui.pages.common import Code, redirect
from webui.pages.render import page

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])

Password = Annotated[str, Form(max_length=1000)]


@router.get("/compte/premier-mot-de-passe")
def first_password_form(request: Request, me: SignedInPage) -> Response:
    if not must_choose_password(me.person):
        return redirect("/compte")
    return page(request, "first_password.html", me)


@router.post("/compte/premier-mot-de-passe")
def choose_first_password(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    me: SignedInPage,
    current_password: Password = "",
    totp: Code = "",
    password: Password = "",
) -> Response:
    """The app's code too where a second factor is on (a password given at the console, `coffre
    admin reset-password`): as for every password change."""
    try:
        change_own_password(request, db, rt, me, current=current_password, totp=totp, new=password)
    except VaultError as exc:
        return page(request, "first_password.html", me, error=exc, error_field="current_password")
    return start_session(request, db, rt, me.person, redirect("/compte?fait=mot-de-passe"))
