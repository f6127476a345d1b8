"""The exception tree: every exception wayhome defines hangs from ``WayhomeError``.

The package is walked module by module (CLI included), so an exception class added
anywhere without the root, or a usage error without its matching builtin, fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import wayhome
from wayhome.errors import UsageError, WayhomeError

#: Builtins a usage error may pair with, so ``except ValueError`` (etc.) keeps working.
_USAGE_BUILTINS: tuple[type[BaseException], ...] = (ValueError, OSError, KeyError, MemoryError)


def _all_modules() -> list[ModuleType]:
    modules: list[ModuleType] = [wayhome]
    for info in pkgutil.walk_packages(wayhome.__path__, prefix="wayhome."):
        modules.append(importlib.import_module(info.name))
    return modules


def _defined_exceptions() -> list[type[BaseException]]:
    """Every BaseException subclass whose ``__module__`` is a wayhome module."""
    found: dict[str, type[BaseException]] = {}
    for module in _all_modules():
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[k] for k in sorted(found)]


EXCEPTIONS = _defined_exceptions()


def test_walk_finds_the_tree() -> None:
    # Guards the walk itself: if it found nothing the tests below would pass vacuously.
    names = {e.__name__ for e in EXCEPTIONS}
    assert {"WayhomeError", "UsageError", "DataFileError", "GridTooLargeError"} <= names
    modules = {m.__name__ for m in _all_modules()}
    assert {"wayhome.cli.app", "wayhome.plan", "wayhome.geo.travel", "wayhome.io.raster"} <= (
        modules
    )


@pytest.mark.parametrize("exc", EXCEPTIONS, ids=lambda e: f"{e.__module__}.{e.__qualname__}")
def test_every_exception_derives_from_the_root(exc: type[BaseException]) -> None:
    assert issubclass(exc, WayhomeError), (
        f"{exc.__module__}.{exc.__qualname__} does not derive from wayhome.errors.WayhomeError"
    )


USAGE_ERRORS = [e for e in EXCEPTIONS if issubclass(e, UsageError)]


@pytest.mark.parametrize("exc", USAGE_ERRORS, ids=lambda e: e.__qualname__)
def test_usage_errors_also_derive_from_a_builtin(exc: type[BaseException]) -> None:
    assert issubclass(exc, _USAGE_BUILTINS), (
        f"{exc.__qualname__} derives from none of {[b.__name__ for b in _USAGE_BUILTINS]}"
    )


@pytest.mark.parametrize("exc", USAGE_ERRORS, ids=lambda e: e.__qualname__)
def test_usage_error_message_is_the_text_given(exc: type[BaseException]) -> None:
    # KeyError quotes its argument in str(); a usage error must print the message as is,
    # because the CLI shows str(exc) to the planner.
    message = "field: a message for the planner"
    assert str(exc(message)) == message


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("UnknownCategoryError", KeyError),
        ("DataFileError", OSError),
        ("GridTooLargeError", MemoryError),
        ("InvalidParameterError", ValueError),
    ],
)
def test_usage_errors_pair_with_the_matching_builtin(
    name: str, builtin: type[BaseException]
) -> None:
    import wayhome.errors as errors

    assert issubclass(getattr(errors, name), builtin)
