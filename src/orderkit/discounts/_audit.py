"""The audit log of a quote (MISSION D3): every rule considered, in order, and why.

Each :class:`AuditEntry` says whether its rule applied, did not match or was dropped,
the reason as a code with the values that decided it, the amount proposed and the
amount applied, and which lines received a rounding remainder. The log renders as
plain text (``str``), as HTML in notebooks (``_repr_html_``) and as JSON-ready data.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Literal

import attrs

from orderkit.money import Money

__all__ = ["AuditEntry", "AuditLog", "Status"]

Status = Literal["applied", "not_matched", "dropped"]

_REASONS = {
    "matched": "matched",
    "not_started": "window opens {starts_at}, quote is at {at}",
    "ended": "window closed {ends_at}, quote is at {at}",
    "member_tier": "member tier {tier} is not one of {tiers}",
    "channel": "channel {channel} is not one of {channels}",
    "customer": "customer {customer} is not eligible",
    "used_up": "used {uses} of {max_uses} times",
    "used_up_by_customer": "used {uses} of {max_uses_per_customer} times by this customer",
    "code_missing": "code {code} was not presented",
    "no_lines": "no line in the cart is targeted",
    "nothing_left": "nothing is left to pay on the targeted lines",
    "rounds_to_zero": "the discount rounds to zero",
    "below_threshold": "{base_name} {base} < threshold {threshold}: {short} short",
    "too_few_units": "{units} targeted units, {needed} needed",
    "at_or_under_price": "every targeted unit already costs {price} or less",
    "no_shipping_fee": "no shipping fee is left to discount",
    "conflict": "conflicts with {other}, applied in layer {other_layer}",
    "exclusive": "exclusive: cannot combine with {other}, applied in layer {other_layer}",
    "not_best": "layer {layer} keeps the best single rule: {other}, worth {other_amount}",
    "not_first": "layer {layer} keeps the first match by priority: {other}",
}

_NOTES = {
    "reduced_from": "reduced from {value}: only what was left on the targeted lines",
    "capped_from": "capped by max_discount from {value}",
}


def _show(value: object) -> str:
    if isinstance(value, frozenset | set):
        return "[" + ", ".join(sorted(map(str, value))) + "]"
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None:
        return "none"
    if isinstance(value, Money):
        return str(value.amount)
    return str(value)


@attrs.frozen
class AuditEntry:
    """What happened to one rule in one quote."""

    layer: str
    rule_id: str
    kind: str
    status: Status
    reason: str
    """A code: ``matched``, ``below_threshold``, ``conflict``, ``not_best`` ..."""
    facts: tuple[tuple[str, object], ...] = ()
    """The values behind the reason (amounts as :class:`~orderkit.money.Money`)."""
    proposed: Money | None = None
    applied: Money | None = None
    remainder_to: tuple[str, ...] = ()
    """Line ids that received one minor unit more than their exact share's floor."""

    @property
    def message(self) -> str:
        """The reason in words, with its values."""
        values = {name: _show(value) for name, value in self.facts}
        text = _REASONS[self.reason].format_map(_Missing(values))
        if self.reason == "matched":
            shown = [f"{name} {value}" for name, value in values.items() if name not in _NOTES]
            text = ": ".join([text, ", ".join(shown)]) if shown else text
        notes = [
            _NOTES[name].format(value=_show(value)) for name, value in self.facts if name in _NOTES
        ]
        return "; ".join([text, *notes])

    def to_dict(self) -> dict[str, object]:
        """JSON-ready data: amounts as decimal strings, sets sorted."""
        return {
            "layer": self.layer,
            "rule_id": self.rule_id,
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "facts": {name: _show(value) for name, value in self.facts},
            "proposed": None if self.proposed is None else f"{self.proposed.amount}",
            "applied": None if self.applied is None else f"{self.applied.amount}",
            "remainder_to": list(self.remainder_to),
        }

    def __str__(self) -> str:
        amounts = ""
        if self.proposed is not None:
            amounts = f"; proposed {self.proposed.amount}"
            if self.applied is not None:
                amounts += f", applied {self.applied.amount}"
        tail = f" (remainder to {', '.join(self.remainder_to)})" if self.remainder_to else ""
        return f"[{self.layer}] {self.rule_id}: {self.status} - {self.message}{amounts}{tail}"


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


class AuditLog:
    """The entries of one quote, in evaluation order: by layer, then priority, then id.

    :func:`~orderkit.discounts.price` records what it decided and the log builds its
    entries from that record the first time they are read, so pricing a cart whose log
    nobody reads does not pay for the explanation. The entries are the same either way.
    """

    __slots__ = ("_build", "_entries")

    def __init__(
        self,
        entries: Iterable[AuditEntry] = (),
        *,
        build: Callable[[], tuple[AuditEntry, ...]] | None = None,
    ) -> None:
        self._entries: tuple[AuditEntry, ...] | None = None if build else tuple(entries)
        self._build = build

    @property
    def entries(self) -> tuple[AuditEntry, ...]:
        """Every entry, in evaluation order."""
        if self._entries is None:
            assert self._build is not None
            self._entries = self._build()
            self._build = None
        return self._entries

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AuditLog):
            return NotImplemented
        return self.entries == other.entries

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"AuditLog({self.entries!r})"

    def __iter__(self) -> Iterator[AuditEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, rule_id: str) -> AuditEntry:
        """The entry of one rule; ``KeyError`` if the rule was not considered."""
        for entry in self.entries:
            if entry.rule_id == rule_id:
                return entry
        raise KeyError(rule_id)

    def to_list(self) -> list[dict[str, object]]:
        """JSON-ready data, one dict per entry."""
        return [entry.to_dict() for entry in self.entries]

    def __str__(self) -> str:
        return "\n".join(map(str, self.entries))

    def _repr_html_(self) -> str:
        head = "".join(
            f"<th>{name}</th>"
            for name in ("layer", "rule", "status", "why", "proposed", "applied", "remainder")
        )
        rows = []
        for e in self.entries:
            cells = (
                e.layer,
                e.rule_id,
                e.status,
                e.message,
                "" if e.proposed is None else str(e.proposed.amount),
                "" if e.applied is None else str(e.applied.amount),
                ", ".join(e.remainder_to),
            )
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
