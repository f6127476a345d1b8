"""Shared pytest fixtures for wayhome.

Named sample data lives in fixtures here (as in rasterio's ``conftest.py``); tests that
need only synthetic data make it in ``tmp_path`` themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: The project's shared sample data: ``shared/data`` beside the repository checkout.
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared sample data (terrain, cases, ISRID tables).

    Skips the test when the folder is missing on a developer machine; fails it in CI
    (``CI=true``), where the data is always laid beside the checkout.
    """
    if not SHARED_DATA.is_dir():
        message = f"shared data not found at {SHARED_DATA}: CI always has it"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA
