"""The pages that say why the safe can be trusted: how papers are protected, who runs the
service, and help. Everyone may read them, signed in or not; every page links to them."""

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vault.config import Settings
from webui.deps import PAGE_CSRF, PageSignedIn, RuntimeDep
from webui.pages.render import page

router = APIRouter(include_in_schema=False, dependencies=[PAGE_CSRF])


@dataclass(frozen=True)
class Operator:
    """Who runs this coffre, as its settings say; lines of text, shown as written."""

    name: str
    contact: list[str]
    legal_notice: list[str]
    project_url: str

    @property
    def filled(self) -> bool:
        return bool(self.name or self.contact or self.legal_notice)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def operator_of(settings: Settings) -> Operator:
    return Operator(
        name=settings.operator_name.strip(),
        contact=_lines(settings.operator_contact),
        legal_notice=_lines(settings.operator_legal_notice),
        project_url=settings.project_url,
    )


@router.get("/protection")
def protection(request: Request, rt: RuntimeDep, signed_in: PageSignedIn) -> Response:
    return page(
        request,
        "protection.html",
        signed_in,
        idle_minutes=rt.settings.session_idle_minutes,
    )


@router.get("/qui-gere")
def operator_page(request: Request, rt: RuntimeDep, signed_in: PageSignedIn) -> Response:
    return page(request, "operator.html", signed_in, operator=operator_of(rt.settings))


@router.get("/aide")
def help_page(request: Request, rt: RuntimeDep, signed_in: PageSignedIn) -> Response:
    return page(request, "help.html", signed_in, operator=operator_of(rt.settings))
