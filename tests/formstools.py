"""The demo incident for the ICS forms tests: planned once per session, played per database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wayhome.demo.story import play_story
from wayhome.store import engine_from_url, link_plan, session_factory, upgrade_database

#: The poppler-utils tools the forms tests read PDFs with.
POPPLER = ("pdftotext", "pdftoppm")


def require_poppler() -> None:
    """Skip the calling test when poppler-utils is missing; in CI (``CI=true``) fail it."""
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if not missing:
        return
    message = (
        f"poppler-utils not installed ({', '.join(missing)} not on PATH): the forms' text "
        "cannot be read back; install it (apt-get install poppler-utils)"
    )
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(message + "; CI must have it")
    pytest.skip(message)


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page of ``pdf`` (``pdftotext``), whitespace runs made single spaces."""
    require_poppler()
    path = tmp_path / "read.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


#: Passwords of the demo users played by :func:`played`.
PASSWORDS = {
    "admin": "admin-pass-1234",
    "viewer": "viewer-pass-1234",
    "planner": "planner-pass-1234",
}


def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``wayhome demo --no-serve --out DIR`` once per test session; DIR (plans + wayhome.db)."""
    out = tmp_path_factory.getbasetemp() / "forms-demo"
    done = out / ".done"
    if not done.is_file():
        subprocess.run(
            [sys.executable, "-c", "from wayhome.cli import main; main()", "demo", "--out",
             str(out), "--no-serve"],
            check=True,
            capture_output=True,
            text=True,
        )  # fmt: skip
        done.write_text("ok")
    return out


def played(url: str, plans: Path, *, link: str = "period-2") -> int:
    """Play the demo story into the empty database ``url``; link a plan; the incident id."""
    upgrade_database(url)
    engine = engine_from_url(url)
    try:
        with session_factory(engine)() as session:
            result = play_story(session, plan_dir=plans, passwords=PASSWORDS)
            link_plan(session, incident_id=result.incident_id, path=plans / link, actor="test")
            return result.incident_id
    finally:
        engine.dispose()
