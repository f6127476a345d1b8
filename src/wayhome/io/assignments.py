"""Per-team assignment files for GPS units and phones: GPX, KML and GeoJSON.

Each holds the segment boundary and the suggested sweep route, in WGS 84.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET  # writing only; reading XML goes through defusedxml

import gpxpy.gpx

__all__ = ["team_files"]

_KML_NS = "http://www.opengis.net/kml/2.2"


def team_files(
    name: str,
    *,
    boundary_lonlat: Sequence[tuple[float, float]],
    route_lonlat: Sequence[tuple[float, float]],
    properties: dict[str, Any],
) -> dict[str, str]:
    """``{file name: text}`` for one assignment: ``NAME.gpx``, ``NAME.kml``, ``NAME.geojson``.

    Garmin units accept short names: the GPX route and track are named from ``name``.
    """
    short = name[:20]
    gpx = gpxpy.gpx.GPX()
    gpx.name = short
    gpx.description = str(properties.get("objectives", ""))
    rte = gpxpy.gpx.GPXRoute(name=f"{short} bdry")
    rte.points = [
        gpxpy.gpx.GPXRoutePoint(latitude=lat, longitude=lon) for lon, lat in boundary_lonlat
    ]
    gpx.routes.append(rte)
    trk = gpxpy.gpx.GPXTrack(name=f"{short} sweep")
    seg = gpxpy.gpx.GPXTrackSegment()
    seg.points = [gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon) for lon, lat in route_lonlat]
    trk.segments.append(seg)
    gpx.tracks.append(trk)

    ET.register_namespace("", _KML_NS)
    kml = ET.Element(f"{{{_KML_NS}}}kml")
    doc = ET.SubElement(kml, f"{{{_KML_NS}}}Document")
    ET.SubElement(doc, f"{{{_KML_NS}}}name").text = name
    for label, coords, closed in (
        ("boundary", boundary_lonlat, True),
        ("sweep route", route_lonlat, False),
    ):
        pm = ET.SubElement(doc, f"{{{_KML_NS}}}Placemark")
        ET.SubElement(pm, f"{{{_KML_NS}}}name").text = f"{name} {label}"
        ET.SubElement(pm, f"{{{_KML_NS}}}description").text = str(properties.get("objectives", ""))
        text = " ".join(f"{lon:.6f},{lat:.6f}" for lon, lat in coords)
        if closed:
            poly = ET.SubElement(pm, f"{{{_KML_NS}}}Polygon")
            ring = ET.SubElement(
                ET.SubElement(poly, f"{{{_KML_NS}}}outerBoundaryIs"), f"{{{_KML_NS}}}LinearRing"
            )
            ET.SubElement(ring, f"{{{_KML_NS}}}coordinates").text = text
        else:
            line = ET.SubElement(pm, f"{{{_KML_NS}}}LineString")
            ET.SubElement(line, f"{{{_KML_NS}}}coordinates").text = text
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {**properties, "part": "boundary"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[round(x, 7), round(y, 7)] for x, y in boundary_lonlat]],
                },
            },
            {
                "type": "Feature",
                "properties": {"part": "sweep route"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[round(x, 7), round(y, 7)] for x, y in route_lonlat],
                },
            },
        ],
    }
    return {
        f"{name}.gpx": gpx.to_xml(),
        f"{name}.kml": ET.tostring(kml, encoding="unicode", xml_declaration=True) + "\n",
        f"{name}.geojson": json.dumps(geojson) + "\n",
    }
