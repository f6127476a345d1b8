"""The public surface is pinned (as in httpx's ``tests/test_exported_members.py``).

For each public module: ``__all__`` names exist, are in ruff's ``__all__`` order, and
are exactly the public names the module itself defines (read from its source with
``ast``, so an imported helper does not count and a new public function must be either
exported or renamed with a leading underscore). A package's ``__init__`` re-exports:
there ``__all__`` must be exactly its public, non-module attributes.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from types import ModuleType

import pytest


def _all_modules() -> list[str]:
    """Every public module of the package (found, not listed: a new one can't escape)."""
    import pkgutil

    import wayhome

    return sorted(
        info.name
        for info in pkgutil.walk_packages(wayhome.__path__, "wayhome.")
        if not any(part.startswith("_") for part in info.name.split("."))
        and ".migrations" not in info.name
    )


MODULES = _all_modules()


def _exported(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None and _public_names(module) == set():
        return []  # a package that only groups its modules: nothing to export
    assert names is not None, f"{module.__name__} has no __all__"
    return list(names)


def _targets(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Tuple | ast.List):
        return [n for elt in node.elts for n in _targets(elt)]
    return []


def defined_public_names(source: str) -> set[str]:
    """Public names bound at the top level of ``source`` by def, class or assignment.

    Examples
    --------
    >>> sorted(defined_public_names("import os\\nfrom x import y\\nA = 1\\n_b = 2\\n"
    ...                             "def f(): pass\\nclass C: pass\\nT: int = 3\\n"))
    ['A', 'C', 'T', 'f']
    """
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(n for t in node.targets for n in _targets(t))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            names.update(_targets(node.target))
    return {n for n in names if not n.startswith("_")}


def package_public_names(package: ModuleType) -> set[str]:
    """Public attributes of a package that are not its submodules or ``__future__`` flags."""
    return {
        name
        for name, value in vars(package).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and type(value).__name__ != "_Feature"  # from __future__ import annotations
    }


def isort_key(name: str) -> tuple[int, str]:
    """ruff RUF022's order: SCREAMING_CASE, then CamelCase, then the rest."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _public_names(module: ModuleType) -> set[str]:
    path = Path(inspect.getfile(module))
    if path.name == "__init__.py":
        return package_public_names(module)
    return defined_public_names(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", MODULES)
def test_every_exported_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    missing = [n for n in _exported(module) if not hasattr(module, n)]
    assert missing == []


@pytest.mark.parametrize("name", MODULES)
def test_all_has_no_duplicates_and_is_sorted(name: str) -> None:
    exported = _exported(importlib.import_module(name))
    assert len(exported) == len(set(exported))
    assert exported == sorted(exported, key=isort_key)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = _public_names(module)
    exported = set(_exported(module))
    assert {
        "defined but not exported": sorted(public - exported),
        "exported but not defined here": sorted(exported - public),
    } == {"defined but not exported": [], "exported but not defined here": []}


def test_the_checker_tells_defined_from_imported() -> None:
    source = (
        "from __future__ import annotations\nimport numpy as np\nfrom a import b\n"
        "X, Y = 1, 2\n_P = 3\nZ: int\ndef f(): pass\nclass K: pass\n"
        "if True:\n    nested = 1\n"
    )
    assert defined_public_names(source) == {"X", "Y", "Z", "f", "K"}


def test_every_module_is_checked() -> None:
    assert len(MODULES) > 100
    assert {"wayhome.store.positions", "wayhome.api.routes.map", "wayhome.cli.demo"} <= set(MODULES)
    assert not [m for m in MODULES if "._" in m or ".migrations" in m]


def test_package_names_skip_submodules_and_future_flags() -> None:
    import wayhome.io.raster  # noqa: F401  (makes ``raster`` an attribute of the package)

    io = importlib.import_module("wayhome.io")
    names = package_public_names(io)
    assert "raster" not in names
    assert "annotations" not in names
    assert "read_dem" in names
