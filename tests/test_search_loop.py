"""The whole planning loop on the demo: plan → segments → assignments → tracks → debrief."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clitools import flat, invoke
from wayhome.io.plan_dir import read_plan_dir
from wayhome.search.bayes import segment_pod
from wayhome.search.coverage import coverage_from_tracks, tracks_to_grid_xy
from wayhome.search.evidence import SearchEvidence


def _run(args: list[str], mp: pytest.MonkeyPatch, cs: pytest.CaptureFixture[str]) -> None:
    code, _, err = invoke(args[0], args[1:], mp, cs)
    assert code == 0, flat(err)


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
        monkeypatch,
        capsys,
    )
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
    ],
    ids=["malformed", "empty", "entity bomb", "external entity", "unknown resource"],
)
def test_debrief_refuses_bad_tracks(
    content: str | None,
    extra: list[str],
    needle: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
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
        monkeypatch,
        capsys,
    )
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
        monkeypatch,
        capsys,
    )
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
