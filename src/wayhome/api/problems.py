"""RFC 9457 problem details: the one place that turns errors into HTTP statuses.

Every 4xx answer is ``application/problem+json`` with ``type``, ``title``, ``status`` and
``detail``; a broken pairing rule adds ``rule``, a validation error adds ``errors``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wayhome.errors import (
    AccessDeniedError,
    ConflictError,
    NotAuthenticatedError,
    UsageError,
    WayhomeError,
)
from wayhome.store.errors import PairRuleError, UnknownRecordError

__all__ = [
    "PROBLEM_JSON",
    "BodyLimitMiddleware",
    "install_problem_handlers",
    "problem_response",
    "status_of",
]

PROBLEM_JSON = "application/problem+json"

#: Most specific first: the first class an error is an instance of gives its status.
_STATUSES: tuple[tuple[type[WayhomeError], int, str], ...] = (
    (NotAuthenticatedError, 401, "Not authenticated"),
    (AccessDeniedError, 403, "Forbidden"),
    (UnknownRecordError, 404, "Not found"),
    (ConflictError, 409, "Conflict"),
    (PairRuleError, 422, "Pairing rule broken"),
    (UsageError, 422, "Invalid input"),
)


def status_of(exc: WayhomeError) -> tuple[int, str]:
    """HTTP status and title for a wayhome error (500 for anything not a usage error)."""
    for cls, status, title in _STATUSES:
        if isinstance(exc, cls):
            return status, title
    return 500, "Internal error"


def problem_response(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response; ``type`` is ``about:blank`` (the status says it all)."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON)


async def _wayhome_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(WayhomeError, exc)  # registered for WayhomeError only
    status, title = status_of(exc)
    extra = {"rule": exc.rule} if isinstance(exc, PairRuleError) else {}
    detail = str(exc) if status < 500 else "the server failed; the request was not applied"
    response = problem_response(status, title, detail, instance=request.url.path, **extra)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(RequestValidationError, exc)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"] if p != "body") or "body"
    message = first["msg"]
    if first.get("type") == "json_invalid":  # its loc ends at the character, not a field
        where, message = "body", f"not valid JSON ({message} at character {where})"
    return problem_response(
        422, "Invalid input", f"{where}: {message}", instance=request.url.path, errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(HTTPException, exc)
    response = problem_response(
        exc.status_code,
        HTTPStatus(exc.status_code).phrase,
        str(exc.detail),
        instance=request.url.path,
    )
    response.headers.update(exc.headers or {})
    return response


#: The largest id the store can look up (INTEGER columns are 32-bit on PostgreSQL).
_MAX_ID = 2**31 - 1


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    # A value the database cannot take: an id past _MAX_ID (SQLite raises OverflowError past
    # 64 bits, PostgreSQL SQLSTATE 22003 past 32), or text with a NUL byte (PostgreSQL).
    if (
        isinstance(exc, OverflowError)
        or getattr(getattr(exc, "orig", None), "sqlstate", "") == "22003"
    ):
        detail = (
            "a number or time in the request is out of range "
            f"(ids are at most {_MAX_ID}, times within years 1-9999); check them"
        )
    else:
        detail = "a value in the request cannot be stored (text with a NUL character?); fix it"
    return problem_response(422, "Invalid input", detail, instance=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    """Map the wayhome error tree, validation errors and HTTP errors to problem+json."""
    app.add_exception_handler(WayhomeError, _wayhome_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    # Values past what the database holds are the request's fault, not the server's.
    app.add_exception_handler(OverflowError, _unstorable)
    app.add_exception_handler(DataError, _unstorable)


class BodyLimitMiddleware:
    """Answer 413 (problem+json) to a body over ``max_bytes``, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # FastAPI re-raises HTTPException from body parsing; _http_error answers.
                raise HTTPException(413, self._detail())
            return message

        await self.app(scope, limited, send)

    def _detail(self) -> str:
        return f"body: larger than {self.max_bytes} bytes; send positions in smaller batches"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(413, "Request body too large", self._detail())
        await response(scope, receive, send)
