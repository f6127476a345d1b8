"""The browser app: the command-post map at ``/`` and the field view (a PWA) at ``/field/``.

The app is built from the npm project in ``web/`` (``npm --prefix web ci && npm --prefix web
run build``, run by ``make setup``) into ``wayhome/web/static/``, which is not in git. An
editable install (``pip install -e .``) finds it there; :func:`mount_web` serves it after every
API route, or answers ``GET /`` with a 503 problem saying how to build it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["NOT_BUILT", "mount_web", "static_dir"]

#: The problem detail at ``/`` while the web app is not built.
NOT_BUILT = "web app not built: run `make setup`"

_STATIC = Path(__file__).parent / "static"


def static_dir() -> Path | None:
    """The built web app's directory, or None when it has not been built.

    Examples
    --------
    >>> d = static_dir()
    >>> d is None or (d / "index.html").is_file()
    True
    """
    return _STATIC if (_STATIC / "index.html").is_file() else None


class _WebFiles(StaticFiles):
    """The built files, with cache headers: pages and the service worker are revalidated."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        page = response.headers.get("content-type", "").startswith("text/html")
        if page or path in ("sw.js", "field/manifest.webmanifest"):
            # The service worker and the pages must be revalidated so an update is seen.
            response.headers["Cache-Control"] = "no-cache"
        elif path.startswith("assets/"):
            # Vite names them by content hash: they never change.
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


class _WebFallback:
    """What the router runs when no API route matches: the web app for GET and HEAD.

    It is the router's *default*, not a mount at ``/``: a path that an API route has with
    another method still answers 405, and a write to an unknown path 404, as without it.
    """

    def __init__(self, files: ASGIApp, fallback: ASGIApp) -> None:
        self.files = files
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            await self.files(scope, receive, send)
        else:
            await self.fallback(scope, receive, send)


def mount_web(app: FastAPI) -> None:
    """Serve the web app at ``/`` (``/field/`` too) wherever no API route answers.

    When the app is not built, ``GET /`` answers 503 (problem+json) saying how to build it.
    """
    from wayhome.api.problems import problem_response  # here: wayhome.api imports this module

    directory = static_dir()
    if directory is None:

        @app.get("/", include_in_schema=False)
        def web_not_built() -> JSONResponse:
            return problem_response(503, "Service Unavailable", NOT_BUILT, instance="/")

        return
    files = _WebFiles(directory=directory, html=True)
    app.router.default = _WebFallback(files, app.router.default)
