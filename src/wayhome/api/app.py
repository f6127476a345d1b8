"""The app factory: settings in, FastAPI app out; nothing is built at import."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from wayhome.api.auth import AuthCache, LoginLimiter
from wayhome.api.docs import install_docs
from wayhome.api.hub import LiveHub
from wayhome.api.ingest import PositionWriter
from wayhome.api.problems import BodyLimitMiddleware, install_problem_handlers
from wayhome.api.routes import ROUTERS
from wayhome.api.routes.map import warm_linked_plans
from wayhome.api.routes.positions import publish_positions
from wayhome.api.settings import WayhomeSettings, get_settings
from wayhome.api.watch import watch_incidents
from wayhome.store import engine_from_url, session_factory, upgrade_database
from wayhome.web import mount_web

__all__ = ["create_app"]


def create_app(settings: WayhomeSettings | None = None) -> FastAPI:
    """The incident server for ``settings`` (from the environment when not given).

    The database is upgraded to the newest schema when the app starts (its lifespan),
    and its engine disposed of when it stops.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(upgrade_database, settings.database_url)
        engine = engine_from_url(settings.database_url)
        app.state.sessions = session_factory(engine)
        # The linked plans' maps drawn ahead, in a background thread (#6: first page load).
        await run_in_threadpool(warm_linked_plans, app)
        app.state.auth_cache = AuthCache(ttl_seconds=settings.auth_cache_seconds)
        app.state.auth_cache.watch(app.state.sessions)
        app.state.position_writer = PositionWriter(
            app.state.sessions, partial(publish_positions, app.state.hub)
        )
        watch = None
        if settings.roll_call_watch_seconds > 0:
            watch = asyncio.create_task(
                watch_incidents(
                    app.state.sessions,
                    app.state.hub,
                    settings.roll_call_watch_seconds,
                    no_contact=timedelta(minutes=settings.overdue_minutes),
                    grant_warning=timedelta(minutes=settings.grant_warning_minutes),
                )
            )
        try:
            yield
        finally:
            if watch is not None:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
            engine.dispose()

    app = FastAPI(
        title="wayhome incident server",
        summary="One live operational picture: roster, pairs, positions, roll calls, activity log.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs from local files (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.hub = LiveHub()
    app.state.login_limiter = LoginLimiter(
        per_login=settings.login_max_failures,
        per_address=settings.login_max_failures_per_address,
        window=timedelta(minutes=settings.login_window_minutes),
    )
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:  # none: no CORS headers, same origin only (the web app)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After", "ETag"],
            max_age=600,
        )
    for router in ROUTERS:
        app.include_router(router)
    install_docs(app)
    mount_web(app)  # last: the web app at / catches what no API route takes
    return app
