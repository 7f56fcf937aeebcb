"""The default scorecard: the 17 dimensions of order health that MISSION H1 names or implies.

H1 names payment timeliness, drawing (specification) confirmation progress, supplier
kitting rate and the production schedule conflict index of a made-to-order manufacturer;
the rest cover what any made-to-order or e-commerce order needs on its way to the
customer. Each dimension's ``description`` says what the signal is, its unit and how it
is normalised. Hosts copy and adjust it as data: ``DEFAULT_SCORECARD.model_dump()``.
"""

from __future__ import annotations

from orderkit.health._scorecard import Scorecard

__all__ = ["DEFAULT_SCORECARD"]


def _linear(worst: float, best: float) -> dict[str, object]:
    return {"kind": "linear", "worst": worst, "best": best}


def _lateness(decay_hours: float, grace_hours: float = 0) -> dict[str, object]:
    return {"kind": "lateness", "grace_hours": grace_hours, "decay_hours": decay_hours}


def _steps(*steps: tuple[float, float]) -> dict[str, object]:
    return {"kind": "step", "steps": [{"at": at, "value": value} for at, value in steps]}


_BOOLEAN = {"kind": "boolean"}

DEFAULT_SCORECARD = Scorecard.load(
    {
        "name": "default",
        "version": "1",
        "missing": "renormalise",
        "bands": [
            {"name": "healthy", "min_score": 80},
            {"name": "watch", "min_score": 65},
            {"name": "at_risk", "min_score": 0},
        ],
        "dimensions": [
            {
                "name": "payment_timeliness",
                "weight": 12,
                "normaliser": _lateness(72),
                "caps": [
                    {
                        "op": ">",
                        "value": 72,
                        "max_score": 40,
                        "reason": "payment overdue more than 3 days",
                    }
                ],
                "description": "Payment against the order's terms (付款时效): the payment due "
                "datetime, or hours overdue (negative before it is due; once paid, how late "
                "the payment was). Full marks until due, then down to 0 at 72 hours overdue; "
                "more than 72 hours overdue caps the score at 40.",
            },
            {
                "name": "drawing_confirmation",
                "weight": 9,
                "normaliser": _linear(0, 1),
                "description": "Drawings and specifications the customer has confirmed "
                "(图纸确认进度), as a fraction of those the order needs. Linear from 0 "
                "(none confirmed) to 1 (all confirmed).",
            },
            {
                "name": "supplier_kitting_rate",
                "weight": 9,
                "normaliser": _linear(0.6, 1),
                "description": "Share of the bill of materials whose supplied parts have "
                "arrived complete (来料齐套率), a fraction. 0 at 0.6 or less, rising "
                "linearly to 1 when fully kitted.",
            },
            {
                "name": "schedule_conflicts",
                "weight": 7,
                "normaliser": _steps((0, 1), (1, 0.6), (2, 0.3), (4, 0)),
                "description": "Production schedule conflict index (排程冲突指数): the "
                "number of the order's scheduled operations that clash with another order, "
                "a machine outage or an unstaffed shift. Steps: none 1, one 0.6, two or "
                "three 0.3, four or more 0.",
            },
            {
                "name": "stock_coverage",
                "weight": 8,
                "normaliser": _linear(0.5, 1),
                "description": "Share of the order's units covered by on-hand or reserved "
                "stock, a fraction. 0 at half covered or less, rising linearly to 1 when "
                "fully covered.",
            },
            {
                "name": "ship_by_slack",
                "weight": 7,
                "normaliser": _linear(0, 24),
                "description": "Hours to the promised ship-by time minus the estimated "
                "hours of work left (negative: the promise is already out of reach). 0 at "
                "no slack or less, rising linearly to 1 at 24 hours of slack.",
            },
            {
                "name": "production_progress",
                "weight": 6,
                "normaliser": _linear(0.7, 1),
                "description": "Operations completed over those the plan expects done by "
                "now, a ratio (1 on plan, above 1 ahead). 0 at 0.7 or less, rising linearly "
                "to 1 when on plan.",
            },
            {
                "name": "qc_pass_rate",
                "weight": 6,
                "normaliser": _linear(0.9, 1),
                "description": "Share of the order's inspected units or lots that passed "
                "quality control so far, a fraction. 0 at 0.9 or less, rising linearly to "
                "1 when all pass.",
            },
            {
                "name": "supplier_po_lateness",
                "weight": 5,
                "normaliser": _lateness(120),
                "description": "The latest open purchase order for the order's materials: "
                "the supplier's promised arrival datetime, or hours past it. Full marks "
                "until due, then down to 0 at 120 hours (5 days) late.",
            },
            {
                "name": "carrier_delay",
                "weight": 5,
                "normaliser": _lateness(46, grace_hours=2),
                "description": "Hours the carrier's current delivery estimate is behind "
                "the promised delivery (0 or negative: on time). Full marks up to 2 hours "
                "late (the H3 tolerance), then down to 0 at 48 hours.",
            },
            {
                "name": "cross_check_clean",
                "weight": 5,
                "normaliser": _BOOLEAN,
                "description": "Whether the four-way cross-check (H9: order, warehouse "
                "stock snapshot, payment callback, courier waybill) found no conflict, a "
                "bool. True 1, false 0.",
            },
            {
                "name": "address_valid",
                "weight": 4,
                "normaliser": _BOOLEAN,
                "description": "Whether the shipping address passed validation (parsed "
                "down to the district and deliverable by the chosen carrier), a bool. "
                "True 1, false 0.",
            },
            {
                "name": "customer_response_latency",
                "weight": 4,
                "normaliser": _lateness(72, grace_hours=24),
                "description": "Hours the customer has left our latest question (a "
                "drawing query, a delivery date, a payment reminder) unanswered; 0 when "
                "nothing is pending. Full marks for 24 hours, then down to 0 at 96 hours.",
            },
            {
                "name": "credit_utilisation",
                "weight": 4,
                "normaliser": _linear(1, 0.7),
                "description": "The customer's receivables including this order over "
                "their credit limit, a fraction (above 1: over the limit). 1 at 0.7 or "
                "less, falling linearly to 0 at the limit.",
            },
            {
                "name": "approval_wait",
                "weight": 3,
                "normaliser": _lateness(20, grace_hours=4),
                "description": "Hours the order has waited for internal approval (the L11 "
                "dual sign-off), or the datetime it entered approval; 0 when approved at "
                "once. Full marks for 4 hours, then down to 0 at 24 hours.",
            },
            {
                "name": "change_requests",
                "weight": 3,
                "normaliser": _steps((0, 1), (1, 0.8), (2, 0.5), (4, 0)),
                "description": "Changes the customer asked for after confirmation "
                "(specification, quantity, delivery date), a count. Steps: none 1, one "
                "0.8, two or three 0.5, four or more 0.",
            },
            {
                "name": "warehouse_load",
                "weight": 3,
                "normaliser": _linear(1.2, 0.8),
                "description": "The fulfilling warehouse's open pick lines over its daily "
                "picking capacity, a fraction (the load H6 adjusts promises by). 1 at 0.8 "
                "or less, falling linearly to 0 at 1.2.",
            },
        ],
    }
)
"""The 17-dimension scorecard of MISSION H1; weights are percentages summing to 100.

Missing signals are renormalised: a stocked e-commerce order has no drawings to confirm
and no production schedule, and its score rests on the dimensions that apply. Bands:
healthy from 80, watch from 65, at risk below 65 (the H1 alert line).

>>> len(DEFAULT_SCORECARD.dimensions), sum(DEFAULT_SCORECARD.weights.values())
(17, 1.0)
"""
