"""Discounts: rules as data, precedence layers, exact per-line quotes (MISSION D1-D6).

A :class:`RuleSet` (loaded from a dict, JSON or YAML) holds the rules, the ordered
precedence layers and their conflicts; :func:`price` turns a :class:`Cart` into a
:class:`Quote` whose per-line shares are exact and whose :class:`AuditLog` says, for
every rule, what happened and why. :func:`refund` gives back what returned units paid.

.. versionadded:: 0.1
"""

from orderkit.discounts._audit import AuditEntry, AuditLog
from orderkit.discounts._cart import Cart, CartLine
from orderkit.discounts._engine import price
from orderkit.discounts._presale import Presale, PresaleBalance, presale_balance
from orderkit.discounts._quote import AppliedDiscount, LineQuote, Quote, ShippingQuote
from orderkit.discounts._refund import Clawback, Refund, RefundLine, refund
from orderkit.discounts._rule_base import Target
from orderkit.discounts._rules import (
    AmountOffRule,
    BuyXGetYRule,
    CouponRule,
    EveryRule,
    FixedPriceRule,
    GiftRule,
    MemberTierRule,
    PercentageRule,
    RedPacketRule,
    Rule,
    ShippingRule,
    ThresholdRule,
    Tier,
    TieredRule,
)
from orderkit.discounts._ruleset import DEFAULT_LAYERS, Layer, RuleSet
from orderkit.discounts._scope import Gift
from orderkit.discounts._vat import VatBreakdown, VatInput, VatLine, VatTemplate, vat_breakdown

__all__ = [
    "AmountOffRule",
    "AppliedDiscount",
    "AuditEntry",
    "AuditLog",
    "BuyXGetYRule",
    "Cart",
    "CartLine",
    "Clawback",
    "CouponRule",
    "DEFAULT_LAYERS",
    "EveryRule",
    "FixedPriceRule",
    "Gift",
    "GiftRule",
    "Layer",
    "LineQuote",
    "MemberTierRule",
    "PercentageRule",
    "Presale",
    "PresaleBalance",
    "Quote",
    "RedPacketRule",
    "Refund",
    "RefundLine",
    "Rule",
    "RuleSet",
    "ShippingQuote",
    "ShippingRule",
    "Target",
    "ThresholdRule",
    "Tier",
    "TieredRule",
    "VatBreakdown",
    "VatInput",
    "VatLine",
    "VatTemplate",
    "presale_balance",
    "price",
    "refund",
    "vat_breakdown",
]
