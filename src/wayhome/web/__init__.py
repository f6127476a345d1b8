"""The web app: command post at ``/`` and field view at ``/field/``, served by the API.

The front-end is built from ``web/`` (npm, Vite) into ``static/`` beside this package by
``make setup``; :func:`mount_web` serves it.
"""

from __future__ import annotations

from wayhome.web.serve import NOT_BUILT, mount_web, static_dir

__all__ = ["NOT_BUILT", "mount_web", "static_dir"]
