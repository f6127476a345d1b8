"""Plan directories for the map tests and benchmark, made by the library (no CLI, no DEM file).

:func:`make_plan` writes a real plan directory with :func:`wayhome.io.plan_dir.write_plan_dir`:
a synthetic hill-and-valley DEM on a UTM grid near the demo's last-seen point, a POA
peaked on the hill, square segments, a trail and a stream, and (optionally) one search
in the evidence log, replayed into the posterior as ``wayhome debrief`` does.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from shapely.geometry import LineString

from wayhome.geo.coords import lonlat_of
from wayhome.geo.grid import GridSpec
from wayhome.geo.layers import Feature, LayerKind, Layers
from wayhome.io.plan_dir import PlanState, write_plan_dir
from wayhome.probability.poa import poa_from_weights
from wayhome.search.evidence import EvidenceLog, SearchEvidence, replay
from wayhome.search.segments import Segments

#: Upper-left corner of the test grids (UTM 16N, near the demo's IPP in Tennessee).
ORIGIN = (740_000.0, 4_052_000.0)
CRS = "EPSG:32616"


def synthetic_dem(n: int, resolution: float) -> NDArray[np.float32]:
    """A smooth hill (about 300 m high) on a slope, with a valley across it."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float64) * resolution
    side = n * resolution
    hill = 300.0 * np.exp(-((x - 0.45 * side) ** 2 + (y - 0.4 * side) ** 2) / (0.08 * side**2))
    valley = -60.0 * np.exp(-((x + y - side) ** 2) / (0.01 * side**2))
    dem: NDArray[np.float32] = (500.0 + 0.02 * x + hill + valley).astype(np.float32)
    return dem


def make_plan(
    out: Path,
    *,
    n: int = 80,
    resolution: float = 50.0,
    terrain: bool = True,
    segments: bool = True,
    search: bool = True,
    segment_cells: int = 20,
) -> Path:
    """Write an ``n`` x ``n`` plan directory into ``out``; returns ``out``."""
    grid = GridSpec(
        crs=CRS, transform=Affine(resolution, 0.0, ORIGIN[0], 0.0, -resolution, ORIGIN[1]),
        shape=(n, n),
    )  # fmt: skip
    rows, cols = np.mgrid[0:n, 0:n].astype(np.float64)
    weights = np.exp(-((cols - 0.45 * n) ** 2 + (rows - 0.4 * n) ** 2) / (2 * (0.15 * n) ** 2))
    prior = poa_from_weights(grid, weights, rest_of_world=0.05, model="rings")
    elevation = synthetic_dem(n, resolution) if terrain else None
    seg = None
    if segments:
        per_side = math.ceil(n / segment_cells)
        labels = ((rows // segment_cells) * per_side + cols // segment_cells).astype(np.int32)
        ids = tuple(f"S{i + 1}" for i in range(int(labels.max()) + 1))
        seg = Segments(grid, labels, ids)
    log = EvidenceLog()
    if search:
        west = (ORIGIN[0] + 0.2 * n * resolution, ORIGIN[1] - 0.4 * n * resolution)
        east = (ORIGIN[0] + 0.7 * n * resolution, ORIGIN[1] - 0.4 * n * resolution)
        track = tuple((p.lon, p.lat) for p in (lonlat_of(*west, CRS), lonlat_of(*east, CRS)))
        log = EvidenceLog(
            entries=(
                SearchEvidence(
                    id="T1-P1", time=datetime(2026, 6, 1, 16, tzinfo=UTC), team="T1",
                    resource="ground_grid", sweep_width_m=40.0, tracks_lonlat=(track,),
                ),
            )
        )  # fmt: skip
    poa = replay(prior, log)
    a, b = (ORIGIN[0] + 0.1 * n * resolution, ORIGIN[1] - 0.9 * n * resolution)
    c, d = (ORIGIN[0] + 0.9 * n * resolution, ORIGIN[1] - 0.1 * n * resolution)
    layers = Layers(
        (
            Feature(geometry=LineString([(a, b), (c, d)]), kind=LayerKind.TRAIL, name="Ridge"),
            Feature(geometry=LineString([(a, d), (c, b)]), kind=LayerKind.STREAM, name="Creek"),
        ),
        CRS,
    )
    ipp = (ORIGIN[0] + 0.45 * n * resolution, ORIGIN[1] - 0.4 * n * resolution)
    summary = {
        "subject": {"category": "child_4_6", "age": 4, "missing_for_h": 2.0, "name": "Toby"},
        "ipp": {"x": ipp[0], "y": ipp[1]},
        "period": 1 if search else 0,
    }
    state = PlanState(
        grid=grid, poa=poa, prior=prior, summary=summary, ipp_xy=ipp, elevation=elevation,
        layers=layers, segments=seg, evidence=log,
    )  # fmt: skip
    return write_plan_dir(state, out)
