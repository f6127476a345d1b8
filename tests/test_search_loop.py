"""The whole planning loop on the demo: plan → segments → assignments → tracks → debrief."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from clitools import flat, invoke
from wayhome.cli import main
from wayhome.errors import DataFileError
from wayhome.io.plan_dir import read_plan_dir, write_plan_dir
from wayhome.search.bayes import segment_pod
from wayhome.search.coverage import coverage_from_tracks, tracks_to_grid_xy
from wayhome.search.evidence import SearchEvidence


def _run(args: list[str], mp: pytest.MonkeyPatch, cs: pytest.CaptureFixture[str]) -> None:
    code, _, err = invoke(args[0], args[1:], mp, cs)
    assert code == 0, flat(err)


def _rings_plan(tmp_path: Path, mp: pytest.MonkeyPatch, cs: pytest.CaptureFixture[str]) -> Path:
    """A quick plan directory (rings, 60 m cells) around the demo's last-seen point."""
    p0 = tmp_path / "p0"
    _run(
        [
            "plan",
            "--demo",
            "--model",
            "rings",
            "--ipp",
            "36.541667,-84.28",
            "--resolution",
            "60",
            "--out",
            str(p0),
        ],
        mp,
        cs,
    )
    return p0


@pytest.mark.slow
def test_loop_on_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    p0, p1, p2 = tmp_path / "p0", tmp_path / "p1", tmp_path / "p2"
    _run(["plan", "--demo", "--out", str(p0)], monkeypatch, capsys)
    _run(
        ["segment", "--plan", str(p0), "--target-km2", "0.5", "--out", str(p1)], monkeypatch, capsys
    )
    _run(["assign", "--plan", str(p1), "--demo-teams", "--out", str(p1)], monkeypatch, capsys)
    plan = json.loads((p1 / "assignments.json").read_text("utf-8"))
    assert plan["optimal"] and len(plan["assignments"]) == 6
    protected = [a for a in plan["assignments"] if a["team"] == "T6"]
    assert protected and not protected[0]["hazard_or_restricted"]

    # Ground-grid teams truly sweep their segments: their briefed sweep routes are the tracks.
    grid_teams = [a for a in plan["assignments"] if a["resource"] == "ground_grid"]
    files = [str(p1 / "assignments" / f"{a['assignment']}.geojson") for a in grid_teams]
    state1 = read_plan_dir(p1)
    args = [
        "debrief",
        "--plan",
        str(p1),
        "--resource",
        "ground_grid",
        "--searchers",
        "2",
        "--team",
        "grid teams",
        "--out",
        str(p2),
    ]
    for f in files:
        args += ["--tracks", f]
    _run(args, monkeypatch, capsys)
    state2 = read_plan_dir(p2)

    # Total mass is conserved and nothing went negative.
    assert abs(float(state2.poa.cells.sum()) + state2.poa.rest_of_world - 1.0) < 1e-6
    assert float(state2.poa.cells.min()) >= 0.0
    # The searched segments drop by exactly the Bayesian factor (1 - POD_j) / (1 - Σ POA·POD).
    entry = state2.evidence.entries[-1]
    assert isinstance(entry, SearchEvidence)
    xy, _ = tracks_to_grid_xy([np.asarray(t) for t in entry.tracks_lonlat], state1.grid)
    pod = 1.0 - np.exp(-coverage_from_tracks(state1.grid, xy, sweep_width_m=entry.sweep_width_m))
    segs = state1.segments
    assert segs is not None
    before = segs.poa(state1.poa)
    after = segs.poa(state2.poa)
    seg_pod = segment_pod(state1.poa, pod, segs.labels, len(segs.ids))
    norm = 1.0 - float((state1.poa.cells * pod).sum())
    expected = before * (1.0 - np.nan_to_num(seg_pod)) / norm
    np.testing.assert_allclose(after, expected, rtol=2e-4, atol=1e-6)
    for a in grid_teams:
        j = segs.ids.index(a["segment"])
        assert seg_pod[j] > 0.4  # the segment was really swept
        assert after[j] < before[j]
    summary = json.loads((p2 / "summary.json").read_text("utf-8"))
    assert {s["id"] for s in summary["segments"]} == set(segs.ids)
    assert all("pod_cumulative" in s for s in summary["segments"])

    # A clue moves probability; withdrawing it restores the map exactly.
    p3, p4 = tmp_path / "p3", tmp_path / "p4"
    _run(
        [
            "clue",
            "--plan",
            str(p2),
            "--kind",
            "dog_alert",
            "--at",
            "36.547,-84.28",
            "--bearing",
            "345",
            "--range-m",
            "800",
            "--confidence",
            "0.6",
            "--out",
            str(p3),
        ],
        monkeypatch,
        capsys,
    )
    _run(
        ["clue", "--plan", str(p3), "--withdraw", "C1", "--reason", "deer bed", "--out", str(p4)],
        monkeypatch,
        capsys,
    )
    s3, s4 = read_plan_dir(p3), read_plan_dir(p4)
    assert float(np.abs(s3.poa.cells - state2.poa.cells).sum()) > 0.01
    np.testing.assert_allclose(s4.poa.cells, state2.poa.cells, atol=1e-6)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["clue", "--kind", "item", "--at", "10,10"], "outside the map"),
        (["clue", "--kind", "dog_alert", "--at", "36.547,-84.28"], "--bearing"),
        (["clue", "--withdraw", "C9", "--reason", "x"], "C9"),
        (["assign", "--demo-teams", "--hours", "-2"], "--hours"),
        (["assign"], "--teams"),
    ],
)
def test_loop_refusals_change_nothing(
    args: list[str],
    needle: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p0 = _rings_plan(tmp_path, monkeypatch, capsys)
    _run(["segment", "--plan", str(p0)], monkeypatch, capsys)
    before = {f.name: f.read_bytes() for f in p0.iterdir() if f.is_file()}
    code, _, err = invoke(args[0], [*args[1:], "--plan", str(p0)], monkeypatch, capsys)
    assert code == 2
    assert needle in flat(err)
    assert "Traceback" not in err
    assert {f.name: f.read_bytes() for f in p0.iterdir() if f.is_file()} == before


_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<gpx version="1.1" creator="x"><trk><name>&lol2;</name></trk></gpx>
"""
_EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<gpx version="1.1" creator="x"><trk><name>&xxe;</name></trk></gpx>
"""


@pytest.mark.parametrize(
    ("content", "extra", "needle"),
    [
        ("<gpx><trk><trkseg><trkpt lat=", [], "gps tracks"),
        ("", [], "empty"),
        (_BOMB, [], "entit"),
        (_EXTERNAL, [], "entit"),
        (None, ["--resource", "unicorn"], "ground_grid"),
        (
            '<?xml version="1.0"?><gpx version="1.1" creator="x"><trk><trkseg>'
            '<trkpt lat="10.0" lon="10.0"/><trkpt lat="10.001" lon="10.0"/>'
            "</trkseg></trk></gpx>",
            [],
            "--tracks: no track reaches the map",
        ),
    ],
    ids=["malformed", "empty", "entity bomb", "external entity", "unknown resource", "off map"],
)
def test_debrief_refuses_bad_tracks(
    content: str | None,
    extra: list[str],
    needle: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p0 = _rings_plan(tmp_path, monkeypatch, capsys)
    track = tmp_path / "t.gpx"
    track.write_text(
        content
        if content is not None
        else (
            '<?xml version="1.0"?><gpx version="1.1" creator="x"><trk><trkseg>'
            '<trkpt lat="36.5417" lon="-84.2800"/><trkpt lat="36.5427" lon="-84.2800"/>'
            "</trkseg></trk></gpx>"
        ),
        encoding="utf-8",
    )
    before = {f.name: f.read_bytes() for f in p0.iterdir() if f.is_file()}
    code, _, err = invoke(
        "debrief", ["--plan", str(p0), "--tracks", str(track), *extra], monkeypatch, capsys
    )
    assert code == 2, flat(err)
    assert needle in flat(err).lower() or needle in flat(err)
    assert "root:" not in err and "Traceback" not in err
    assert {f.name: f.read_bytes() for f in p0.iterdir() if f.is_file()} == before


def test_zero_area_drawn_segment_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    p0 = _rings_plan(tmp_path, monkeypatch, capsys)
    drawn = tmp_path / "drawn.geojson"
    drawn.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": "B3"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[-84.28, 36.54], [-84.27, 36.55], [-84.28, 36.54], [-84.28, 36.54]]
                            ],
                        },
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    code, _, err = invoke(
        "segment", ["--plan", str(p0), "--segments", str(drawn)], monkeypatch, capsys
    )
    assert code == 2
    assert "B3" in flat(err) and "area" in flat(err)
    assert not (p0 / "segments.geojson").exists()


# ---------------------------------------------------------------------------- rewrites
_RINGS = ["--demo", "--model", "rings", "--resolution", "60"]
_IPP_A, _IPP_B = "36.541667,-84.28", "36.56,-84.29"


def _cli_quiet(args: list[str]) -> None:
    """Run the CLI outside a test function (module fixtures have no capsys)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["wayhome", *args])
        try:
            main()
        except SystemExit as exc:
            assert exc.code in (0, None), args


@pytest.fixture(scope="module")
def segmented_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small rings plan of the demo with segments (copy it before changing it)."""
    p = tmp_path_factory.mktemp("base") / "plan"
    _cli_quiet(["plan", *_RINGS, "--ipp", _IPP_A, "--out", str(p)])
    _cli_quiet(["segment", "--plan", str(p)])
    return p


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def _files(d: Path) -> dict[str, bytes]:
    return {str(f.relative_to(d)): f.read_bytes() for f in sorted(d.rglob("*")) if f.is_file()}


def test_replanning_into_a_plan_directory_removes_its_stale_files(
    segmented_plan: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p = _copy(segmented_plan, tmp_path / "p")
    _run(["assign", "--plan", str(p), "--demo-teams"], monkeypatch, capsys)
    assert (p / "assignments").is_dir()
    (p / "notes.txt").write_text("T3 radio is weak\n", encoding="utf-8")
    _run(["plan", *_RINGS, "--ipp", _IPP_B, "--out", str(p)], monkeypatch, capsys)
    names = sorted(f.name for f in p.iterdir())
    for stale in ("segments.tif", "segments.geojson", "assignments.json", "assignments"):
        assert stale not in names
    assert (p / "notes.txt").read_text(encoding="utf-8") == "T3 radio is weak\n"
    # So assign cannot put the old segments on the new map.
    code, _, err = invoke("assign", ["--plan", str(p), "--demo-teams"], monkeypatch, capsys)
    assert code == 2 and "no segments yet" in flat(err)


def test_a_plan_without_terrain_drops_the_old_terrain_and_layers(
    segmented_plan: Path, tmp_path: Path
) -> None:
    p = _copy(segmented_plan, tmp_path / "p")
    state = read_plan_dir(p)
    assert state.elevation is not None and state.layers is not None
    write_plan_dir(dataclasses.replace(state, elevation=None, layers=None), p)
    assert not (p / "terrain.tif").exists() and not (p / "layers.geojson").exists()
    assert read_plan_dir(p).elevation is None


@pytest.mark.parametrize("name", ["segments.tif", "terrain.tif"])
def test_a_raster_from_another_grid_is_refused(
    name: str,
    segmented_plan: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = tmp_path / "other"
    _run(["plan", *_RINGS, "--ipp", _IPP_B, "--out", str(other)], monkeypatch, capsys)
    _run(["segment", "--plan", str(other)], monkeypatch, capsys)
    p = _copy(segmented_plan, tmp_path / "p")
    shutil.copy(other / name, p / name)  # same shape, shifted transform
    with pytest.raises(DataFileError, match=rf"{name} .* is not on the grid of poa.tif"):
        read_plan_dir(p)
    code, _, err = invoke("assign", ["--plan", str(p), "--demo-teams"], monkeypatch, capsys)
    assert code == 2 and name in flat(err) and "Traceback" not in err


def test_periods_follow_the_debrief_and_team_files_are_replaced(
    segmented_plan: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p = _copy(segmented_plan, tmp_path / "p")
    _run(["assign", "--plan", str(p), "--demo-teams"], monkeypatch, capsys)
    roster = tmp_path / "one.json"
    roster.write_text(
        json.dumps({"teams": [{"id": "T9", "resource": "ground_grid", "hours": 2}]}), "utf-8"
    )
    # Assigning again re-plans period 1 and leaves only the new teams' files.
    _run(["assign", "--plan", str(p), "--teams", str(roster)], monkeypatch, capsys)
    doc = json.loads((p / "assignments.json").read_text("utf-8"))
    assert doc["period"] == 1 and json.loads((p / "summary.json").read_text())["period"] == 1
    team_names = {f.name.split("-")[1] for f in (p / "assignments").iterdir()}
    assert team_names == {"T9"}
    track = p / "assignments" / f"{doc['assignments'][0]['assignment']}.geojson"
    _run(["debrief", "--plan", str(p), "--tracks", str(track)], monkeypatch, capsys)
    summary = json.loads((p / "summary.json").read_text("utf-8"))
    assert summary["debriefed_period"] == 1 and summary["period"] == 1
    assert (p / "assignments" / track.name).is_file()  # the debrief keeps period 1's files
    _run(["assign", "--plan", str(p), "--demo-teams"], monkeypatch, capsys)
    _run(["assign", "--plan", str(p), "--demo-teams"], monkeypatch, capsys)
    assert json.loads((p / "assignments.json").read_text("utf-8"))["period"] == 2
    assert {f.name[:2] for f in (p / "assignments").iterdir()} == {"2-"}
    # The debrief's per-segment report survives the later writes; terrain fields are filled.
    summary = json.loads((p / "summary.json").read_text("utf-8"))
    assert all("pod_cumulative" in s and "poa_initial" in s for s in summary["segments"])
    assert max(s["pod_cumulative"] or 0.0 for s in summary["segments"]) > 0.1
    props = [f["properties"] for f in json.loads((p / "segments.geojson").read_text())["features"]]
    assert all(s["elevation_min_m"] is not None for s in props)
    assert all(s["mean_slope_deg"] is not None for s in props)


_TEAM = {"id": "T1", "resource": "ground_grid", "hours": 3}


def _roster_file(doc: object) -> Callable[[Path], list[str]]:
    def setup(p: Path) -> list[str]:
        path = p.parent / "roster.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        return ["assign", "--teams", str(path)]

    return setup


def _edit_summary(**fields: object) -> Callable[[Path], list[str]]:
    def setup(p: Path) -> list[str]:
        summary = json.loads((p / "summary.json").read_text("utf-8"))
        summary.update(fields)
        (p / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        return ["assign", "--demo-teams"]

    return setup


def _corrupt_assignments(p: Path) -> list[str]:
    (p / "assignments.json").write_text("{not json", encoding="utf-8")
    return ["assign", "--demo-teams"]


def _args(*args: str) -> Callable[[Path], list[str]]:
    return lambda p: list(args)


@pytest.mark.parametrize(
    ("setup", "needles"),
    [
        (_roster_file(5), ["--teams", "JSON object"]),
        (_roster_file([1]), ["--teams", "JSON object"]),
        (_roster_file({"teams": []}), ["teams: the roster has no teams"]),
        (_roster_file({"period_hours": "abc", "teams": [_TEAM]}), ["period_hours", "'abc'"]),
        (_roster_file({"teams": [{**_TEAM, "protected": "false"}]}), ["protected", "boolean"]),
        (_roster_file({"teams": [{**_TEAM, "members": "Bob"}]}), ["members", "list"]),
        (_roster_file({"teams": [{**_TEAM, "hours": "3"}]}), ["hours", "'3'"]),
        (_roster_file({"teams": [7]}), ["teams[1]", "object"]),
        (_args("assign", "--demo-teams", "--hours", "nan"), ["--hours"]),
        (_args("assign", "--demo-teams", "--hours", "inf"), ["--hours"]),
        (_corrupt_assignments, ["assignments.json"]),
        (_edit_summary(period="one"), ["summary.json", "'period'"]),
        (_edit_summary(subject=None), ["summary.json", "'subject'"]),
    ],
    ids=[
        "roster-number",
        "roster-list",
        "no-teams",
        "period-hours-text",
        "protected-text",
        "members-text",
        "hours-text",
        "team-not-object",
        "hours-nan",
        "hours-inf",
        "corrupt-assignments",
        "period-text",
        "subject-null",
    ],
)
def test_bad_rosters_and_plan_files_are_usage_errors(
    setup: Callable[[Path], list[str]],
    needles: list[str],
    segmented_plan: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p = _copy(segmented_plan, tmp_path / "p")
    args = setup(p)
    before = _files(p)
    code, _, err = invoke(args[0], [*args[1:], "--plan", str(p)], monkeypatch, capsys)
    assert code == 2, flat(err)
    assert all(n in flat(err) for n in needles), flat(err)
    assert "Traceback" not in err and "internal error" not in err
    assert _files(p) == before


def test_debrief_warns_about_tracks_partly_off_the_map(
    segmented_plan: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p = _copy(segmented_plan, tmp_path / "p")
    track = tmp_path / "t.gpx"
    track.write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="x"><trk><trkseg>'
        '<trkpt lat="36.5417" lon="-84.2800"/><trkpt lat="36.5427" lon="-84.2800"/>'
        '<trkpt lat="36.9" lon="-84.2800"/></trkseg></trk></gpx>',
        encoding="utf-8",
    )
    code, _, err = invoke(
        "debrief", ["--plan", str(p), "--tracks", str(track)], monkeypatch, capsys
    )
    assert code == 0, flat(err)
    assert "1 of 3 points lie outside the grid" in flat(err)
