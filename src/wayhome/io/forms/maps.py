"""Maps for the forms: the search area (ICS 201) and one segment (ICS 204), with a USNG grid.

Both are drawn by the server from the incident's own plan: shaded relief and contours
from ``terrain.tif`` (:mod:`wayhome.basemap.relief`), the segments, the probability
(201), the incident's hazard zones and places, and a US National Grid: 1 000 m lines
labelled with their two principal digits, 100 m lines faint on segment maps, and the
grid zone and 100 km square named in the corner, so a searcher reads a six- or
eight-digit USNG reference straight off the sheet. matplotlib's object API (no
``pyplot``), so it is safe in a server thread; the result is PNG bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.patheffects import Normal, Stroke
from numpy.typing import NDArray
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from wayhome.basemap.relief import INDEX_EVERY, contour_interval, hillshade
from wayhome.geo.coords import LonLat, geometry_to_crs, lonlat_of, to_crs, to_mgrs, utm_crs_for
from wayhome.geo.layers import LayerKind
from wayhome.geo.travel import layers_to_crs
from wayhome.io.forms.record import FormsRecord

__all__ = ["MAP_DPI", "search_area_png", "segment_png", "usng"]

_HALO = [Stroke(linewidth=2.6, foreground="white"), Normal()]
_HAZARD_COLOR = {"cliff": "#000000", "water": "#1f6fb4", "private_land": "#7b3294"}
_PLACE_STYLE = {
    "staging": ("s", "#1a7f37", "Staging"),
    "command_post": ("P", "#0b1f4d", "ICP"),
    "rendezvous": ("^", "#c2410c", "RP"),
    "helispot": ("H", "#0b1f4d", "H"),
}


def usng(point: LonLat, *, digits: int = 4) -> str:
    """The USNG reference of ``point``, spaced as printed (``digits`` per axis).

    Examples
    --------
    >>> usng(LonLat(lon=-84.2, lat=36.5))
    '16S GF 5078 4305'
    """
    text = to_mgrs(point, digits=digits)
    n = digits
    return f"{text[: -2 * n - 2]} {text[-2 * n - 2 : -2 * n]} {text[-2 * n : -n]} {text[-n:]}"


#: Raster maps' resolution: 120 dpi keeps 6 pt labels legible on a printed page; the demo's
#: IAP packet is 2.6 MB (4.1 MB at 170 dpi, for no visible gain on paper).
MAP_DPI = 120


class _Frame:
    """The map window in the plan grid's CRS and the relief inside it."""

    def __init__(self, record: FormsRecord, bounds: tuple[float, float, float, float]) -> None:
        assert record.plan is not None
        self.plan = record.plan
        self.grid = record.plan.grid
        self.crs = str(self.grid.crs)
        self.bounds = bounds
        self.window = box(*bounds)

    def relief(self, ax: Axes, *, contours: bool) -> None:
        elevation = self.plan.elevation
        left, bottom, right, top = self.grid.bounds
        ax.set_facecolor("#f4f2ea")
        if elevation is None:
            return
        z = np.asarray(elevation, dtype=np.float64)
        shade = hillshade(z, float(self.grid.resolution), z_factor=1.6)
        ax.imshow(
            np.nan_to_num(shade, nan=0.8),
            extent=(left, right, bottom, top),
            cmap="gray",
            vmin=-0.35,
            vmax=1.15,
            alpha=0.55,
            interpolation="bilinear",
            zorder=1,
        )
        if not contours or not np.isfinite(z).any():
            return
        x0, y0, x1, y1 = self.bounds
        rows, cols = self._window_slices()
        sub = z[rows, cols]
        if sub.size < 4 or min(sub.shape) < 2:
            return
        interval = contour_interval(sub)
        lo = math.floor(np.nanmin(sub) / interval) * interval
        hi = math.ceil(np.nanmax(sub) / interval) * interval
        levels = np.arange(lo, hi + interval, interval)
        xs = left + (np.arange(cols.start, cols.stop) + 0.5) * self.grid.resolution
        ys = top - (np.arange(rows.start, rows.stop) + 0.5) * self.grid.resolution
        index = [v for v in levels if round(v / interval) % INDEX_EVERY == 0]
        ax.contour(
            xs, ys, sub, levels=levels, colors="#9a5b2e", linewidths=0.35, alpha=0.75, zorder=2
        )
        if index:
            cs = ax.contour(
                xs, ys, sub, levels=index, colors="#8a4a1e", linewidths=0.8, alpha=0.85, zorder=2
            )
            ax.clabel(cs, fmt="%d m", fontsize=5.5, inline=True, inline_spacing=2)
        self.interval = interval
        del x0, y0, x1, y1

    def _window_slices(self) -> tuple[slice, slice]:
        left, _, _, top = self.grid.bounds
        res = self.grid.resolution
        x0, y0, x1, y1 = self.bounds
        rows_n, cols_n = self.grid.shape
        c0 = max(0, int((x0 - left) // res) - 1)
        c1 = min(cols_n, math.ceil((x1 - left) / res) + 1)
        r0 = max(0, int((top - y1) // res) - 1)
        r1 = min(rows_n, math.ceil((top - y0) / res) + 1)
        return slice(r0, r1), slice(c0, c1)

    def to_map(self, geom: BaseGeometry) -> BaseGeometry:
        """A lon/lat geometry in the map's CRS."""
        return geometry_to_crs(geom, "EPSG:4326", self.crs)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return to_crs(LonLat(lon=lon, lat=lat), self.crs)


def _polys(geom: BaseGeometry) -> Iterator[Polygon]:
    if isinstance(geom, Polygon):
        yield geom
    elif isinstance(geom, MultiPolygon) or hasattr(geom, "geoms"):
        for g in geom.geoms:
            yield from _polys(g)


def _path(poly: Polygon) -> MplPath:
    poly = orient(poly, sign=1.0)
    rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]
    return MplPath.make_compound_path(*[MplPath(r[:, :2], closed=True) for r in rings])


def _fill(ax: Axes, geom: BaseGeometry, **style: Any) -> None:
    for poly in _polys(geom):
        ax.add_patch(PathPatch(_path(poly), **style))


def _draw_layers(ax: Axes, frame: _Frame) -> None:
    layers = frame.plan.layers
    if layers is None:
        return
    shown = layers_to_crs(layers, frame.crs)
    styles: dict[LayerKind, dict[str, Any]] = {
        LayerKind.ROAD: {"color": "#222222", "linewidth": 1.6},
        LayerKind.TRAIL: {"color": "#6b3a12", "linewidth": 1.1, "linestyle": (0, (4, 2))},
        LayerKind.STREAM: {"color": "#1f6fb4", "linewidth": 1.0},
    }
    for kind, style in styles.items():
        for feature in shown.of_kind(kind):
            geom = feature.geometry.intersection(frame.window)
            for part in getattr(geom, "geoms", [geom]):
                if isinstance(part, LineString) and not part.is_empty:
                    xy = np.asarray(part.coords)
                    ax.plot(xy[:, 0], xy[:, 1], zorder=4, **style)
    for feature in shown.of_kind(LayerKind.WATER):
        _fill(ax, feature.geometry, facecolor="#8cc4ec", edgecolor="#1f6fb4", lw=0.6, zorder=3)


def _draw_hazards(ax: Axes, frame: _Frame, record: FormsRecord) -> None:
    x0, y0, x1, y1 = frame.window.bounds
    placed: list[tuple[float, float]] = []
    for hazard in record.hazards:
        geom = frame.to_map(hazard.geometry)
        if not geom.intersects(frame.window):
            continue
        color = _HAZARD_COLOR.get(hazard.kind, "#c81e1e")
        _fill(
            ax, geom, facecolor="none", edgecolor=color, hatch="////", lw=1.1, zorder=5, alpha=0.8
        )
        spot = geom.intersection(frame.window).representative_point()
        x, y = spot.x, spot.y
        # A label too close to one already drawn moves down a line, so none overlap.
        step = (y1 - y0) * 0.045
        while any(abs(x - px) < (x1 - x0) * 0.25 and abs(y - py) < step for px, py in placed):
            y -= step
        placed.append((x, y))
        # Near a side of the map the label runs inwards, so it is not cut by the frame.
        at = (x - x0) / max(x1 - x0, 1e-9)
        ha = "right" if at > 0.75 else ("left" if at < 0.25 else "center")
        ax.text(
            x,
            y,
            hazard.name,
            fontsize=5.8,
            color=color,
            ha=ha,
            va="center",
            zorder=9,
            path_effects=_HALO,
            wrap=True,
        )


def _draw_places(ax: Axes, frame: _Frame, record: FormsRecord) -> None:
    for place in record.places:
        marker, color, short = _PLACE_STYLE.get(place.kind, ("o", "#333333", place.kind))
        x, y = frame.xy(place.lat, place.lon)
        if not frame.window.contains(Point(x, y)):
            continue
        ax.plot(
            [x],
            [y],
            marker=marker,
            markersize=7,
            color=color,
            markeredgecolor="white",
            markeredgewidth=0.8,
            zorder=10,
            linestyle="none",
        )
        ax.annotate(
            short,
            (x, y),
            xytext=(5, -9),
            textcoords="offset points",
            fontsize=6.5,
            fontweight="bold",
            color=color,
            zorder=10,
            path_effects=_HALO,
        )
    for subject in record.subjects:
        x, y = frame.xy(subject.last_seen_lat, subject.last_seen_lon)
        if frame.window.contains(Point(x, y)):
            ax.plot(
                [x],
                [y],
                marker="o",
                markersize=9,
                markerfacecolor="white",
                markeredgecolor="black",
                markeredgewidth=1.6,
                zorder=11,
            )
            ax.plot([x], [y], marker="o", markersize=3, color="#d7191c", zorder=12)
            ax.annotate(
                "IPP / LKP",
                (x, y),
                xytext=(6, 5),
                textcoords="offset points",
                fontsize=7,
                fontweight="bold",
                zorder=12,
                path_effects=_HALO,
            )


def _usng_grid(ax: Axes, frame: _Frame, *, minor: bool) -> str:
    """USNG lines over the window; returns the zone and 100 km square(s) shown."""
    x0, y0, x1, y1 = frame.bounds
    centre = lonlat_of((x0 + x1) / 2, (y0 + y1) / 2, frame.crs)
    utm = utm_crs_for(centre)
    outline = geometry_to_crs(frame.window, frame.crs, utm)
    ux0, uy0, ux1, uy1 = outline.bounds
    step = 100.0 if minor else 1000.0
    squares: list[str] = []
    for corner in ((x0, y0), (x1, y1), (x0, y1), (x1, y0)):
        ref = usng(lonlat_of(corner[0], corner[1], frame.crs), digits=1).split()
        name = f"{ref[0]} {ref[1]}"
        if name not in squares:
            squares.append(name)

    def line(points: Sequence[tuple[float, float]]) -> NDArray[np.float64]:
        geom = geometry_to_crs(LineString(points), utm, frame.crs)
        return np.asarray(geom.coords)

    for axis in ("e", "n"):
        lo, hi = (ux0, ux1) if axis == "e" else (uy0, uy1)
        for k in range(math.floor(lo / step), math.ceil(hi / step) + 1):
            v = k * step
            major = v % 1000.0 == 0
            ts = np.linspace(uy0 if axis == "e" else ux0, uy1 if axis == "e" else ux1, 24)
            pts = [(v, t) for t in ts] if axis == "e" else [(t, v) for t in ts]
            xy = line(pts)
            ax.plot(
                xy[:, 0],
                xy[:, 1],
                color="#1b3a8a" if major else "#5a78c0",
                linewidth=0.9 if major else 0.25,
                alpha=0.9 if major else 0.55,
                zorder=6,
            )
            if not major:
                continue
            label = f"{int(v % 100000) // 1000:02d}"
            clipped = LineString(xy).intersection(frame.window)
            if clipped.is_empty or not isinstance(clipped, LineString):
                continue
            cx = np.asarray(clipped.coords)
            if axis == "e":
                at = cx[np.argmin(cx[:, 1])]
                ax.annotate(
                    label,
                    (at[0], y0),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                    fontweight="bold",
                    color="#1b3a8a",
                    zorder=13,
                    path_effects=_HALO,
                )
                ax.annotate(
                    label,
                    (at[0], y1),
                    xytext=(0, -2),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    fontsize=7.5,
                    fontweight="bold",
                    color="#1b3a8a",
                    zorder=13,
                    path_effects=_HALO,
                )
            else:
                at = cx[np.argmin(cx[:, 0])]
                ax.annotate(
                    label,
                    (x0, at[1]),
                    xytext=(2, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontsize=7.5,
                    fontweight="bold",
                    color="#1b3a8a",
                    zorder=13,
                    path_effects=_HALO,
                )
                ax.annotate(
                    label,
                    (x1, at[1]),
                    xytext=(-2, 0),
                    textcoords="offset points",
                    ha="right",
                    va="center",
                    fontsize=7.5,
                    fontweight="bold",
                    color="#1b3a8a",
                    zorder=13,
                    path_effects=_HALO,
                )
    return ", ".join(squares)


def _furniture(ax: Axes, frame: _Frame, note: str) -> None:
    """Scale bar, north arrow and the grid note."""
    x0, y0, x1, y1 = frame.bounds
    width = x1 - x0
    target = width / 5.0
    exp = 10 ** math.floor(math.log10(target))
    bar = max(m * exp for m in (1, 2, 5) if m * exp <= target)
    bx, by = x0 + width * 0.04, y0 + (y1 - y0) * 0.05
    ax.add_patch(
        Rectangle(
            (bx - width * 0.015, by - (y1 - y0) * 0.03),
            bar + width * 0.05,
            (y1 - y0) * 0.09,
            facecolor="white",
            edgecolor="#444444",
            lw=0.5,
            alpha=0.85,
            zorder=14,
        )
    )
    ax.plot(
        [bx, bx + bar], [by, by], color="black", linewidth=2.4, zorder=15, solid_capstyle="butt"
    )
    ax.plot(
        [bx, bx + bar / 2], [by, by], color="white", linewidth=1.2, zorder=16, solid_capstyle="butt"
    )
    label = f"{bar:g} m" if bar < 1000 else f"{bar / 1000:g} km"
    ax.text(
        bx + bar / 2, by + (y1 - y0) * 0.012, label, ha="center", va="bottom", fontsize=7, zorder=16
    )
    ax.annotate(
        "N",
        xy=(0.955, 0.95),
        xytext=(0.955, 0.85),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        zorder=16,
        arrowprops={
            "arrowstyle": "-|>,head_width=0.35,head_length=0.7",
            "color": "black",
            "linewidth": 1.4,
        },
    )
    ax.text(
        0.995,
        0.005,
        note,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=6.2,
        zorder=16,
        bbox={
            "facecolor": "white",
            "edgecolor": "#444444",
            "linewidth": 0.5,
            "alpha": 0.9,
            "pad": 2,
        },
    )


def _figure(size_in: tuple[float, float], dpi: int) -> tuple[Figure, Axes]:
    fig = Figure(figsize=size_in, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(1.0)
    return fig, ax


def _png(fig: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _window(
    geom: BaseGeometry, aspect: float, pad: float, minimum: float
) -> tuple[float, float, float, float]:
    """Bounds around ``geom`` with ``pad`` (fraction) and the figure's aspect (w/h)."""
    x0, y0, x1, y1 = geom.bounds
    w = max(x1 - x0, minimum) * (1 + 2 * pad)
    h = max(y1 - y0, minimum) * (1 + 2 * pad)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def search_area_png(
    record: FormsRecord, *, size_in: tuple[float, float] = (7.5, 5.0), dpi: int = MAP_DPI
) -> bytes | None:
    """ICS 201 block 4: the search area with segments, probability, hazards and places.

    ``None`` when the record has no plan (the form prints why instead).
    """
    plan = record.plan
    if plan is None:
        return None
    segments = record.segment_geometries()
    fig, ax = _figure(size_in, dpi)
    region: BaseGeometry = box(*plan.grid.bounds)
    if segments:
        union = MultiPolygon([p for g in segments.values() for p in _polys(g)])
        region = union.buffer(0)
    frame = _Frame(record, _window(region, size_in[0] / size_in[1], 0.08, 1500.0))
    frame.relief(ax, contours=True)
    density = np.asarray(plan.poa.cells, dtype=np.float64)
    left, bottom, right, top = plan.grid.bounds
    peak = float(np.nanmax(density)) if np.isfinite(density).any() else 0.0
    if peak > 0:
        heat = np.ma.masked_less(density, peak * 0.02)
        ax.imshow(
            heat,
            extent=(left, right, bottom, top),
            cmap="YlOrRd",
            alpha=0.45,
            vmin=0.0,
            vmax=peak,
            zorder=2.5,
            interpolation="nearest",
        )
    _draw_layers(ax, frame)
    _draw_hazards(ax, frame, record)
    assigned = {a.segment: a.team.name for a in record.assignments}
    for seg_id, geom in segments.items():
        if seg_id in assigned:
            _fill(ax, geom, facecolor=(1.0, 0.9, 0.2, 0.18), edgecolor="#b91c1c", lw=1.4, zorder=7)
        else:
            _fill(ax, geom, facecolor="none", edgecolor="#1b3a57", lw=0.7, zorder=7)
        at = geom.representative_point()
        text = f"{seg_id}\n{assigned[seg_id]}" if seg_id in assigned else seg_id
        ax.text(
            at.x,
            at.y,
            text,
            ha="center",
            va="center",
            fontsize=6.5,
            fontweight="bold",
            color="#7f1d1d" if seg_id in assigned else "#1b3a57",
            zorder=12,
            path_effects=_HALO,
            linespacing=0.95,
        )
    _draw_places(ax, frame, record)
    squares = _usng_grid(ax, frame, minor=False)
    ax.set_xlim(frame.bounds[0], frame.bounds[2])
    ax.set_ylim(frame.bounds[1], frame.bounds[3])
    _furniture(
        ax,
        frame,
        f"USNG {squares} · 1 000 m grid · WGS 84\n"
        f"contours {getattr(frame, 'interval', 0):g} m · red: assigned this period",
    )
    return _png(fig, dpi)


def segment_png(
    record: FormsRecord,
    segment: str,
    *,
    size_in: tuple[float, float] = (7.5, 3.6),
    dpi: int = MAP_DPI,
) -> bytes | None:
    """ICS 204: one segment on relief and contours, with neighbours and a 100 m USNG grid.

    ``None`` when the record has no plan or the plan has no segment ``segment``.
    """
    segments = record.segment_geometries()
    if record.plan is None or segment not in segments:
        return None
    geom = segments[segment]
    fig, ax = _figure(size_in, dpi)
    frame = _Frame(record, _window(geom, size_in[0] / size_in[1], 0.12, 600.0))
    frame.relief(ax, contours=True)
    _draw_layers(ax, frame)
    _draw_hazards(ax, frame, record)
    for seg_id, other in segments.items():
        if seg_id == segment or not other.intersects(frame.window):
            continue
        _fill(ax, other, facecolor="none", edgecolor="#1b3a57", lw=0.6, zorder=7, alpha=0.8)
        at = other.intersection(frame.window).representative_point()
        ax.text(
            at.x,
            at.y,
            seg_id,
            ha="center",
            va="center",
            fontsize=6.5,
            color="#1b3a57",
            zorder=12,
            path_effects=_HALO,
        )
    _fill(ax, geom, facecolor=(1.0, 0.9, 0.2, 0.22), edgecolor="#b91c1c", lw=2.0, zorder=8)
    at = geom.representative_point()
    ax.text(
        at.x,
        at.y,
        segment,
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        color="#7f1d1d",
        zorder=12,
        path_effects=_HALO,
    )
    _draw_places(ax, frame, record)
    squares = _usng_grid(ax, frame, minor=True)
    ax.set_xlim(frame.bounds[0], frame.bounds[2])
    ax.set_ylim(frame.bounds[1], frame.bounds[3])
    _furniture(
        ax,
        frame,
        f"USNG {squares} · 1 000 m lines, 100 m faint · WGS 84 · "
        f"contours {getattr(frame, 'interval', 0):g} m",
    )
    return _png(fig, dpi)
