"""GET /incidents/{id}/forms/{form}.pdf and /incidents/{id}/iap.pdf (SQLite and PostgreSQL).

The demo story is played into a fresh database per backend (its period-2 plan linked)
and served; its users log in with :data:`formstools.PASSWORDS`. Text is read back with
``pdftotext``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apitools import post, problem
from formstools import PASSWORDS, demo_out, pdf_pages, played


@dataclass(frozen=True)
class Served:
    client: TestClient
    incident: int
    #: The story's county liaison, a viewer of the demo incident only.
    viewer: dict[str, str]
    admin: dict[str, str]


def _headers(client: TestClient, login: str) -> dict[str, str]:
    body = {"login": login, "password": PASSWORDS[login]}
    token = post(client, "/auth/token", body, status=200)["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The played demo behind the incident server, once per backend for this module."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from wayhome.api import WayhomeSettings, create_app

    schema = ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('api-forms') / 'wayhome.db'}"
    else:
        base: str = request.getfixturevalue("postgres_database")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        finally:
            engine.dispose()
        url = (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    incident = played(url, demo_out(tmp_path_factory))
    settings = WayhomeSettings(database_url=url, roll_call_watch_seconds=0)
    try:
        with TestClient(create_app(settings)) as client:
            yield Served(client, incident, _headers(client, "viewer"), _headers(client, "admin"))
    finally:
        if schema:
            engine = create_engine(base, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()


def _pdf(served: Served, path: str, tmp_path: Path, **params: Any) -> list[str]:
    response = served.client.get(path, headers=served.viewer, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return pdf_pages(response.content, tmp_path)


def test_the_iap_packet_of_a_period(served: Served, tmp_path: Path) -> None:
    response = served.client.get(
        f"/incidents/{served.incident}/iap.pdf", params={"period": 2}, headers=served.viewer
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    disposition = f'inline; filename="incident-{served.incident}-iap-period-2.pdf"'
    assert response.headers["content-disposition"] == disposition
    pages = pdf_pages(response.content, tmp_path)
    # 202, 201 x4, 204 per assignment (4), 205, 206, 211, 214 per team (6) and command.
    assert len(pages) == 19 and pages[-1].endswith("prepared by wayhome from the incident record")
    assert pages[0].startswith("INCIDENT OBJECTIVES (ICS 202)") and "IAP Page 1" in pages[0]
    assert "Search the rock shelters under Owl Rock" in pages[0]
    assert sum(p.startswith("ASSIGNMENT LIST (ICS 204)") for p in pages) == 4
    assert "IAP Page 19" in pages[-1] and "Incident command post" in pages[-1]


@pytest.mark.parametrize(
    ("form", "title", "text"),
    [
        ("202", "INCIDENT OBJECTIVES (ICS 202)", "Date From: 10/17/2026"),
        ("205", "INCIDENT RADIO COMMUNICATIONS PLAN (ICS 205)", "no radio channels recorded"),
        ("206", "MEDICAL PLAN (ICS 206)", "Dev Patel (minor)"),
        ("ics-211", "INCIDENT CHECK-IN LIST (ICS 211)", "K9 handler"),
    ],
)
def test_one_form_of_a_period(
    served: Served, tmp_path: Path, form: str, title: str, text: str
) -> None:
    pages = _pdf(served, f"/incidents/{served.incident}/forms/{form}.pdf", tmp_path, period=2)
    assert pages[0].startswith(title) and text in pages[0]
    assert "Operational Period: #2" in pages[0] or "ICS 211" in title
    assert "Page 1" in pages[0] and "IAP Page" not in pages[0]  # numbered as a form


def test_a_form_without_a_period_is_of_the_newest(served: Served, tmp_path: Path) -> None:
    pages = _pdf(served, f"/incidents/{served.incident}/forms/204.pdf", tmp_path)
    assert len(pages) == 4 and all("Operational Period: #2" in p for p in pages)
    assert "ICS 204, Page 4" in pages[-1]


def test_an_unknown_incident_is_404(served: Served) -> None:
    for path in ("/incidents/999/forms/202.pdf", "/incidents/999/iap.pdf?period=1"):
        body = problem(served.client.get(path, headers=served.admin), 404)
        assert "999" in body["detail"]


def test_an_unknown_form_is_404_naming_the_forms(served: Served) -> None:
    response = served.client.get(
        f"/incidents/{served.incident}/forms/203.pdf", headers=served.viewer
    )
    body = problem(response, 404)
    assert body["detail"].startswith("form: wayhome fills no ICS form '203'")
    assert "201, 202, 204, 205, 206, 211, 214" in body["detail"]


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("forms/202.pdf?period=7", "no operational period 7 (periods: 1, 2)"),
        ("iap.pdf?period=7", "no operational period 7 (periods: 1, 2)"),
        ("iap.pdf?period=0", "period"),
        ("iap.pdf", "period"),
        ("forms/202.pdf?period=two", "period"),
    ],
)
def test_a_bad_period_is_422_naming_it(served: Served, path: str, detail: str) -> None:
    response = served.client.get(f"/incidents/{served.incident}/{path}", headers=served.viewer)
    assert detail in problem(response, 422)["detail"]


def test_a_viewer_of_another_incident_is_refused(served: Served) -> None:
    other = post(served.client, "/incidents", {"name": "Overdue hiker"}, headers=served.admin)
    for path in ("forms/202.pdf?period=1", "iap.pdf?period=1"):
        response = served.client.get(f"/incidents/{other['id']}/{path}", headers=served.viewer)
        problem(response, 403)
    assert served.client.get(f"/incidents/{served.incident}/iap.pdf").status_code == 401
