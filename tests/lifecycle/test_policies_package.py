"""L5–L10, L13: the policies package: public names, seed defaults, config as data, errors."""

from __future__ import annotations

import importlib
from datetime import timedelta
from types import ModuleType

import pytest

from orderkit.errors import ConfigError, OrderkitError, TransitionError
from orderkit.lifecycle import ORDER_FLOW, OrderState, policies
from orderkit.lifecycle.policies import (
    AddressChangePolicy,
    ArbitrationPolicy,
    AutoCancelPolicy,
    EscalationLadder,
    ExceptionCatalog,
    PolicyError,
    PresalePolicy,
    StalePolicy,
)
from orderkit.lifecycle.policies._models import PolicyConfig
from orderkit.lifecycle.policies._states import BEFORE_SHIPMENT, SHIPPED_OR_LATER

MODULES = [
    "stale",
    "escalation",
    "review",
    "auto_cancel",
    "address_change",
    "arbitration",
    "presale",
    "errors",
]
CONFIGS: list[type[PolicyConfig]] = [
    StalePolicy,
    ExceptionCatalog,
    EscalationLadder,
    AutoCancelPolicy,
    AddressChangePolicy,
    ArbitrationPolicy,
    PresalePolicy,
]


def test_all_is_sorted_and_equals_the_public_names() -> None:
    """Nothing leaks from the package and nothing is missing."""
    public = sorted(
        name
        for name, value in vars(policies).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    )
    assert policies.__all__ == sorted(policies.__all__)
    assert policies.__all__ == public


@pytest.mark.parametrize("name", MODULES)
def test_each_module_exports_what_it_defines(name: str) -> None:
    """Each policy module lists its public names, all re-exported by the package."""
    module = importlib.import_module(f"orderkit.lifecycle.policies.{name}")
    defined = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_") and getattr(value, "__module__", None) == module.__name__
    }
    assert defined == set(module.__all__)
    assert set(module.__all__) <= set(policies.__all__)


def test_defaults_are_the_seed_figures() -> None:
    """L5 48 h; L6 0 / 5 / 15 min; L8 bank transfer exempt; L10 tolerance 0; L13 24 h."""
    assert StalePolicy().after == timedelta(hours=48)
    assert len(ExceptionCatalog().codes) == 12
    assert [t.after for t in EscalationLadder().tiers] == [
        timedelta(0),
        timedelta(minutes=5),
        timedelta(minutes=15),
    ]
    assert "bank_transfer" in AutoCancelPolicy().exempt_methods
    assert AddressChangePolicy().open_states == BEFORE_SHIPMENT
    assert ArbitrationPolicy().tolerance == timedelta(0)
    assert PresalePolicy().warn_before == timedelta(hours=24)


@pytest.mark.parametrize("config", CONFIGS)
def test_config_loads_from_a_dict_and_round_trips(config: type[PolicyConfig]) -> None:
    """Configuration is data: {} gives the defaults, JSON round-trips, typos are refused."""
    default = config()
    assert config.from_dict({}) == default
    assert config.from_dict(default.model_dump(mode="json")) == default
    assert config.model_validate_json(default.model_dump_json()) == default
    with pytest.raises(ConfigError, match=f"invalid {config.__name__}: typo: Extra inputs"):
        config.from_dict({"typo": 1})


@pytest.mark.parametrize("config", CONFIGS)
def test_configs_are_frozen(config: type[PolicyConfig]) -> None:
    """A loaded policy cannot drift at run time."""
    default = config()
    field = next(iter(type(default).model_fields))
    with pytest.raises(ValueError, match="frozen"):
        setattr(default, field, None)


def test_errors_sit_under_the_lifecycle_root() -> None:
    """Every policy error is a TransitionError and an OrderkitError."""
    errors = [
        value
        for value in vars(policies).values()
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(errors) == 6
    for error in errors:
        assert issubclass(error, PolicyError)
    assert issubclass(PolicyError, TransitionError)
    assert issubclass(PolicyError, OrderkitError)


def _reachable(start: set[str]) -> set[str]:
    edges = [(row["source"], row["dest"]) for row in ORDER_FLOW.table()]
    seen = set(start)
    while True:
        more = {dest for source, dest in edges if source in seen} - seen
        if not more:
            return seen
        seen |= more


def test_shipment_states_agree_with_the_order_flow() -> None:
    """L9, L13: "before shipment" and "shipped or later" follow the default order flow."""
    assert _reachable({OrderState.SHIPPED}) == set(SHIPPED_OR_LATER)
    can_ship = {s for s in OrderState if OrderState.SHIPPED in _reachable({s})}
    assert can_ship - SHIPPED_OR_LATER == set(BEFORE_SHIPMENT)
