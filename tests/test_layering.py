"""Import contract: library <- CLI <- API, checked statically with ``ast``.

The library (everything under ``wayhome`` except ``wayhome.cli``, ``wayhome.api``, ``wayhome.web``)
must not import a user-interface framework or the layers above it. The check parses
each source file, so an import hidden in a function body counts too, and nothing is
imported to run it.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import wayhome

PACKAGE_DIR = Path(wayhome.__file__).resolve().parent
#: Layers above the library: they may import anything below them.
UPPER_LAYERS = ("wayhome.cli", "wayhome.api", "wayhome.web")  # web: the served app
#: Top-level packages only the upper layers may use.
FORBIDDEN_PACKAGES = ("typer", "click", "rich", "fastapi", "starlette", "uvicorn")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _library_sources() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE_DIR.rglob("*.py")
        if not any(_is_under(_module_name(p), upper) for upper in UPPER_LAYERS)
    )


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """Absolute name of what ``from ... import`` reads, relative imports included."""
    if node.level == 0:
        return node.module or ""
    # ``module`` is a module's dotted name; its package is everything before the last part.
    package = module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported_names(source: str, module: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import statement in ``source``.

    ``module`` is the importing module's name (``wayhome.io`` for a package's
    ``__init__``, written ``wayhome.io.__init__`` so relative imports resolve).
    """
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            out.append((node.lineno, base))
            # ``from wayhome import cli`` imports the submodule wayhome.cli.
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return out


def _is_forbidden(name: str) -> bool:
    return name.split(".")[0] in FORBIDDEN_PACKAGES or any(
        _is_under(name, upper) for upper in UPPER_LAYERS
    )


def _violations(path: Path) -> list[str]:
    module = _module_name(path) + (".__init__" if path.name == "__init__.py" else "")
    names = imported_names(path.read_text(encoding="utf-8"), module)
    rel = path.relative_to(PACKAGE_DIR.parent)
    return [f"{rel}:{line} imports {name}" for line, name in names if _is_forbidden(name)]


LIBRARY_SOURCES = _library_sources()


def test_the_library_has_sources_to_check() -> None:
    names = {_module_name(p) for p in LIBRARY_SOURCES}
    assert {"wayhome.plan", "wayhome.geo.travel", "wayhome.io.raster"} <= names
    assert not any(n.startswith("wayhome.cli") for n in names)


@pytest.mark.parametrize(
    "path", LIBRARY_SOURCES, ids=lambda p: str(p.relative_to(PACKAGE_DIR.parent))
)
def test_library_does_not_import_ui_or_upper_layers(path: Path) -> None:
    assert _violations(path) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import typer\n", True),
        ("def f():\n    from rich.console import Console\n", True),
        ("import click.exceptions as ce\n", True),
        ("from wayhome.cli.app import app\n", True),
        ("from wayhome import cli\n", True),
        ("from ..cli import options\n", True),
        ("from wayhome.api.routes import plans\n", True),
        ("import numpy as np\nfrom wayhome.geo.grid import GridSpec\n", False),
        ("from wayhome import clippers\n", False),
        ("from . import atomic\n", False),
    ],
)
def test_the_checker_catches_what_it_should(source: str, expected: bool) -> None:
    # The checker must flag a forbidden import, or the tests above prove nothing.
    names = imported_names(source, "wayhome.io.probe")
    assert any(_is_forbidden(name) for _, name in names) is expected


def test_relative_imports_resolve_against_the_package() -> None:
    node = ast.parse("from ..cli import app").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _resolve("wayhome.io.raster", node) == "wayhome.cli"
    node = ast.parse("from . import atomic").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _resolve("wayhome.io.__init__", node) == "wayhome.io"


# walk_packages would import wayhome.cli to look inside it, so recurse by hand.
_IMPORT_ALL = """
import importlib, pkgutil, sys
import wayhome
def walk(pkg):
    for m in pkgutil.iter_modules(pkg.__path__, prefix=pkg.__name__ + "."):
        if m.name in ("wayhome.cli", "wayhome.api", "wayhome.web"):
            continue
        mod = importlib.import_module(m.name)
        yield m.name
        if m.ispkg:
            yield from walk(mod)
library = list(walk(wayhome))
upper = ("wayhome.cli", "wayhome.api", "wayhome.web")
ui = sorted(
    m for m in sys.modules if m.split(".")[0] in {"typer", "rich", "fastapi"} or m.startswith(upper)
)
print(len(library), ",".join(ui))
"""


def test_importing_the_library_has_no_side_effects(tmp_path: Path) -> None:
    # A fresh interpreter in an empty directory: importing every library module writes
    # nothing there and loads neither the CLI nor typer, rich or fastapi. (click is not
    # checked at run time: rasterio itself imports it; the static test above covers it.)
    # HOME and matplotlib's cache live outside the directory under test (matplotlib may
    # create its config directory on import; that is not wayhome writing files).
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    env = {**os.environ, "HOME": str(home), "MPLCONFIGDIR": str(home / ".mpl")}
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", _IMPORT_ALL],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    count, _, ui = proc.stdout.strip().partition(" ")
    assert int(count) > 10
    assert ui == ""
    assert sorted(p.name for p in cwd.iterdir()) == []
