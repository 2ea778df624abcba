"""Pages for platform administrators: the keys, their versions, overdue rotations, the last
integrity check and the papers people reported as unreadable. An administrator sees counts,
dates and ids, never a paper."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vault.documents.reports import reported_papers
from vault.keylife.key_status import key_status
from webui.deps import PAGE_CSRF, DbSession, PlatformAdmin, RuntimeDep
from webui.pages.render import page

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])


@router.get("/admin/cles")
def keys_page(request: Request, db: DbSession, rt: RuntimeDep, me: PlatformAdmin) -> Response:
    status = key_status(db, rt.master_keys, rt.settings)
    return page(
        request,
        "admin_keys.html",
        me,
        status=status,
        period=rt.settings.master_rotation_days,
        reported=reported_papers(db),
    )
