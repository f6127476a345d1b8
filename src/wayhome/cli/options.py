"""Option parsing shared by subcommands: layers, weights, memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from wayhome.errors import InvalidParameterError
from wayhome.geo.coords import LonLat, parse_location
from wayhome.geo.layers import Layers, layer_kind
from wayhome.io.raster import RasterData, read_dem
from wayhome.io.vector import read_layers
from wayhome.subject import Subject, subject_from_intake

__all__ = [
    "STEP_NAMES",
    "AgeOpt",
    "CategoryOpt",
    "DemOpt",
    "DemoOpt",
    "EcoregionOpt",
    "ExtentOpt",
    "Intake",
    "IppOpt",
    "LayersOpt",
    "MissingForOpt",
    "MixOpt",
    "NameOpt",
    "NightfallOpt",
    "ResolutionOpt",
    "SeedOpt",
    "available_memory_bytes",
    "parse_weights",
    "read_layer_options",
    "resolve_intake",
]


# Options shared by the planning commands (plan, simulate, ...): one declaration each.
IppOpt = Annotated[
    str | None,
    typer.Option(help="Last-seen point: LAT,LON, UTM ('16S 762345 4051234') or MGRS."),
]
CategoryOpt = Annotated[
    str | None,
    typer.Option(help="Lost-person category (hiker, child, dementia, ...); 'child' needs --age."),
]
AgeOpt = Annotated[float | None, typer.Option(help="Age in years.")]
MissingForOpt = Annotated[
    str | None, typer.Option("--missing-for", help="Time since last seen, e.g. 3h, 90min, 1h30.")
]
DemOpt = Annotated[Path | None, typer.Option(help="Elevation model (GeoTIFF, any CRS).")]
LayersOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--layers", help="Vector layer: PATH (features with a 'kind') or KIND=PATH; repeat."
    ),
]
ResolutionOpt = Annotated[float, typer.Option(help="Cell size in metres.")]
ExtentOpt = Annotated[
    float | None,
    typer.Option(
        "--extent-km", help="Width of the square planning area (default from the profile)."
    ),
]
EcoregionOpt = Annotated[str, typer.Option(help="temperate, dry or urban.")]
NameOpt = Annotated[str | None, typer.Option(help="Subject's name for titles.")]
DemoOpt = Annotated[
    bool,
    typer.Option("--demo", help="The bundled demo incident: a lost 4-year-old on real terrain."),
]
SeedOpt = Annotated[int, typer.Option(help="Random seed of the agent simulation.")]
MixOpt = Annotated[
    str | None,
    typer.Option(
        help="Behaviour mix for the agents, e.g. rw=0.1,rt=0.4,dt=0.5 (default: the category's)."
    ),
]
NightfallOpt = Annotated[
    str | None, typer.Option(help="Time after last seen when night fell, e.g. 3h (agents).")
]

#: Progress-bar wording of the planning steps.
STEP_NAMES = {
    "grid": "Placing the planning grid",
    "terrain": "Resampling the elevation model",
    "layers": "Burning in trails, water and barriers",
    "profile": "Looking up the lost-person profile",
    "model": "Computing the map",
    "write": "Writing the plan directory",
}


def read_layer_options(values: list[str]) -> Layers | None:
    """Read ``--layers`` values: ``PATH`` (features carry a kind) or ``KIND=PATH``."""
    result: Layers | None = None
    for value in values:
        kind = None
        path = value
        if "=" in value and not Path(value).exists():
            kind_text, path = value.split("=", 1)
            kind = layer_kind(kind_text)
        layers = read_layers(path, kind=kind)
        if result is None:
            result = layers
        else:
            from wayhome.geo.travel import layers_to_crs

            result = result + layers_to_crs(layers, result.crs)
    return result


def parse_weights(text: str | None) -> dict[str, float] | None:
    """``terrain=2,rings=1,regions=1`` → dict.

    Examples
    --------
    >>> parse_weights("terrain=2, rings=1")
    {'terrain': 2.0, 'rings': 1.0}
    """
    if not text:
        return None
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, val = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(val)
        except ValueError:
            raise InvalidParameterError(
                f"weights: cannot read {part.strip()!r}; write e.g. terrain=2,rings=1"
            ) from None
    return out


def available_memory_bytes() -> int:
    """Memory available now (Linux ``MemAvailable``), or 4 GiB when unknown."""
    try:
        with Path("/proc/meminfo").open(encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 * 2**30


@dataclass(frozen=True, slots=True, eq=False)
class Intake:
    """What the planning commands were told, with the demo incident filled in."""

    ipp: LonLat
    subject: Subject
    dem: RasterData | None
    layers: Layers | None
    resolution_m: float
    extent_km: float | None


def resolve_intake(
    *,
    ipp: str | None,
    category: str | None,
    age: float | None,
    missing_for: str | None,
    dem: Path | None,
    layers: list[str] | None,
    resolution: float,
    extent_km: float | None,
    name: str | None,
    demo: bool,
    default_resolution: float = 30.0,
) -> Intake:
    """Read the intake options (``--demo`` fills what is not given) and the files named."""
    dem_data = read_dem(dem) if dem is not None else None
    layer_data = read_layer_options(layers or [])
    if demo:
        from wayhome.io.demo import read_demo_dem, read_demo_incident, read_demo_layers

        inc = read_demo_incident()
        ipp = ipp or f"{inc.ipp_lat},{inc.ipp_lon}"
        category = category or inc.category
        age = age if age is not None else inc.age
        missing_for = missing_for or inc.missing_for
        name = name or inc.subject_name
        dem_data = dem_data or read_demo_dem()
        demo_layers = read_demo_layers()
        layer_data = demo_layers if layer_data is None else demo_layers + layer_data
        if resolution == default_resolution:
            resolution = inc.resolution_m
        extent_km = extent_km or inc.extent_km
    if ipp is None or category is None or missing_for is None:
        missing = [
            n
            for n, v in (("--ipp", ipp), ("--category", category), ("--missing-for", missing_for))
            if v is None
        ]
        raise InvalidParameterError(f"{', '.join(missing)}: required (or use --demo)")
    point = parse_location(ipp)
    subject = subject_from_intake(category, age=age, missing_for=missing_for, name=name)
    return Intake(point, subject, dem_data, layer_data, resolution, extent_km)
