"""Every package exports exactly its public names: nothing leaks, nothing is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

PACKAGES = [
    "orderkit",
    "orderkit.channels",
    "orderkit.discounts",
    "orderkit.events",
    "orderkit.health",
    "orderkit.inventory",
    "orderkit.lifecycle",
    "orderkit.lifecycle.policies",
    "orderkit.money",
    "orderkit.order",
    "orderkit.testing",
]
MODULES = [
    "orderkit.channels.csv_export",
    "orderkit.channels.douyin",
    "orderkit.channels.pinduoduo",
    "orderkit.channels.shopify",
    "orderkit.channels.taobao",
    "orderkit.clock",
    "orderkit.errors",
    "orderkit.lifecycle.policies.errors",
    "orderkit.testing.channels",
    "orderkit.testing.inventory",
    "orderkit.testing.plugin",
    "orderkit.testing.strategies",
]


def _exported(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module.__name__} has no __all__"
    assert names == sorted(names), f"{module.__name__}.__all__ is not sorted"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{module.__name__}.__all__ names undefined {missing}"
    return list(names)


@pytest.mark.parametrize("name", PACKAGES)
def test_package_all_equals_its_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = sorted(
        n
        for n, value in vars(module).items()
        if not n.startswith("_") and not isinstance(value, ModuleType)
    )
    extra = ["__version__"] if name == "orderkit" else []
    assert _exported(module) == sorted(public + extra)


@pytest.mark.parametrize("name", MODULES)
def test_module_all_lists_everything_it_defines(name: str) -> None:
    module = importlib.import_module(name)
    defined = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_") and getattr(value, "__module__", None) == name
    }
    assert defined <= set(_exported(module))


def test_version_is_the_installed_one() -> None:
    import orderkit

    assert orderkit.__version__.startswith("0.1")


def test_py_typed_is_shipped() -> None:
    from importlib.resources import files

    assert files("orderkit").joinpath("py.typed").is_file()
