"""Pages for platform administrators: the keys, their versions, overdue rotations and the last
integrity check. An administrator sees counts and dates, never a paper."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vault.errors import ForbiddenError
from vault.key_status import key_status
from webui.deps import DbSession, PageSignedIn, RuntimeDep, need
from webui.pages.render import page

router = APIRouter(include_in_schema=False)


@router.get("/admin/cles")
def keys_page(request: Request, db: DbSession, rt: RuntimeDep, signed_in: PageSignedIn) -> Response:
    me = need(signed_in)
    if me.person.role != "admin":
        raise ForbiddenError("Cette page est réservée aux administrateurs de la plateforme.")
    status = key_status(db, rt.master_keys, rt.settings)
    return page(
        request, "admin_keys.html", me, status=status, period=rt.settings.master_rotation_days
    )
