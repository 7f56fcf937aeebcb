"""What a quote is priced from: the cart lines and who is buying, where and when."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orderkit.clock import UtcDateTime
from orderkit.money import Money
from orderkit.order import Amount, NonEmptyStr, Order, Quantity

__all__ = ["Cart", "CartLine"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CartLine(_Frozen):
    """One line to price: a SKU, its categories, a quantity and a unit price.

    ``channel`` overrides the cart's channel for this line (a merged multi-channel
    basket); rules that target channels test it.
    """

    line_id: NonEmptyStr
    sku: NonEmptyStr
    quantity: Quantity
    unit_price: Amount
    categories: frozenset[str] = frozenset()
    channel: str | None = None
    title: str = ""

    @property
    def subtotal(self) -> Money:
        """Unit price times quantity."""
        return self.unit_price * self.quantity


class Cart(_Frozen):
    """The input of :func:`~orderkit.discounts.price`: lines, buyer, channel, time, codes.

    ``at`` is the moment the quote is for (rules' date windows are tested against it).
    ``codes`` are the coupon and red-packet codes the buyer presented. ``rule_uses`` and
    ``customer_rule_uses`` are how often each rule has been used so far, overall and by
    this customer: the host keeps those counts, so pricing stays a pure function.

    >>> from datetime import datetime, UTC
    >>> cart = Cart(
    ...     currency="CNY",
    ...     at=datetime(2026, 11, 11, tzinfo=UTC),
    ...     lines=[CartLine(line_id="1", sku="TEA", quantity=2, unit_price=Money("50.00", "CNY"))],
    ... )
    >>> cart.subtotal
    Money('100.00', 'CNY')
    """

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    at: UtcDateTime
    lines: tuple[CartLine, ...] = Field(min_length=1)
    channel: str | None = None
    customer_id: str | None = None
    member_tier: str | None = None
    codes: frozenset[str] = frozenset()
    shipping_fee: Amount | None = None
    rule_uses: dict[str, int] = Field(default_factory=dict)
    customer_rule_uses: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Cart:
        seen: set[str] = set()
        for line in self.lines:
            if line.line_id in seen:
                raise ValueError(f"line_id {line.line_id!r} appears twice: line ids key the quote")
            seen.add(line.line_id)
            if line.unit_price.currency != self.currency:
                raise ValueError(
                    f"line {line.line_id!r} is priced in {line.unit_price.currency}, "
                    f"the cart in {self.currency}"
                )
        if self.shipping_fee is not None and self.shipping_fee.currency != self.currency:
            raise ValueError(
                f"shipping_fee is in {self.shipping_fee.currency}, the cart in {self.currency}"
            )
        return self

    @property
    def subtotal(self) -> Money:
        """The sum of the line subtotals, before any discount."""
        return sum((line.subtotal for line in self.lines), Money.zero(self.currency))

    @classmethod
    def from_order(
        cls,
        order: Order,
        *,
        at: datetime | None = None,
        codes: Iterable[str] = (),
        categories: dict[str, frozenset[str]] | None = None,
    ) -> Cart:
        """A cart from a canonical order: its lines (gift lines left out), channel and buyer.

        ``at`` defaults to the order's creation time; ``categories`` maps SKUs to their
        categories, which the canonical order does not carry.
        """
        by_sku = categories or {}
        return cls(
            currency=order.currency,
            at=at or order.created_at,
            lines=tuple(
                CartLine(
                    line_id=line.line_id,
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    categories=by_sku.get(line.sku, frozenset()),
                    title=line.title,
                )
                for line in order.lines
                if not line.is_gift
            ),
            channel=order.channel.channel,
            customer_id=order.customer.customer_id,
            member_tier=order.customer.tier,
            codes=frozenset(codes),
            shipping_fee=order.shipping_fee,
        )
