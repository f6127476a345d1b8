"""The map features wayhome exchanges with CalTopo, Google Earth and GPS units.

A :class:`MapFeature` is one thing on a shared map, in the vocabulary of SAR mapping tools
(CalTopo/SARTopo's classes): an *assignment* (a segment given, or to be given, to a team),
a *clue*, a *marker* (IPP, staging, command post), a *line* or an *area*. Every format
module writes and reads these, so one planner's map survives a trip through any of them.
:func:`features_from_plan` gathers them from a plan directory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from wayhome.errors import InvalidParameterError

if TYPE_CHECKING:
    from wayhome.io.plan_dir import PlanState

__all__ = [
    "ASSIGNMENT_STATUSES",
    "RECORD_KEY",
    "MapFeature",
    "MapKind",
    "features_from_plan",
    "sweeps_from_plan",
]

#: The ``extra`` key saying which record a feature was drawn from (``ipp``, ``poa_region``,
#: ``place``, ``subject``, ``hazard``, ``track``, ...), so an import knows what it holds.
RECORD_KEY = "record"

#: Assignment states, as :class:`wayhome.store.models.Assignment` records them.
ASSIGNMENT_STATUSES: tuple[str, ...] = ("draft", "planned", "in_progress", "completed", "aborted")


class MapKind(StrEnum):
    """What a map feature is; the values are CalTopo's class names in lower case."""

    ASSIGNMENT = "assignment"
    CLUE = "clue"
    MARKER = "marker"
    LINE = "line"
    AREA = "area"


_GEOMETRIES: dict[MapKind, tuple[str, ...]] = {
    MapKind.ASSIGNMENT: ("Polygon", "MultiPolygon", "LineString"),
    MapKind.CLUE: ("Point",),
    MapKind.MARKER: ("Point",),
    MapKind.LINE: ("LineString", "MultiLineString"),
    MapKind.AREA: ("Polygon", "MultiPolygon"),
}


@dataclass(frozen=True, slots=True, eq=False)
class MapFeature:
    """One feature of a shared map, in WGS 84 longitude/latitude.

    Parameters
    ----------
    kind : MapKind
        Assignment, clue, marker, line or area.
    title : str
        What the map shows next to it (for an assignment, ``"A02 2-T1-A02"``: segment and
        number, as CalTopo titles them).
    geometry : shapely geometry
        A Point for clues and markers, (Multi)LineString for lines, (Multi)Polygon for
        areas; an assignment is a segment polygon or a line (a trail to sweep).
    description : str
        Free text (objectives, a clue's note).
    segment : str, optional
        An assignment's segment id (CalTopo's ``letter``).
    number : str, optional
        An assignment's number (``"2-T1-A02"``).
    status : str, optional
        An assignment's state, one of :data:`ASSIGNMENT_STATUSES`.
    team : str, optional
        The team an assignment is given to.
    resource_type : str, optional
        The team's resource (``ground_grid``, ``dog_air_scent``, ...).
    color : str, optional
        ``#RRGGBB``.
    extra : mapping of str to str
        Other fields worth keeping (a clue's kind and bearing, a segment's POA).
    """

    kind: MapKind
    title: str
    geometry: BaseGeometry
    description: str = ""
    segment: str | None = None
    number: str | None = None
    status: str | None = None
    team: str | None = None
    resource_type: str | None = None
    color: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"feature {self.title!r}"
        if not isinstance(self.kind, MapKind):
            raise InvalidParameterError(f"kind: {self.kind!r} is not a MapKind")
        if not self.title.strip():
            raise InvalidParameterError(f"title: a {self.kind.value} needs a title; give one")
        allowed = _GEOMETRIES[self.kind]
        if self.geometry.geom_type not in allowed or self.geometry.is_empty:
            raise InvalidParameterError(
                f"geometry: {where} is a {self.kind.value} but its geometry is a "
                f"{'empty ' if self.geometry.is_empty else ''}{self.geometry.geom_type}; "
                f"give a {' or '.join(allowed)}"
            )
        xy = shapely.get_coordinates(self.geometry)
        if not np.isfinite(xy).all() or (np.abs(xy[:, 0]) > 180).any():
            raise InvalidParameterError(
                f"geometry: {where} has coordinates outside longitude -180..180; give WGS 84 "
                f"longitude/latitude (reproject first)"
            )
        if (np.abs(xy[:, 1]) > 90).any():
            raise InvalidParameterError(
                f"geometry: {where} has latitudes outside -90..90; give longitude first "
                f"(GeoJSON order)"
            )
        if self.status is not None and self.status not in ASSIGNMENT_STATUSES:
            raise InvalidParameterError(
                f"status: {self.status!r} of {where} is not one of {', '.join(ASSIGNMENT_STATUSES)}"
            )
        if self.color is not None and not _is_colour(self.color):
            raise InvalidParameterError(
                f"color: {self.color!r} of {where} is not #RRGGBB, e.g. '#FF0000'"
            )


def _is_colour(text: str) -> bool:
    return (
        len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:])
    )


def features_from_plan(
    state: PlanState, *, statuses: Mapping[str, str] | None = None
) -> list[MapFeature]:
    """The map of a plan directory: segments as assignments, the IPP, clues, POA regions.

    Parameters
    ----------
    state : PlanState
        A plan directory read with :func:`wayhome.io.plan_dir.read_plan_dir`.
    statuses : mapping of str to str, optional
        Assignment number → live status (from the incident server); without it, an
        assigned segment is ``planned`` and an unassigned one ``draft``.

    Returns
    -------
    list of MapFeature
        One assignment per segment (with team, number, resource and objectives when the
        last ``wayhome assign`` gave it out), the IPP marker, each clue in the evidence log
        (withdrawn ones left out), and the 50 % and 95 % POA regions as areas.
    """
    from shapely.geometry import shape

    from wayhome.geo.coords import geometry_to_crs, lonlat_of
    from wayhome.probability.regions import regions_from_poa
    from wayhome.search.evidence import ClueEvidence

    grid_crs = state.grid.crs
    out: list[MapFeature] = []
    rows = (
        {}
        if state.assignments is None
        else {str(r["segment"]): r for r in state.assignments.get("assignments", [])}
    )
    if state.segments is not None:
        for seg_id, poly in zip(state.segments.ids, state.segments.polygons(), strict=True):
            outline = geometry_to_crs(poly, grid_crs, "EPSG:4326")
            row = rows.get(seg_id)
            number = None if row is None else str(row["assignment"])
            status = "draft" if row is None else "planned"
            if statuses and number is not None and number in statuses:
                status = statuses[number]
            out.append(
                MapFeature(
                    kind=MapKind.ASSIGNMENT,
                    title=seg_id if number is None else f"{seg_id} {number}",
                    geometry=outline,
                    description="" if row is None else str(row.get("objectives", "")),
                    segment=seg_id,
                    number=number,
                    status=status,
                    team=None if row is None else str(row["team"]),
                    resource_type=None if row is None else str(row.get("resource", "")) or None,
                    extra=_segment_extra(row),
                )
            )
    ipp = lonlat_of(state.ipp_xy[0], state.ipp_xy[1], grid_crs)
    out.append(
        MapFeature(
            kind=MapKind.MARKER,
            title="IPP",
            geometry=Point(ipp.lon, ipp.lat),
            description="Initial planning point",
            color="#FF0000",
            extra={RECORD_KEY: "ipp"},
        )
    )
    for entry in state.evidence.active():
        if not isinstance(entry, ClueEvidence) or not hasattr(entry.clue, "at"):
            continue
        clue = entry.clue
        extra = {
            RECORD_KEY: "clue",
            "clue_kind": clue.kind,
            "time": clue.time.isoformat(),
            "evidence_id": entry.id,
        }
        bearing = getattr(clue, "bearing_deg", None)
        if bearing is not None:
            extra["bearing_deg"] = f"{bearing:g}"
        out.append(
            MapFeature(
                kind=MapKind.CLUE,
                title=f"{entry.id} {clue.kind.replace('_', ' ')}",
                geometry=Point(clue.at.lon, clue.at.lat),
                description=clue.note,
                extra=extra,
            )
        )
    for region in regions_from_poa(state.poa):
        if round(region.level * 100) not in (50, 95) or region.geometry.is_empty:
            continue
        area = geometry_to_crs(region.geometry, grid_crs, "EPSG:4326")
        if area.geom_type not in ("Polygon", "MultiPolygon"):
            area = shape(area.__geo_interface__).buffer(0)
        out.append(
            MapFeature(
                kind=MapKind.AREA,
                title=f"POA {round(region.level * 100)} %",
                geometry=area,
                description=f"{region.area_km2:.2f} km² holding {region.level:.0%} of the POA",
                color="#FF8800" if region.level < 0.9 else "#FFCC00",
                extra={RECORD_KEY: "poa_region"},
            )
        )
    return out


def sweeps_from_plan(state: PlanState) -> dict[str, list[tuple[float, float]]]:
    """Segment id → the sweep path (lon, lat) ``wayhome assign`` wrote in the team files.

    Empty when the plan has no assignments (no team files).
    """
    out: dict[str, list[tuple[float, float]]] = {}
    for name, text in (state.team_files or {}).items():
        if not name.endswith(".geojson"):
            continue
        doc = json.loads(text)
        props = doc["features"][0]["properties"]
        route = next(
            (g for g in doc["features"] if g["properties"].get("part") == "sweep route"), None
        )
        if route is not None and props.get("segment"):
            xy = route["geometry"]["coordinates"]
            out[str(props["segment"])] = [(float(x), float(y)) for x, y, *_ in xy]
    return out


def _segment_extra(row: Mapping[str, Any] | None) -> dict[str, str]:
    if row is None:
        return {}
    keep = ("segment_poa", "expected_pod", "sweep_spacing_m", "frequencies")
    out = {k: str(row[k]) for k in keep if row.get(k) is not None}
    members = row.get("members")
    if isinstance(members, list) and members:
        out["members"] = "; ".join(str(m) for m in members)
    return out
