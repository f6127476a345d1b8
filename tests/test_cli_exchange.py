"""``wayhome export``: live from the incident server's database, or from a plan directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point

from clitools import flat, invoke
from exchangetools import by_title, live_scene, make_map_plan, metres_apart
from wayhome.io.exchange import MapKind, read_map


def test_export_live_writes_the_incident_map_with_live_status(
    client: TestClient,
    incident: int,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scene = live_scene(client, incident, make_map_plan(tmp_path / "plan"))
    out = tmp_path / "live.kmz"
    args = ["--database-url", database_url, "--incident", str(incident), "--out", str(out)]
    code, _, err = invoke("export", [*args, "--tracks"], monkeypatch, capsys)
    assert code == 0, err
    assert f"features written to {out}" in flat(err)
    got = by_title(read_map(out)[0])
    s6 = got["S6 Team 1"]
    assert (s6.status, s6.team, s6.number) == ("in_progress", "Team 1", str(scene.assignment))
    assert metres_apart(s6.geometry, scene.segments["S6"]) < 1.0
    assert metres_apart(got["Footbridge"].geometry, Point(scene.rendezvous)) < 1.0
    assert got["Track Ada"].kind is MapKind.LINE
    # One GPX per assignment for the teams' GPS units.
    gps = tmp_path / "gps"
    code, _, err = invoke(
        "export", [*args[:4], "--out", str(gps), "--per-assignment"], monkeypatch, capsys
    )
    assert code == 0, err
    assert sorted(p.name for p in gps.iterdir()) == [f"assignment-{scene.assignment}.gpx"]
    # The plan mode still reads the plan directory alone: no live status there.
    plan_out = tmp_path / "plan.geojson"
    code, _, err = invoke(
        "export", ["--plan", str(scene.plan), "--out", str(plan_out)], monkeypatch, capsys
    )
    assert code == 0, err
    from_plan = {f.segment: f.status for f in read_map(plan_out)[0] if f.segment}
    assert from_plan["S6"] == "draft"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--incident", "999"], "--incident: incident 999"),
        (["--incident", "1", "--plan", "."], "--plan/--incident: give one"),
        (["--incident", "1", "--crs", "EPSG:4326"], "--out: the POA GeoTIFF"),
        ([], "--plan/--incident: give a plan directory"),
    ],
)
def test_export_refuses_a_wrong_mode(
    client: TestClient,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    says: str,
) -> None:
    out = ["--out", str(tmp_path / "map.geojson")]
    code, _, err = invoke(
        "export", ["--database-url", database_url, *out, *args], monkeypatch, capsys
    )
    assert code == 2
    assert says in flat(err), flat(err)
    assert not (tmp_path / "map.geojson").exists()
