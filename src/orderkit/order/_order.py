from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from orderkit.clock import UtcDateTime
from orderkit.money import Money, minor_unit
from orderkit.order._parts import (
    Address,
    ChannelRef,
    Customer,
    OrderLine,
    Payment,
    Shipment,
    _Frozen,
)
from orderkit.order._types import Amount, NonEmptyStr

__all__ = ["Order", "order_json_schema"]


def _currency_code(code: str) -> str:
    minor_unit(code)
    return code.strip().upper()


class Order(_Frozen):
    """The canonical order every channel payload is mapped to.

    Frozen and validated: one currency for every amount, timezone-aware times (kept in
    UTC), positive quantities, unique line ids, shipments that only ship lines of the
    order and never more than was ordered. Totals are derived, never stored.

    >>> from datetime import datetime, UTC
    >>> order = Order(
    ...     order_id="SO-1001",
    ...     channel=ChannelRef(channel="shopify", external_id="450789469"),
    ...     created_at=datetime(2026, 11, 11, 0, 0, tzinfo=UTC),
    ...     currency="USD",
    ...     lines=[OrderLine(line_id="1", sku="IPOD-8GB", quantity=2,
    ...                      unit_price=Money("199.00", "USD"))],
    ...     shipping_fee=Money("10.00", "USD"),
    ... )
    >>> order.total
    Money('408.00', 'USD')
    >>> Order.model_validate_json(order.model_dump_json()) == order
    True
    """

    order_id: NonEmptyStr
    channel: ChannelRef
    created_at: UtcDateTime
    currency: Annotated[
        str,
        AfterValidator(_currency_code),
        WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["CNY"]}),
    ]
    customer: Customer = Customer()
    shipping_address: Address | None = None
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    shipping_fee: Amount | None = None
    payments: tuple[Payment, ...] = ()
    shipments: tuple[Shipment, ...] = ()
    is_test: bool = False
    note: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Order:
        if self._plainly_valid():
            return self
        if problems := self._problems():
            raise ValueError("; ".join(problems))
        return self

    def _plainly_valid(self) -> bool:
        """The common case, cheaply: no shipments, unique line ids, one currency.

        A line's discount and tax are already in its unit price's currency.
        """
        currency, lines = self.currency, self.lines
        return (
            not self.shipments
            and len({line.line_id for line in lines}) == len(lines)
            and all(line.unit_price.currency == currency for line in lines)
            and all(payment.amount.currency == currency for payment in self.payments)
            and (self.shipping_fee is None or self.shipping_fee.currency == currency)
        )

    def _problems(self) -> list[str]:
        problems = [
            f"{where} is in {money.currency}, not the order currency {self.currency}"
            for where, money in self._amounts()
            if money.currency != self.currency
        ]
        ids = Counter(line.line_id for line in self.lines)
        problems += [f"line id {i!r} appears {n} times" for i, n in ids.items() if n > 1]
        shipped: Counter[str] = Counter()
        for shipment in self.shipments:
            for package in shipment.packages:
                for item in package.items:
                    shipped[item.line_id] += item.quantity
        for line_id, quantity in shipped.items():
            if line_id not in ids:
                problems.append(f"shipment names unknown line id {line_id!r}")
            elif quantity > (ordered := self.line(line_id).quantity):
                problems.append(f"line {line_id!r} ships {quantity} but only {ordered} ordered")
        return problems

    def _amounts(self) -> Iterator[tuple[str, Money]]:
        for i, line in enumerate(self.lines):
            yield f"lines[{i}].unit_price", line.unit_price
            if line.discount is not None:
                yield f"lines[{i}].discount", line.discount
            if line.tax is not None:
                yield f"lines[{i}].tax", line.tax
        for i, payment in enumerate(self.payments):
            yield f"payments[{i}].amount", payment.amount
        if self.shipping_fee is not None:
            yield "shipping_fee", self.shipping_fee

    def line(self, line_id: str) -> OrderLine:
        """The line with ``line_id``; ``KeyError`` if there is none."""
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)

    def _sum(self, amounts: Iterator[Money | None]) -> Money:
        return sum((a for a in amounts if a is not None), Money.zero(self.currency))

    @property
    def subtotal(self) -> Money:
        """Sum of line subtotals (before discounts and tax)."""
        return self._sum(line.subtotal for line in self.lines)

    @property
    def discount_total(self) -> Money:
        """Sum of line discounts."""
        return self._sum(line.discount for line in self.lines)

    @property
    def tax_total(self) -> Money:
        """Sum of line taxes."""
        return self._sum(line.tax for line in self.lines)

    @property
    def total(self) -> Money:
        """What the buyer owes: line totals plus the shipping fee."""
        return self._sum(line.total for line in self.lines) + (
            self.shipping_fee or Money.zero(self.currency)
        )

    @property
    def paid_total(self) -> Money:
        """Sum of captured payments."""
        return self._sum(payment.amount for payment in self.payments)

    @property
    def balance_due(self) -> Money:
        """``total - paid_total``; negative when the buyer overpaid."""
        return self.total - self.paid_total


def order_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Order` as it travels in JSON, for adapter authors.

    The same document is published as ``docs/schema/order.schema.json``.
    """
    return Order.model_json_schema(mode="serialization")
