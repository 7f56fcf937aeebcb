from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import TypeAlias, TypeVar, overload

from orderkit.errors import AllocationError, CurrencyMismatch
from orderkit.money._money import Money, to_decimal

__all__ = ["Weight", "allocate", "allocate_capped", "split_units"]

Weight: TypeAlias = Money | Decimal | int
"""A share of an allocation: a line amount, a quantity, or any non-negative number."""

K = TypeVar("K", str, int)


def _weight_units(total: Money, weights: Sequence[Weight]) -> list[int]:
    """Scale the weights to integers that keep their exact ratios."""
    if all(type(w) is int and w >= 0 for w in weights):
        return list(weights)  # type: ignore[arg-type]
    currency = total.currency
    if all(
        type(w) is Money and w.currency == currency and w.amount >= 0 and w.is_rounded
        for w in weights
    ):
        # Amounts in one minor unit keep their ratios as integer counts of it.
        return [w.minor_units for w in weights]  # type: ignore[union-attr]
    values: list[Fraction] = []
    for weight in weights:
        if isinstance(weight, Money):
            if weight.currency != total.currency:
                raise CurrencyMismatch(total.currency, weight.currency, "allocate over")
            value = weight.amount
        else:
            value = to_decimal(weight)
        if value < 0:
            raise AllocationError(f"weights must not be negative, got {value}")
        values.append(Fraction(value))
    common = lcm(*(v.denominator for v in values))
    return [v.numerator * (common // v.denominator) for v in values]


def split_units(units: int, weights: Sequence[int], keys: Sequence[K]) -> list[int]:
    """Split ``units >= 0`` over integer weights by largest remainder, ties by key."""
    whole = sum(weights)
    if not weights and units:
        raise AllocationError("cannot allocate a non-zero amount over no weights at all")
    if whole == 0:
        if units == 0:
            return [0] * len(weights)
        raise AllocationError("cannot allocate a non-zero amount over weights that are all zero")
    shares = [divmod(units * w, whole) for w in weights]
    parts = [floor for floor, _ in shares]
    left = units - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], keys[i]))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def _keys_and_values(
    weights: Mapping[K, Weight] | Sequence[Weight], keys: Sequence[K] | None
) -> tuple[list[K], list[Weight]]:
    if isinstance(weights, Mapping):
        if keys is not None:
            raise TypeError("pass keys only with a sequence of weights, not with a mapping")
        return _same_kind(list(weights.keys())), list(weights.values())
    if keys is None:
        raise TypeError(
            "allocate() needs keys=... with a sequence of weights (ties go by key, never by "
            "position), or a mapping of key to weight"
        )
    if len(keys) != len(weights):
        raise AllocationError(f"{len(weights)} weights but {len(keys)} keys")
    if len(set(keys)) != len(keys):
        raise AllocationError("keys must be unique: they break ties between equal shares")
    return _same_kind(list(keys)), list(weights)


def _same_kind(keys: list[K]) -> list[K]:
    if len({type(k) for k in keys}) > 1:
        raise AllocationError("keys must be all str or all int: they are sorted to break ties")
    return keys


def _shape(total: Money, keys: list[K], units: list[int], as_mapping: bool) -> object:
    currency = total.currency
    parts = [Money.from_minor(u, currency) for u in units]
    return dict(zip(keys, parts, strict=True)) if as_mapping else parts


@overload
def allocate(total: Money, weights: Mapping[K, Weight]) -> dict[K, Money]: ...
@overload
def allocate(total: Money, weights: Sequence[Weight], *, keys: Sequence[K]) -> list[Money]: ...
def allocate(
    total: Money,
    weights: Mapping[K, Weight] | Sequence[Weight],
    *,
    keys: Sequence[K] | None = None,
) -> dict[K, Money] | list[Money]:
    """Split ``total`` over ``weights`` exactly, by largest remainder.

    The parts always sum to ``total``; each is within one minor unit of its exact
    proportional share; a zero weight gets exactly zero. Leftover minor units go to the
    largest remainders, and equal remainders go to the smaller key, so permuting the
    inputs permutes the outputs and nothing depends on list position. A negative total
    (a refund) splits like its absolute value, negated. ``total`` must already be rounded
    to its minor unit.

    Weights are given as a mapping of key to weight (the result is a dict), or as a
    sequence with ``keys=`` (the result is a list in the same order).

    >>> allocate(Money("10.00", "CNY"), {"line-a": 1, "line-b": 1, "line-c": 1})
    {'line-a': Money('3.34', 'CNY'), 'line-b': Money('3.33', 'CNY'), 'line-c': Money('3.33', 'CNY')}
    >>> allocate(Money("-5.00", "USD"), [Decimal("30"), Decimal("70")], keys=["a", "b"])
    [Money('-1.50', 'USD'), Money('-3.50', 'USD')]
    """
    key_list, values = _keys_and_values(weights, keys)
    units = total.minor_units
    split = split_units(abs(units), _weight_units(total, values), key_list)
    signed = [-u for u in split] if units < 0 else split
    return _shape(total, key_list, signed, isinstance(weights, Mapping))  # type: ignore[return-value]


def _cap_units(total: Money, keys: list[K], caps: Mapping[K, Money] | Sequence[Money]) -> list[int]:
    """The caps in minor units, in key order, checked."""
    if isinstance(caps, Mapping):
        missing = [k for k in keys if k not in caps]
        if missing:
            raise AllocationError(f"no cap given for {missing}")
        cap_list = [caps[k] for k in keys]
    else:
        cap_list = list(caps)
    if len(cap_list) != len(keys):
        raise AllocationError(f"{len(keys)} weights but {len(cap_list)} caps")
    units = []
    for cap in cap_list:
        if cap.currency != total.currency:
            raise CurrencyMismatch(total.currency, cap.currency, "cap an allocation of")
        if cap.amount < 0:
            raise AllocationError(f"caps must not be negative, got {cap}")
        units.append(cap.minor_units)
    return units


@overload
def allocate_capped(
    total: Money, weights: Mapping[K, Weight], caps: Mapping[K, Money]
) -> dict[K, Money]: ...
@overload
def allocate_capped(
    total: Money, weights: Sequence[Weight], caps: Sequence[Money], *, keys: Sequence[K]
) -> list[Money]: ...
def allocate_capped(
    total: Money,
    weights: Mapping[K, Weight] | Sequence[Weight],
    caps: Mapping[K, Money] | Sequence[Money],
    *,
    keys: Sequence[K] | None = None,
) -> dict[K, Money] | list[Money]:
    """Like :func:`allocate`, but no part's absolute value may exceed its cap.

    Typical use: spread an order-level discount over lines, capped at each line's own
    amount so no line goes negative. A part that would pass its cap is pinned to it and
    the rest is spread again over the others by weight. Caps are non-negative amounts
    in ``total``'s currency; if they cannot hold ``total`` (or only zero-weight parts
    have room left), :class:`~orderkit.errors.AllocationError` says so.

    >>> allocate_capped(
    ...     Money("30.00", "CNY"),
    ...     {"tea": 1, "cup": 1},
    ...     {"tea": Money("100.00", "CNY"), "cup": Money("5.00", "CNY")},
    ... )
    {'tea': Money('25.00', 'CNY'), 'cup': Money('5.00', 'CNY')}
    """
    key_list, values = _keys_and_values(weights, keys)
    cap_units = _cap_units(total, key_list, caps)
    weight_units = _weight_units(total, values)
    units = total.minor_units
    remaining = abs(units)
    if remaining > sum(cap_units):
        raise AllocationError(f"caps add up to less than {abs(total)}: nothing can hold the rest")
    parts = [0] * len(key_list)
    active = list(range(len(key_list)))
    while True:
        try:
            split = split_units(
                remaining, [weight_units[i] for i in active], [key_list[i] for i in active]
            )
        except AllocationError:
            raise AllocationError(
                f"{Money.from_minor(remaining, total.currency)} is left but only parts with "
                "zero weight have room under their caps"
            ) from None
        over = [i for i, share in zip(active, split, strict=True) if share > cap_units[i]]
        if not over:
            for i, share in zip(active, split, strict=True):
                parts[i] = share
            break
        for i in over:
            parts[i] = cap_units[i]
            remaining -= cap_units[i]
        active = [i for i in active if i not in over]
    signed = [-u for u in parts] if units < 0 else parts
    return _shape(total, key_list, signed, isinstance(weights, Mapping))  # type: ignore[return-value]
