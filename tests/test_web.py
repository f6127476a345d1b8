"""The web app: served where no API route answers when built, a 503 problem at / when not."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import wayhome.web
import wayhome.web.serve
from wayhome.api import WayhomeSettings, create_app


def _client() -> TestClient:
    # No lifespan (no ``with``): nothing here touches the database.
    return TestClient(create_app(WayhomeSettings(database_url="sqlite://")))


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in build: index.html, field/index.html, a hashed asset and sw.js."""
    (tmp_path / "field").mkdir()
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<title>command post</title>", encoding="utf-8")
    (tmp_path / "field" / "index.html").write_text("<title>field</title>", encoding="utf-8")
    (tmp_path / "assets" / "main-abc123.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "sw.js").write_text("self.x = 1", encoding="utf-8")
    monkeypatch.setattr(wayhome.web.serve, "_STATIC", tmp_path)
    return tmp_path


def test_static_dir_is_none_until_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wayhome.web.serve, "_STATIC", tmp_path / "static")
    assert wayhome.web.static_dir() is None
    (tmp_path / "static").mkdir()
    assert wayhome.web.static_dir() is None  # a directory without index.html is not a build
    (tmp_path / "static" / "index.html").write_text("x", encoding="utf-8")
    assert wayhome.web.static_dir() == tmp_path / "static"


def test_not_built_answers_503_problem_at_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wayhome.web.serve, "_STATIC", tmp_path / "missing")
    response = _client().get("/")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "web app not built: run `make setup`"


def test_built_app_serves_both_views(built: Path) -> None:
    client = _client()
    root = client.get("/")
    assert root.status_code == 200
    assert "command post" in root.text
    assert root.headers["cache-control"] == "no-cache"
    field = client.get("/field/")
    assert field.status_code == 200
    assert "field" in field.text
    asset = client.get("/assets/main-abc123.js")
    assert "immutable" in asset.headers["cache-control"]
    assert client.get("/sw.js").headers["cache-control"] == "no-cache"


def test_api_routes_win_over_the_mount(built: Path) -> None:
    client = _client()
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    assert "paths" in spec.json()
    # A missing file is the API's 404 problem, and so is a write to a path no route has
    # (not a 405 from the static files).
    missing = client.get("/no/such/file.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert client.post("/no-such-route", json={}).status_code == 404
    assert client.post("/", json={}).status_code == 404
    # A path an API route has, with a method it does not take, is still 405.
    assert client.delete("/incidents/1").status_code == 405


def test_the_package_build_is_where_static_dir_looks() -> None:
    # ``npm --prefix web run build`` writes here; an editable install reads it in place.
    expected = Path(wayhome.web.__file__).parent / "static"
    assert expected == wayhome.web.serve._STATIC
    found = wayhome.web.static_dir()
    assert found is None or (found / "field" / "index.html").is_file()
