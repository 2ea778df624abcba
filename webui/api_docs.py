"""/api/docs: Swagger UI from the swagger_ui_bundle package, never from a CDN, started by a
script file of ours (webui/static/api-docs.js): it works under the pages' CSP, which allows no
inline script and no other origin."""

from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

# The package ships no type information.
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

router = APIRouter(prefix="/api/docs", include_in_schema=False)

ASSETS = Path(str(swagger_ui_path))


@router.get("")
def api_docs(request: Request) -> HTMLResponse:
    return HTMLResponse(page_html(request.app.openapi_url or "/openapi.json"))


def page_html(schema_url: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>coffre: API v1</title>\n"
        '<link rel="stylesheet" href="/api/docs/swagger-ui.css">\n'
        "</head>\n<body>\n"
        f'<div id="swagger-ui" data-openapi-url="{escape(schema_url)}"></div>\n'
        '<script src="/api/docs/swagger-ui-bundle.js"></script>\n'
        '<script src="/static/api-docs.js"></script>\n'
        "</body>\n</html>\n"
    )


@router.get("/swagger-ui.css")
def swagger_css() -> FileResponse:
    return asset("swagger-ui.css")


@router.get("/swagger-ui-bundle.js")
def swagger_bundle() -> FileResponse:
    return asset("swagger-ui-bundle.js")


def asset(name: str) -> FileResponse:
    return FileResponse(ASSETS / name)
