"""Vector layers of the search area: trails, roads, water, cliffs, private land.

A :class:`Layers` is a set of :class:`Feature` values in one CRS, read by
``wayhome.io.vector`` and rasterised onto a grid by ``wayhome.geo.travel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shapely.geometry.base import BaseGeometry

from wayhome.errors import InvalidLayerError

__all__ = ["Feature", "LayerKind", "Layers", "layer_kind"]


class LayerKind(StrEnum):
    """What a feature is, as far as travel and probability care."""

    TRAIL = "trail"
    """Footpath: faster walking; lost people drift along it."""
    ROAD = "road"
    """Road or track: fastest walking; attracts like a trail."""
    STREAM = "stream"
    """Creek or river line: a drainage that attracts; slow to cross."""
    WATER = "water"
    """Lake, pond or wide river polygon: impassable on foot."""
    CLIFF = "cliff"
    """Cliff band or drop-off (line or polygon): impassable."""
    BARRIER = "barrier"
    """Any other impassable line or area (fence, canal, ...)."""
    VEGETATION = "vegetation"
    """Dense vegetation polygon: slower walking."""
    PRIVATE = "private"
    """Land of another owner: no effect on the subject, shown to the planner."""
    HAZARD = "hazard"
    """Hazard zone for searchers (hunting, unstable ground): shown, no effect on the subject."""


_ALIASES: dict[str, LayerKind] = {
    "path": LayerKind.TRAIL,
    "footpath": LayerKind.TRAIL,
    "track": LayerKind.ROAD,
    "creek": LayerKind.STREAM,
    "river": LayerKind.STREAM,
    "drainage": LayerKind.STREAM,
    "lake": LayerKind.WATER,
    "pond": LayerKind.WATER,
    "reservoir": LayerKind.WATER,
    "fence": LayerKind.BARRIER,
    "impassable": LayerKind.BARRIER,
    "forest": LayerKind.VEGETATION,
    "brush": LayerKind.VEGETATION,
    "private_land": LayerKind.PRIVATE,
}


def layer_kind(name: str) -> LayerKind:
    """The :class:`LayerKind` for a name or common alias (case-insensitive).

    Examples
    --------
    >>> layer_kind("Creek")
    <LayerKind.STREAM: 'stream'>
    """
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return LayerKind(key)
    except ValueError:
        pass
    if key in _ALIASES:
        return _ALIASES[key]
    valid = ", ".join(k.value for k in LayerKind)
    raise InvalidLayerError(f"layer kind: unknown kind {name!r}; use one of: {valid}")


@dataclass(frozen=True, slots=True)
class Feature:
    """One geometry with its kind and an optional name."""

    kind: LayerKind
    geometry: BaseGeometry
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Layers:
    """Features in one CRS (``crs`` as an authority string or WKT)."""

    features: tuple[Feature, ...]
    crs: str

    def of_kind(self, *kinds: LayerKind) -> tuple[Feature, ...]:
        """The features of the given kinds."""
        return tuple(f for f in self.features if f.kind in kinds)

    def __add__(self, other: Layers) -> Layers:
        if other.crs != self.crs:
            raise InvalidLayerError(
                f"layers: cannot merge layers in {self.crs} and {other.crs}; reproject first"
            )
        return Layers(self.features + other.features, self.crs)
