"""``GET /health``: the server answers and its database too."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from wayhome.api.deps import SessionDep
from wayhome.api.schemas import Health

__all__ = ["health", "router"]

router = APIRouter(tags=["health"])


@router.get("/health")
def health(session: SessionDep) -> Health:
    """Liveness with a database round trip."""
    session.execute(text("SELECT 1"))
    return Health(status="ok", database=session.get_bind().dialect.name)
