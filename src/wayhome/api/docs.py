"""API docs served from the package, never from a CDN: the trailhead has no internet.

Swagger UI's files come from the ``swagger-ui-bundle-v2`` wheel (Swagger UI 5, which reads
OpenAPI 3.1) and are mounted under ``/docs/static``; ``/docs`` is FastAPI's own page
pointed at them. ReDoc (CDN only) is not offered.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["install_docs"]

_STATIC = "/docs/static"


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (Swagger UI) with local assets; ``app`` must have ``docs_url=None``."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount(_STATIC, StaticFiles(directory=swagger_ui_path), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url=f"{_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{_STATIC}/favicon-32x32.png",
        )
