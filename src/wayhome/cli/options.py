"""Option parsing shared by subcommands: layers, weights, memory."""

from __future__ import annotations

from pathlib import Path

from wayhome.errors import InvalidParameterError
from wayhome.geo.layers import Layers, layer_kind
from wayhome.io.vector import read_layers

__all__ = ["available_memory_bytes", "parse_weights", "read_layer_options"]


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
