"""The preview map: a POA over hillshade, as a planner sees it at a glance (PNG).

:func:`render_preview` draws one image of about 1600 x 1400 pixels: shaded relief, the
probability density as a heat layer, the 25/50/75/95 % regions as labelled lines, the
IPP, the vector layers by kind (trails, roads, water, cliffs, private land, hazards),
kilometre axes centred on the IPP, a scale bar, a north arrow, a legend and a summary.

It uses matplotlib's object API (:class:`~matplotlib.figure.Figure` with the Agg
canvas), never ``pyplot``, so it holds no global state and is safe in a server or a
thread. The file is written atomically: a failed render leaves no file behind.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LightSource, LogNorm, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.patheffects import Normal, Stroke, withTickedStroke
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator
from mpl_toolkits.axes_grid1.anchored_artists import (  # type: ignore[import-untyped]
    AnchoredSizeBar,
)
from numpy.typing import NDArray
from scipy.ndimage import gaussian_filter
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from wayhome.errors import InvalidParameterError
from wayhome.geo.layers import Feature, LayerKind, Layers
from wayhome.io.atomic import atomic_path
from wayhome.probability.poa import POA, REGION_LEVELS, area_for_mass_km2, region_thresholds

__all__ = ["PREVIEW_SIZE_PX", "render_preview"]

#: Size of the preview image in pixels (width, height).
PREVIEW_SIZE_PX: tuple[int, int] = (1600, 1400)

_DPI = 100
#: Left edge of the map and the heading, as a fraction of the figure width.
_LEFT = 0.05
#: Rasters wider or taller than this (cells) are block-averaged before drawing.
_MAX_DRAW_CELLS = 2000
#: Densities below this fraction of the peak are drawn fully transparent.
_HEAT_FLOOR = 1e-3
_HEAT_CMAP = "YlOrRd"
_NODATA_GREY = "#cfcfcf"
_PAPER = "#f3f1ea"
_REGION_COLOR = "#1b2a4a"
#: Line style of each region: the inner regions solid and bold, the outer ones lighter.
_REGION_STYLE: dict[float, tuple[float, Any]] = {
    0.25: (2.6, "solid"),
    0.5: (2.2, "solid"),
    0.75: (1.8, (0, (6, 3))),
    0.95: (1.5, (0, (2, 2.5))),
}
_HALO = [Stroke(linewidth=3.5, foreground="white", alpha=0.85), Normal()]

# Drawing style of each layer kind: matplotlib keyword arguments for lines and patches.
_TRAIL: dict[str, Any] = {"color": "#7a4a1e", "linewidth": 1.9, "linestyle": (0, (5, 2.5))}
_ROAD: dict[str, Any] = {"color": "#2b2b2b", "linewidth": 2.6}
_ROAD_CASING: dict[str, Any] = {"color": "#fbfbf7", "linewidth": 4.6}
_STREAM: dict[str, Any] = {"color": "#1f6fb4", "linewidth": 1.5}
_BARRIER: dict[str, Any] = {"color": "#444444", "linewidth": 1.8, "linestyle": (0, (1, 1.5))}
_WATER: dict[str, Any] = {"facecolor": "#8cc4ec", "edgecolor": "#1f6fb4", "linewidth": 1.0}
_CLIFF: dict[str, Any] = {
    "facecolor": (0, 0, 0, 0.18),
    "edgecolor": "black",
    "hatch": "xxxx",
    "linewidth": 1.2,
}
_PRIVATE: dict[str, Any] = {
    "facecolor": (0.48, 0.2, 0.58, 0.06),
    "edgecolor": "#7b3294",
    "linewidth": 2.4,
    "linestyle": (0, (8, 3)),
}
_HAZARD: dict[str, Any] = {
    "facecolor": (0.85, 0.1, 0.1, 0.10),
    "edgecolor": "#c81e1e",
    "hatch": "\\\\\\",
    "linewidth": 1.8,
}
_VEGETATION: dict[str, Any] = {
    "facecolor": (0.2, 0.55, 0.2, 0.18),
    "edgecolor": "#2e7d32",
    "linewidth": 0.8,
}

_LEGEND_LABELS: dict[LayerKind, str] = {
    LayerKind.TRAIL: "trail",
    LayerKind.ROAD: "road",
    LayerKind.STREAM: "stream",
    LayerKind.WATER: "water (impassable)",
    LayerKind.CLIFF: "cliff (impassable)",
    LayerKind.BARRIER: "barrier (impassable)",
    LayerKind.VEGETATION: "dense vegetation",
    LayerKind.PRIVATE: "private land (no access without leave)",
    LayerKind.HAZARD: "hazard zone (keep teams out)",
}


def render_preview(
    path: Path | str,
    *,
    poa: POA,
    elevation: NDArray[np.floating[Any]] | None,
    ipp_xy: tuple[float, float],
    layers: Layers | None = None,
    segments: Sequence[tuple[str, BaseGeometry]] | None = None,
    title: str,
    subtitle: str | None = None,
) -> None:
    """Draw the POA map over hillshade and write it as a PNG.

    Parameters
    ----------
    path : Path or str
        The PNG to write; its directory must exist. Replaced atomically.
    poa : POA
        The probability map; its grid is the map's frame.
    elevation : ndarray or None
        Elevations (metres) on ``poa.grid`` for the hillshade; NaN cells are shown as
        "no data". ``None`` draws the map on a plain background.
    ipp_xy : (float, float)
        The initial planning point in ``poa.grid.crs``; the axes are kilometres from it.
    layers : Layers, optional
        Vector layers already in ``poa.grid.crs`` (reproject them first).
    segments : sequence of (id, polygon), optional
        Search segments in ``poa.grid.crs``: outlined and labelled with their ids.
    title : str
        First line of the heading.
    subtitle : str, optional
        Second line; by default the model, the rest-of-world share and the areas that
        hold 50 % and 95 % of the probability.

    Raises
    ------
    InvalidParameterError
        When ``elevation`` is not on the POA's grid or ``ipp_xy`` is not finite.
    DataFileError
        When the PNG cannot be written; nothing is left at ``path``.
    """
    grid = poa.grid
    if elevation is not None and np.shape(elevation) != grid.shape:
        raise InvalidParameterError(
            f"elevation: shape {np.shape(elevation)} does not match the POA grid "
            f"{grid.shape}; resample it onto poa.grid first"
        )
    if not all(math.isfinite(v) for v in ipp_xy):
        raise InvalidParameterError(f"ipp_xy: must be finite coordinates, got {ipp_xy}")

    fig = Figure(figsize=(PREVIEW_SIZE_PX[0] / _DPI, PREVIEW_SIZE_PX[1] / _DPI), dpi=_DPI)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((_LEFT, 0.05, 0.68, 0.86))

    frame = _Frame(poa, ipp_xy)
    handles: list[Any] = []
    handles += _draw_terrain(ax, frame, elevation)
    norm = _draw_heat(ax, frame)
    handles += _draw_regions(ax, frame)
    if layers is not None:
        handles += _draw_layers(ax, frame, layers)
    if segments:
        handles += _draw_segments(ax, frame, segments)
    handles.insert(0, _draw_ipp(ax))
    _decorate_axes(ax, frame)
    _draw_heading(fig, poa, title, subtitle)
    _draw_side_panel(fig, ax, poa, handles, norm)

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=_DPI, facecolor=fig.get_facecolor())


# ---------------------------------------------------------------------------- the frame
class _Frame:
    """The map's coordinates: kilometres east/north of the IPP, and the drawing step."""

    def __init__(self, poa: POA, ipp_xy: tuple[float, float]) -> None:
        self.poa = poa
        self.grid = poa.grid
        self.x0, self.y0 = float(ipp_xy[0]), float(ipp_xy[1])
        left, bottom, right, top = self.grid.bounds
        self.extent = (
            (left - self.x0) / 1000.0,
            (right - self.x0) / 1000.0,
            (bottom - self.y0) / 1000.0,
            (top - self.y0) / 1000.0,
        )
        #: Cells per drawn pixel along each axis (1 unless the grid is very large).
        self.step = max(1, math.ceil(max(self.grid.shape) / _MAX_DRAW_CELLS))
        self.box_km = box(self.extent[0], self.extent[2], self.extent[1], self.extent[3])

    @property
    def width_km(self) -> float:
        return self.extent[1] - self.extent[0]

    @property
    def height_km(self) -> float:
        return self.extent[3] - self.extent[2]

    def to_km(self, geom: BaseGeometry) -> BaseGeometry:
        """A geometry in grid CRS moved to kilometres from the IPP."""
        return shapely.transform(geom, lambda xy: (xy - np.array([self.x0, self.y0])) / 1000.0)

    def block_sum(self, a: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum of each ``step`` x ``step`` block (zero-padded at the edges)."""
        k = self.step
        if k == 1:
            return a
        rows, cols = a.shape
        pad = np.zeros((math.ceil(rows / k) * k, math.ceil(cols / k) * k))
        pad[:rows, :cols] = a
        out: NDArray[np.float64] = pad.reshape(pad.shape[0] // k, k, pad.shape[1] // k, k).sum(
            axis=(1, 3)
        )
        return out

    def block_mean(self, a: NDArray[np.float64]) -> NDArray[np.float64]:
        """NaN-aware mean of each ``step`` x ``step`` block (NaN where all cells are NaN)."""
        if self.step == 1:
            return a
        valid = np.isfinite(a)
        total = self.block_sum(np.where(valid, a, 0.0))
        count = self.block_sum(valid.astype(np.float64))
        out = np.full(total.shape, np.nan)
        np.divide(total, count, out=out, where=count > 0)
        return out

    def drawn_extent(self, shape: tuple[int, ...]) -> tuple[float, float, float, float]:
        """Extent of a block-reduced raster (its padding reaches past the grid edge)."""
        cell_km = self.grid.resolution * self.step / 1000.0
        left, top = self.extent[0], self.extent[3]
        return (left, left + shape[1] * cell_km, top - shape[0] * cell_km, top)

    def centers_km(self, shape: tuple[int, ...]) -> tuple[NDArray[np.float64], ...]:
        """Cell-centre coordinates (km) of a block-reduced raster."""
        cell_km = self.grid.resolution * self.step / 1000.0
        xs = self.extent[0] + (np.arange(shape[1], dtype=np.float64) + 0.5) * cell_km
        ys = self.extent[3] - (np.arange(shape[0], dtype=np.float64) + 0.5) * cell_km
        return xs, ys


# ---------------------------------------------------------------------------- layers drawn
def _draw_terrain(
    ax: Axes, frame: _Frame, elevation: NDArray[np.floating[Any]] | None
) -> list[Any]:
    """Hillshade (or a plain background) and faint elevation contours."""
    ax.set_facecolor(_PAPER)
    if elevation is None:
        return []
    z = frame.block_mean(np.asarray(elevation, dtype=np.float64))
    nodata = ~np.isfinite(z)
    handles: list[Any] = []
    extent = frame.drawn_extent(z.shape)
    if nodata.all():
        ax.imshow(
            np.zeros(z.shape), cmap="gray", vmin=-1, vmax=0, extent=extent, interpolation="nearest"
        )
        return [Patch(facecolor=_NODATA_GREY, edgecolor="#999999", label="no elevation data")]
    filled = np.where(nodata, float(np.nanmean(z)), z)
    cell_m = frame.grid.resolution * frame.step
    relief = float(np.ptp(filled))
    # Flat ground would shade as one grey; exaggerate gentle terrain so the shape shows.
    exaggeration = 1.0 if relief > 150.0 else min(4.0, 150.0 / max(relief, 1.0))
    shade = LightSource(azdeg=315, altdeg=40).hillshade(
        filled, vert_exag=exaggeration, dx=cell_m, dy=cell_m
    )
    # Lift the shadows so the heat layer and lines stay readable on top.
    rgb = np.repeat((0.42 + 0.58 * shade)[:, :, np.newaxis], 3, axis=2)
    rgb = rgb * np.array([1.0, 0.99, 0.96])
    rgba = np.concatenate([rgb, np.ones((*z.shape, 1))], axis=2)
    if nodata.any():
        rgba[nodata] = to_rgba(_NODATA_GREY)
        handles.append(
            Patch(facecolor=_NODATA_GREY, edgecolor="#999999", label="no elevation data")
        )
    ax.imshow(rgba, extent=extent, interpolation="bilinear", zorder=0)
    levels = _contour_levels(filled[~nodata])
    if levels.size:
        xs, ys = frame.centers_km(z.shape)
        masked = np.ma.masked_array(filled, nodata)
        ax.contour(
            xs, ys, masked, levels=levels, colors="#6b5b45", linewidths=0.35, alpha=0.45, zorder=1
        )
        index = levels[::5]
        ax.contour(
            xs, ys, masked, levels=index, colors="#6b5b45", linewidths=0.8, alpha=0.55, zorder=1
        )
        interval = float(levels[1] - levels[0]) if levels.size > 1 else 0.0
        if interval:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#6b5b45",
                    linewidth=0.6,
                    alpha=0.7,
                    label=f"contours every {interval:g} m",
                )
            )
    return handles


def _contour_levels(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """About 15–30 contour levels at a round interval (and index lines every fifth)."""
    lo, hi = float(z.min()), float(z.max())
    if hi - lo < 1.0:
        return np.array([])
    for interval in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if (hi - lo) / interval <= 30:
            break
    start = math.ceil(lo / (5 * interval)) * 5 * interval - 5 * interval
    levels = np.arange(start, hi + interval, interval, dtype=np.float64)
    return levels[(levels > lo) & (levels < hi)]


def _draw_heat(ax: Axes, frame: _Frame) -> LogNorm:
    """Probability density as a log-scaled, semi-transparent heat layer.

    Cells outside the 95 % region (or below a thousandth of the peak when the map holds
    less than 95 %) are transparent, so the heat marks where the probability is.
    """
    cell_km2 = (frame.grid.resolution * frame.step / 1000.0) ** 2
    density = frame.block_sum(frame.poa.cells) / cell_km2
    peak = float(density.max())
    if peak <= 0.0:
        return LogNorm(vmin=1e-3, vmax=1.0)
    floor = peak * _HEAT_FLOOR
    outer = region_thresholds(frame.poa, (REGION_LEVELS[-1],))[REGION_LEVELS[-1]]
    if outer is not None and outer > 0.0:
        floor = min(max(floor, outer / (frame.grid.cell_area_m2 / 1e6)), peak / 10.0)
    norm = LogNorm(vmin=floor, vmax=peak)
    level = np.clip(np.asarray(norm(np.maximum(density, floor * 1e-3))), 0.0, 1.0)
    rgba = colormaps[_HEAT_CMAP](level)
    # Faint where the probability is thin, never opaque: the terrain stays readable.
    rgba[..., 3] = np.where(density >= floor, 0.10 + 0.42 * level, 0.0)
    ax.imshow(rgba, extent=frame.drawn_extent(density.shape), interpolation="nearest", zorder=2)
    return norm


def _draw_regions(ax: Axes, frame: _Frame) -> list[Any]:
    """The 25/50/75/95 % regions as labelled outlines (levels the map cannot reach skipped)."""
    handles: list[Any] = []
    sigma = 0.8
    for level, threshold in region_thresholds(frame.poa).items():
        if threshold is None or threshold <= 0.0:
            continue
        inside = (frame.poa.cells >= threshold).astype(np.float64)
        share = gaussian_filter(frame.block_mean(inside), sigma=sigma, mode="constant")
        if share.max() < 0.5:
            continue
        xs, ys = frame.centers_km(share.shape)
        width, style = _REGION_STYLE.get(level, (1.5, "solid"))
        cs = ax.contour(
            xs,
            ys,
            share,
            levels=[0.5],
            colors=_REGION_COLOR,
            linewidths=width,
            linestyles=[style],
            zorder=5,
        )
        cs.set_path_effects(_HALO)
        label = f"{level * 100:g} %"
        spot = _label_spot(cs, level, frame)
        if spot:
            texts = ax.clabel(
                cs, fmt={0.5: label}, fontsize=11, inline=True, inline_spacing=6, manual=spot
            )
            for t in texts:
                t.set_fontweight("bold")
                t.set_color(_REGION_COLOR)
                t.set_path_effects([Stroke(linewidth=3, foreground="white"), Normal()])
        handles.append(
            Line2D(
                [],
                [],
                color=_REGION_COLOR,
                linewidth=width,
                linestyle=style,
                label=f"{label} region",
            )
        )
    return handles


#: Bearing (degrees from north) at which each region's label is placed, fanned out so
#: nested labels do not sit on one another.
_LABEL_BEARING = {0.25: 200.0, 0.5: 215.0, 0.75: 230.0, 0.95: 245.0}


def _label_spot(cs: Any, level: float, frame: _Frame) -> list[tuple[float, float]]:
    """A point on a region's outline, well inside the map, in the label's direction."""
    left, right, bottom, top = frame.extent
    margin = 0.04 * max(frame.width_km, frame.height_km)
    vertices = [p.vertices for p in cs.get_paths() if len(p.vertices) > 1]
    if not vertices:
        return []
    # Label the main outline, not a small island of the region.
    longest = max(len(p) for p in vertices)
    v = np.concatenate([p for p in vertices if len(p) >= 0.3 * longest])
    inside = (
        (v[:, 0] > left + margin)
        & (v[:, 0] < right - margin)
        & (v[:, 1] > bottom + margin)
        & (v[:, 1] < top - margin)
    )
    if not inside.any():
        return []
    v = v[inside]
    bearing = math.radians(_LABEL_BEARING.get(level, 225.0))
    direction = np.array([math.sin(bearing), math.cos(bearing)])
    radius = np.hypot(v[:, 0], v[:, 1])
    score = (v @ direction) / np.maximum(radius, 1e-9)
    # Near the wanted direction, the outermost point: a ring's hole is not labelled. An
    # outline with no point that near (a region moved off the IPP by a clue) takes its best.
    best = float(score.max())
    near = score >= min(max(math.cos(math.radians(25.0)), best - 0.05), best)
    i = int(np.flatnonzero(near)[np.argmax(radius[near])])
    return [(float(v[i, 0]), float(v[i, 1]))]


def _draw_ipp(ax: Axes) -> Any:
    """The IPP at the origin: a bull's-eye marker with a label."""
    ax.plot(
        [0.0],
        [0.0],
        marker="o",
        markersize=17,
        markerfacecolor="white",
        markeredgecolor="black",
        markeredgewidth=2.4,
        zorder=9,
    )
    ax.plot([0.0], [0.0], marker="o", markersize=6, color="#d7191c", zorder=10)
    ax.annotate(
        "IPP",
        (0.0, 0.0),
        xytext=(12, 10),
        textcoords="offset points",
        fontsize=13,
        fontweight="bold",
        zorder=10,
        path_effects=[Stroke(linewidth=3.5, foreground="white"), Normal()],
    )
    return Line2D(
        [],
        [],
        marker="o",
        markersize=13,
        markerfacecolor="white",
        markeredgecolor="black",
        markeredgewidth=2.2,
        linestyle="none",
        label="IPP (initial planning point)",
    )


def _draw_layers(ax: Axes, frame: _Frame, layers: Layers) -> list[Any]:
    """Each feature by kind; returns legend entries for the kinds present."""
    drawn: set[LayerKind] = set()
    area_kinds = (
        LayerKind.VEGETATION,
        LayerKind.PRIVATE,
        LayerKind.HAZARD,
        LayerKind.WATER,
        LayerKind.CLIFF,
    )
    line_kinds = (LayerKind.STREAM, LayerKind.ROAD, LayerKind.TRAIL, LayerKind.BARRIER)
    for kind in (*area_kinds, *line_kinds):
        for feature in layers.of_kind(kind):
            geom = frame.to_km(feature.geometry)
            if geom.is_empty or not geom.intersects(frame.box_km):
                continue
            _draw_feature(ax, kind, geom)
            drawn.add(kind)
            if kind in (LayerKind.PRIVATE, LayerKind.HAZARD):
                _label_area(ax, frame, feature, geom)
    return [_legend_entry(k) for k in LayerKind if k in drawn]


def _draw_segments(
    ax: Axes, frame: _Frame, segments: Sequence[tuple[str, BaseGeometry]]
) -> list[Any]:
    """Segment outlines with their ids at a point inside each."""
    for seg_id, geometry in segments:
        geom = frame.to_km(geometry)
        if geom.is_empty:
            continue
        for part in _parts(geom):
            if isinstance(part, Polygon):
                x, y = part.exterior.xy
                ax.plot(x, y, color="#1b3a57", linewidth=0.9, alpha=0.85, zorder=7)
        at = geom.representative_point()
        ax.annotate(
            seg_id,
            (at.x, at.y),
            ha="center",
            va="center",
            fontsize=8.5,
            color="#1b3a57",
            fontweight="bold",
            zorder=8,
            path_effects=[Stroke(linewidth=2.5, foreground="white"), Normal()],
        )
    return [Line2D([], [], color="#1b3a57", linewidth=0.9, label="search segment (id)")]


def _draw_feature(ax: Axes, kind: LayerKind, geom: BaseGeometry) -> None:
    for part in _parts(geom):
        if isinstance(part, Polygon):
            _draw_polygon(ax, kind, part)
        elif isinstance(part, LineString):
            _draw_line(ax, kind, part)
        elif isinstance(part, Point):
            ax.plot([part.x], [part.y], marker="^", markersize=7, color="#333333", zorder=6)


def _parts(geom: BaseGeometry) -> Iterator[BaseGeometry]:
    """The simple geometries in ``geom`` (multi-parts and collections flattened)."""
    if hasattr(geom, "geoms"):
        for g in geom.geoms:
            yield from _parts(g)
    elif geom.geom_type == "LinearRing":
        yield LineString(geom.coords)
    else:
        yield geom


def _draw_line(ax: Axes, kind: LayerKind, line: LineString) -> None:
    xy = np.asarray(line.coords)
    x, y = xy[:, 0], xy[:, 1]
    if kind == LayerKind.ROAD:
        ax.plot(x, y, zorder=6, solid_capstyle="round", **_ROAD_CASING)
        ax.plot(x, y, zorder=6.1, solid_capstyle="round", **_ROAD)
    elif kind == LayerKind.TRAIL:
        ax.plot(x, y, zorder=6.2, color="white", linewidth=3.8, alpha=0.7)
        ax.plot(x, y, zorder=6.3, **_TRAIL)
    elif kind == LayerKind.STREAM:
        ax.plot(x, y, zorder=3, **_STREAM)
    elif kind == LayerKind.CLIFF:
        ax.plot(
            x,
            y,
            color="black",
            linewidth=1.6,
            zorder=4,
            path_effects=[withTickedStroke(angle=-90, spacing=7, length=0.7)],
        )
    elif kind in (LayerKind.PRIVATE, LayerKind.HAZARD, LayerKind.WATER, LayerKind.VEGETATION):
        style = _area_style(kind)
        ax.plot(x, y, color=style["edgecolor"], linewidth=style["linewidth"], zorder=4)
    else:
        ax.plot(x, y, zorder=4, **_BARRIER)


def _area_style(kind: LayerKind) -> dict[str, Any]:
    return {
        LayerKind.WATER: _WATER,
        LayerKind.CLIFF: _CLIFF,
        LayerKind.PRIVATE: _PRIVATE,
        LayerKind.HAZARD: _HAZARD,
        LayerKind.VEGETATION: _VEGETATION,
    }.get(kind, {"facecolor": (0.3, 0.3, 0.3, 0.25), "edgecolor": "#444444", "linewidth": 1.2})


def _draw_polygon(ax: Axes, kind: LayerKind, poly: Polygon) -> None:
    style = dict(_area_style(kind))
    hatch_color = style["edgecolor"]
    zorder = {LayerKind.PRIVATE: 4.5, LayerKind.HAZARD: 4.4}.get(kind, 4.0)
    patch = PathPatch(_polygon_path(poly), zorder=zorder, **style)
    if "hatch" in style:
        patch.set_hatchcolor(hatch_color)
        patch.set_hatch_linewidth(0.8)
    ax.add_patch(patch)
    if kind == LayerKind.CLIFF:
        # A thin band would hide its hatching: tick its outline like a map's cliff symbol.
        ring = np.asarray(orient(poly, sign=-1.0).exterior.coords)
        ax.plot(
            ring[:, 0],
            ring[:, 1],
            color="black",
            linewidth=1.4,
            zorder=zorder,
            path_effects=[withTickedStroke(angle=90, spacing=6, length=0.8)],
        )


def _polygon_path(poly: Polygon) -> MplPath:
    """A matplotlib path of a polygon with its holes (exterior CCW, holes CW)."""
    poly = orient(poly, sign=1.0)
    rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]
    return MplPath.make_compound_path(*[MplPath(r, closed=True) for r in rings])


def _label_area(ax: Axes, frame: _Frame, feature: Feature, geom: BaseGeometry) -> None:
    """The feature's name inside the visible part of a private-land or hazard area."""
    if not feature.name:
        return
    visible = geom.intersection(frame.box_km)
    if visible.is_empty or visible.area < 0.002 * frame.box_km.area:
        return
    spot = visible.representative_point()
    color = "#5e2478" if feature.kind == LayerKind.PRIVATE else "#a31515"
    text = "\n".join(textwrap.wrap(feature.name, 22))
    ax.text(
        spot.x,
        spot.y,
        text,
        ha="center",
        va="center",
        fontsize=10.5,
        fontweight="bold",
        color=color,
        zorder=8,
        linespacing=1.1,
        path_effects=[Stroke(linewidth=3.5, foreground="white"), Normal()],
    )


def _legend_entry(kind: LayerKind) -> Any:
    label = _LEGEND_LABELS[kind]
    if kind == LayerKind.TRAIL:
        return Line2D([], [], label=label, **_TRAIL)
    if kind == LayerKind.ROAD:
        return Line2D([], [], label=label, **_ROAD)
    if kind == LayerKind.STREAM:
        return Line2D([], [], label=label, **_STREAM)
    if kind == LayerKind.BARRIER:
        return Line2D([], [], label=label, **_BARRIER)
    style = _area_style(kind)
    patch = Patch(label=label, **style)
    if "hatch" in style:
        patch.set_hatchcolor(style["edgecolor"])
    return patch


# ---------------------------------------------------------------------------- furniture
def _decorate_axes(ax: Axes, frame: _Frame) -> None:
    """Kilometre axes from the IPP, a light grid, a scale bar and a north arrow."""
    left, right, bottom, top = frame.extent
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.set_xlabel("km east of IPP", fontsize=11)
    ax.set_ylabel("km north of IPP", fontsize=11)
    ax.tick_params(labelsize=10)
    tick = _nice_length(max(frame.width_km, frame.height_km) / 8.0)
    ax.set_xticks(_ticks(left, right, tick))
    ax.set_yticks(_ticks(bottom, top, tick))
    ax.grid(True, color="white", linewidth=0.6, alpha=0.55, zorder=1.5)
    ax.set_axisbelow(False)

    bar = _nice_length(frame.width_km / 8.0, prefer=1.0)
    label = f"{bar:g} km" if bar >= 1.0 else f"{bar * 1000:g} m"
    scale = AnchoredSizeBar(
        ax.transData,
        bar,
        label,
        loc="lower left",
        pad=0.5,
        borderpad=0.8,
        sep=5,
        frameon=True,
        size_vertical=bar / 40.0,
        fontproperties={"size": 11, "weight": "bold"},
    )
    scale.patch.set_alpha(0.85)
    scale.set_zorder(11)
    ax.add_artist(scale)

    ax.annotate(
        "N",
        xy=(0.955, 0.965),
        xytext=(0.955, 0.875),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=15,
        fontweight="bold",
        zorder=11,
        arrowprops={
            "arrowstyle": "-|>,head_width=0.45,head_length=0.9",
            "color": "black",
            "linewidth": 2.2,
        },
        bbox={
            "boxstyle": "circle,pad=0.25",
            "facecolor": "white",
            "edgecolor": "black",
            "alpha": 0.85,
        },
    )


def _nice_length(target: float, *, prefer: float | None = None) -> float:
    """A round length (1, 2 or 5 x 10^n km) near ``target``; ``prefer`` when it fits."""
    if prefer is not None and 0.3 * target <= prefer <= 3.0 * target:
        return prefer
    if target <= 0:
        return 1.0
    exp = math.floor(math.log10(target))
    best = 1.0
    for m in (1.0, 2.0, 5.0, 10.0):
        best = m * 10.0**exp
        if best >= target * 0.75:
            break
    return best


def _ticks(lo: float, hi: float, step: float) -> NDArray[np.float64]:
    start = math.ceil(lo / step) * step
    return np.arange(start, hi + step * 1e-6, step)


def _summary_lines(poa: POA) -> tuple[str, list[str]]:
    """The default subtitle and the per-region area lines."""
    areas = area_for_mass_km2(poa)

    def km2(v: float | None) -> str:
        return "not reached" if v is None else f"{v:.2f} km²"

    def holds(level: float) -> str:
        v = areas.get(level)
        return f"{level * 100:g} % not reached" if v is None else f"{level * 100:g} % in {km2(v)}"

    subtitle = (
        f"model {poa.model} · rest of world {poa.rest_of_world:.1%} · {holds(0.5)} · {holds(0.95)}"
    )
    rows = [f"{level * 100:>3g} %   {km2(areas[level])}" for level in REGION_LEVELS]
    return subtitle, rows


def _draw_heading(fig: Figure, poa: POA, title: str, subtitle: str | None) -> None:
    default, _ = _summary_lines(poa)
    fig.text(_LEFT, 0.962, title, fontsize=21, fontweight="bold", va="baseline")
    fig.text(
        _LEFT,
        0.932,
        subtitle if subtitle is not None else default,
        fontsize=13.5,
        color="#333333",
        va="baseline",
    )


def _draw_side_panel(fig: Figure, ax: Axes, poa: POA, handles: list[Any], norm: LogNorm) -> None:
    """Legend, the density colour bar and the summary, stacked right of the map."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    map_box = ax.get_window_extent(renderer)
    width, height = fig.bbox.width, fig.bbox.height
    x0 = map_box.x1 / width + 0.02
    top = map_box.y1 / height

    legend = fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(x0, top),
        fontsize=10.5,
        title="Map key",
        title_fontsize=12,
        frameon=True,
        borderpad=0.8,
        labelspacing=0.6,
        handlelength=2.8,
        borderaxespad=0.0,
    )
    legend.get_frame().set_edgecolor("#bbbbbb")
    y = legend.get_window_extent(renderer).y0 / height - 0.035

    _, rows = _summary_lines(poa)
    lines = [
        "Area holding",
        *rows,
        "",
        f"in map        {poa.in_area:6.1%}",
        f"rest of world {poa.rest_of_world:6.1%}",
        f"cell {poa.grid.resolution:g} m, {poa.grid.shape[1]} x {poa.grid.shape[0]}",
    ]
    summary = fig.text(
        x0, y, "\n".join(lines), fontsize=10.5, va="top", family="monospace", linespacing=1.35
    )
    y = summary.get_window_extent(renderer).y0 / height - 0.03

    notes = list(_wrapped_notes(poa.notes, width=44, limit=6))
    if notes:
        note = fig.text(
            x0, y, "\n".join(notes), fontsize=9, va="top", color="#444444", linespacing=1.25
        )
        y = note.get_window_extent(renderer).y0 / height - 0.03

    bar_height = min(0.28, y - map_box.y0 / height - 0.01)
    if bar_height >= 0.08:
        cax = fig.add_axes((x0 + 0.005, y - bar_height, 0.018, bar_height))
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=colormaps[_HEAT_CMAP]), cax=cax)
        bar.set_label("chance per hectare (log scale)", fontsize=10.5)
        bar.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        bar.ax.yaxis.set_major_formatter(FuncFormatter(_percent))
        bar.ax.yaxis.set_minor_locator(NullLocator())
        bar.ax.tick_params(labelsize=10)


def _percent(value: float, _pos: int | None = None) -> str:
    """A density per km² as a chance per hectare, in plain percent (no exponents).

    >>> _percent(5.0), _percent(0.2), _percent(0.004)
    ('5 %', '0.2 %', '0.004 %')
    """
    per_ha = value  # 1 per km² = 1 % per hectare
    if per_ha >= 1.0:
        return f"{per_ha:.0f} %"
    return f"{float(f'{per_ha:.1g}'):g} %"


def _wrapped_notes(notes: Iterable[str], *, width: int, limit: int) -> Iterator[str]:
    """Model notes wrapped to ``width`` characters, at most ``limit`` lines."""
    out: list[str] = []
    for note in notes:
        out += textwrap.wrap(f"• {note}", width, subsequent_indent="  ")
    if len(out) > limit:
        out = [*out[: limit - 1], "  …"]
    yield from out
