"""The incident server: a FastAPI app built by :func:`create_app` from explicit settings."""

from __future__ import annotations

from wayhome.api.app import create_app
from wayhome.api.settings import WayhomeSettings, get_settings

__all__ = ["WayhomeSettings", "create_app", "get_settings"]
