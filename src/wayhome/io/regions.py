"""Planner-drawn regions with a probability share each (for the consensus model)."""

from __future__ import annotations

import math
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from wayhome.errors import InvalidLayerError
from wayhome.io.vector import _read_bytes, _read_geojson, _read_kml

__all__ = ["read_region_shares"]


def read_region_shares(path: Path | str) -> tuple[tuple[BaseGeometry, str, float, str | None], ...]:
    """Read polygons with a ``share`` property (0..1) from GeoJSON or KML.

    Returns ``(geometry, crs, share, name)`` per region, geometry in the file's CRS.
    """
    p = Path(path)
    readers = {".geojson": _read_geojson, ".json": _read_geojson, ".kml": _read_kml}
    reader = readers.get(p.suffix.lower())
    if reader is None:
        raise InvalidLayerError(
            f"regions: cannot read '{p.name}'; give GeoJSON or KML polygons with a 'share'"
        )
    crs, raw = reader(_read_bytes(p), p.name)
    out: list[tuple[BaseGeometry, str, float, str | None]] = []
    for f in raw:
        if f.geometry is None or f.geometry.is_empty:
            continue
        if f.geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise InvalidLayerError(
                f"regions: feature {f.index} in '{p.name}' is a {f.geometry.geom_type}; "
                f"regions must be polygons"
            )
        try:
            share = float(f.properties.get("share", "nan"))
        except (TypeError, ValueError):
            share = math.nan
        if not (math.isfinite(share) and 0.0 <= share <= 1.0):
            raise InvalidLayerError(
                f"regions: feature {f.index} in '{p.name}' needs a 'share' between 0 and 1 "
                f"(the planner's probability for it)"
            )
        out.append((f.geometry, crs, share, f.name))
    if not out:
        raise InvalidLayerError(f"regions: '{p.name}' holds no polygons")
    return tuple(out)
