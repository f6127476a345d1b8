"""One plan's map (:class:`PlanMap`), its version and the cache that re-reads changed plans."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from maptools import make_plan
from wayhome.basemap import MapCache, PlanMap, blank_png, plan_version, tiles_over
from wayhome.errors import InvalidParameterError
from wayhome.io.plan_dir import read_plan_dir, write_plan_dir
from wayhome.search.period import segment_report


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_plan(tmp_path_factory.mktemp("plan") / "full", n=60)


@pytest.fixture
def plan(source: Path, tmp_path: Path) -> Path:
    """A copy of the plan this test may rewrite."""
    return Path(shutil.copytree(source, tmp_path / "full"))


def test_the_version_changes_only_when_the_plan_is_rewritten(plan: Path) -> None:
    v = plan_version(plan)
    assert plan_version(plan) == v
    (plan / "notes.txt").write_text("a planner's notes", encoding="utf-8")  # not a plan file
    assert plan_version(plan) == v
    write_plan_dir(read_plan_dir(plan), plan)  # what debrief and clue do
    assert plan_version(plan) != v
    with pytest.raises(InvalidParameterError, match=r"path: .* is not a plan directory"):
        plan_version(plan / "nowhere")


def test_the_cache_keeps_a_map_until_its_plan_changes(plan: Path) -> None:
    cache = MapCache(max_plans=1)
    first = cache.get(plan)
    assert cache.get(plan) is first
    state = read_plan_dir(plan)
    write_plan_dir(dataclasses.replace(state, summary={**state.summary, "period": 2}), plan)
    second = cache.get(plan)
    assert second is not first and second.version != first.version
    assert "period 2" in second.summary().title
    with pytest.raises(InvalidParameterError, match="max_plans"):
        MapCache(max_plans=0)


def test_segments_carry_the_current_poa_and_the_cumulative_pod(plan: Path) -> None:
    m = PlanMap.read(plan)
    st = m.state
    assert st.segments is not None
    report = segment_report(st.segments, st.prior, st.poa, st.poa, st.evidence)
    features = json.loads(m.segments_geojson())["features"]
    for f in features:
        p = f["properties"]
        assert p["poa"] == pytest.approx(report[p["id"]]["poa_now"], abs=1e-6)
        assert p["pod_cumulative"] == report[p["id"]]["pod_cumulative"]
    # Without the written file they are made from the rasters, with the same figures.
    (plan / "segments.geojson").unlink()
    made = json.loads(PlanMap.read(plan).segments_geojson())["features"]
    assert [f["properties"]["label"] for f in made] == [f["properties"]["label"] for f in features]


def test_tiles_rendered_at_once_from_many_threads_are_the_same(plan: Path) -> None:
    m = PlanMap.read(plan)
    info = m.info()
    tiles = [t for t in tiles_over(info.bounds, 14) if m.covers(*t)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        shaded = list(pool.map(lambda t: m.hillshade_tile(*t), tiles * 3))
        heat = list(pool.map(lambda t: m.poa_tile("prior", *t), tiles * 3))
    n = len(tiles)
    assert shaded[:n] == shaded[n : 2 * n] == shaded[2 * n :]
    assert heat[:n] == heat[n : 2 * n]
    assert any(png != blank_png() for png in shaded)
    alpha = np.asarray(Image.open(io.BytesIO(shaded[0])))[..., 3]
    assert set(np.unique(alpha)) <= {0, 255}


def test_the_zoom_range_and_what_is_outside_it(plan: Path) -> None:
    m = PlanMap.read(plan)
    zmin, zmax = m.zoom_range()
    assert (zmin, zmax) == (m.info().min_zoom, m.info().max_zoom)
    inside = next(t for t in tiles_over(m.info().bounds, zmax) if m.covers(*t))
    z, x, y = inside
    assert not m.covers(z + 1, 2 * x, 2 * y)
    assert m.poa_tile("posterior", z + 1, 2 * x, 2 * y) == blank_png()
    with pytest.raises(InvalidParameterError, match="model"):
        m.poa_tile("guess", z, x, y)  # type: ignore[arg-type]
    bare = make_plan(plan.parent / "bare", n=40, terrain=False, segments=False)
    with pytest.raises(InvalidParameterError, match=r"no terrain\.tif"):
        PlanMap.read(bare).hillshade_tile(z, x, y)


def test_warm_draws_the_first_screen_ahead_and_it_is_not_drawn_again(
    plan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wayhome.basemap import plan_map

    m = PlanMap.read(plan)
    calls: list[int] = []
    real = plan_map.contours_from_dem  # type: ignore[attr-defined]

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(plan_map, "contours_from_dem", counted)
    m.warm()
    assert calls == [1]
    tiles = dict(m._tiles)  # the first screen's 512 px POA and hillshade tiles
    assert {k[0] for k in tiles} == {"poa-posterior", "hillshade"}
    assert {k[4] for k in tiles} == {512}
    (_kind, z, x, y, _size), png = next(iter(tiles.items()))
    assert Image.open(io.BytesIO(png)).size == (512, 512)
    zmin, zmax = m.zoom_range()
    assert all(zmin <= k[1] <= zmax for k in tiles)
    # Asked for afterwards, they come as drawn, nothing made twice.
    contours = m.contours_geojson()
    assert calls == [1] and json.loads(contours)["features"]
    assert m.poa_tile("posterior", z, x, y, 512) is png or m.hillshade_tile(z, x, y, 512) is png
