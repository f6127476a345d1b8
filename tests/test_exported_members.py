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

MODULES = [
    "wayhome.geo.grid",
    "wayhome.geo.coords",
    "wayhome.geo.terrain",
    "wayhome.geo.travel",
    "wayhome.geo.layers",
    "wayhome.probability.poa",
    "wayhome.probability.rings",
    "wayhome.probability.terrain",
    "wayhome.probability.consensus",
    "wayhome.probability.regions",
    "wayhome.probability.ensemble",
    "wayhome.plan",
    "wayhome.evaluation",
    "wayhome.subject",
    "wayhome.io",
    "wayhome.io.tracks",
    "wayhome.io.gps",
    "wayhome.search.coverage",
    "wayhome.search.bayes",
    "wayhome.search.allocation",
    "wayhome.io.evidence",
    "wayhome.search.clues",
    "wayhome.search.evidence",
    "wayhome.search.detection",
    "wayhome.search.segments",
    "wayhome.io.segments",
    "wayhome.store",
    "wayhome.store.engine",
    "wayhome.store.hazards",
    "wayhome.store.errors",
    "wayhome.store.incidents",
    "wayhome.store.injuries",
    "wayhome.store.models",
    "wayhome.store.positions",
    "wayhome.store.roll_calls",
    "wayhome.store.roster",
    "wayhome.store.signals",
    "wayhome.store.users",
    "wayhome.store.periods",
    "wayhome.store.places",
    "wayhome.store.assignments",
    "wayhome.store.subjects",
    "wayhome.store.overdue",
    "wayhome.store.rotation",
    "wayhome.access",
    "wayhome.access.roles",
    "wayhome.access.secrets",
    "wayhome.access.credentials",
    "wayhome.access.cose",
    "wayhome.io.credentials",
    "wayhome.store.audit",
    "wayhome.store.credentials",
    "wayhome.store.jurisdictions",
    "wayhome.access.jurisdictions",
    "wayhome.io.jurisdictions",
    "wayhome.api.routes.jurisdictions",
    "wayhome.demo.story",
    "wayhome.ops.hazards",
    "wayhome.ops.rotation",
    "wayhome.ops.signals",
    "wayhome.api",
    "wayhome.api.hub",
    "wayhome.api.problems",
    "wayhome.api.schemas",
    "wayhome.api.settings",
    "wayhome.api.watch",
    "wayhome.api.auth",
    "wayhome.api.routes.subjects",
    "wayhome.api.routes.assignments",
    "wayhome.cli.demo",
]


def _exported(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
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


def test_package_names_skip_submodules_and_future_flags() -> None:
    import wayhome.io.raster  # noqa: F401  (makes ``raster`` an attribute of the package)

    io = importlib.import_module("wayhome.io")
    names = package_public_names(io)
    assert "raster" not in names
    assert "annotations" not in names
    assert "read_dem" in names
