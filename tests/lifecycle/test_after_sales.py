"""The after-sales lifecycle, return reasons and weekly spike alerts (MISSION L3, L4)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderkit.errors import ConfigError, InvalidTransition, NaiveDatetime, TransitionRefused
from orderkit.lifecycle import (
    AFTER_SALES_FLOW,
    AfterSalesEvent,
    AfterSalesState,
    ReasonSpike,
    ReturnReason,
    ReturnReasonCatalog,
    SpikePolicy,
    TransitionRecord,
    after_sales_flow,
    weekly_spikes,
)
from orderkit.money import Money

T0 = datetime(2026, 2, 18, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, tzinfo=UTC)
WEEK = timedelta(days=7)
E, S = AfterSalesEvent, AfterSalesState
QC: dict[str, Any] = {"qc_result": "passed", "reason_code": ReturnReason.FABRIC_DEFECT}


@dataclass
class Ticket:
    return_id: str = "RMA-1"
    state: str = "pending_review"
    version: int = 0


def _walk(ticket: Ticket, *steps: tuple[AfterSalesEvent, dict[str, Any]]) -> list[TransitionRecord]:
    return [
        AFTER_SALES_FLOW.fire(ticket, event, actor="tester", at=T0 + timedelta(hours=i), **context)
        for i, (event, context) in enumerate(steps)
    ]


def _effects(records: list[TransitionRecord]) -> list[tuple[str, dict[str, Any]]]:
    return [(e.kind, dict(e.data)) for r in records for e in r.effects]


def test_reshipment_path_closes_after_finance_approval() -> None:
    """L3: QC by the warehouse, reshipment through the WMS, finance approval closes it."""
    ticket = Ticket()
    records = _walk(
        ticket,
        (E.RECORD_QC, QC),
        (E.CREATE_RESHIPMENT, {"outbound_id": "WMS-OUT-88"}),
        (E.APPROVE, {"approval_id": "DING-5"}),
    )
    assert ticket.state == S.CLOSED
    assert ticket.version == 3
    assert [(r.from_state, r.to_state) for r in records] == [
        ("pending_review", "pending_handling"),
        ("pending_handling", "reshipped"),
        ("reshipped", "closed"),
    ]
    assert _effects(records) == [
        (
            "return.qc_recorded",
            {"subject_id": "RMA-1", "qc_result": "passed", "reason_code": "fabric_defect"},
        ),
        ("wms.outbound", {"subject_id": "RMA-1", "outbound_id": "WMS-OUT-88"}),
        (
            "customer.notify",
            {"subject_id": "RMA-1", "template": "reshipped", "outbound_id": "WMS-OUT-88"},
        ),
        ("finance.refund", {"subject_id": "RMA-1", "approval_id": "DING-5"}),
    ]
    assert AFTER_SALES_FLOW.replay(records).ok


def test_refund_path_asks_finance_for_the_exact_amount() -> None:
    """L3: a refund carries its amount as exact text and closes on the approval callback."""
    ticket = Ticket()
    records = _walk(
        ticket,
        (E.RECORD_QC, {"qc_result": "failed", "reason_code": "size_deviation"}),
        (E.REFUND, {"amount": Money("199.00", "CNY")}),
        (E.APPROVE, {"approval_id": "DING-6"}),
    )
    assert ticket.state == S.CLOSED
    assert records[1].to_state == "refunded"
    assert _effects(records)[1] == (
        "finance.refund_request",
        {"subject_id": "RMA-1", "amount": "199.00", "currency": "CNY"},
    )


@pytest.mark.parametrize("start", [S.PENDING_REVIEW, S.PENDING_HANDLING])
def test_reject_needs_a_reason_and_notifies_the_customer(start: AfterSalesState) -> None:
    """L3: customer service rejects before or after QC, always saying why."""
    ticket = Ticket(state=start)
    with pytest.raises(TransitionRefused, match="reject needs a reason"):
        AFTER_SALES_FLOW.fire(ticket, E.REJECT, actor="cs-lin", reason="  ", at=T0)
    record = AFTER_SALES_FLOW.fire(ticket, E.REJECT, actor="cs-lin", reason="worn", at=T0)
    assert ticket.state == S.REJECTED
    assert record.reason == "worn"
    assert [e.data.get("template") for e in record.effects] == ["return_rejected"]


@pytest.mark.parametrize(
    ("state", "event", "context", "message"),
    [
        (S.PENDING_REVIEW, E.RECORD_QC, {"qc_result": "passed"}, r"needs reason_code=\.\.\."),
        (S.PENDING_REVIEW, E.RECORD_QC, {"reason_code": "other"}, r"needs qc_result=\.\.\."),
        (
            S.PENDING_REVIEW,
            E.RECORD_QC,
            {"qc_result": "ok", "reason_code": "other"},
            "qc_result='passed' or 'failed', got 'ok'",
        ),
        (
            S.PENDING_REVIEW,
            E.RECORD_QC,
            {"qc_result": "passed", "reason_code": "pilling"},
            "unknown reason_code 'pilling': use one of changed_mind, color_difference",
        ),
        (
            S.PENDING_REVIEW,
            E.RECORD_QC,
            {"qc_result": "passed", "reason_code": ["other"]},
            r"unknown reason_code \['other'\]",
        ),
        (S.PENDING_HANDLING, E.CREATE_RESHIPMENT, {}, r"needs outbound_id=\.\.\."),
        (S.PENDING_HANDLING, E.REFUND, {}, "amount=Money.* got None"),
        (S.PENDING_HANDLING, E.REFUND, {"amount": "199.00"}, "got '199.00'"),
        (S.PENDING_HANDLING, E.REFUND, {"amount": Money.zero("CNY")}, "above zero"),
        (S.PENDING_HANDLING, E.REFUND, {"amount": Money("1.005", "CNY")}, "rounded"),
        (S.RESHIPPED, E.APPROVE, {"approval_id": ""}, r"needs approval_id=\.\.\."),
        (S.REFUNDED, E.APPROVE, {}, r"needs approval_id=\.\.\."),
    ],
)
def test_refusals_say_what_is_missing(
    state: AfterSalesState, event: AfterSalesEvent, context: dict[str, Any], message: str
) -> None:
    """L3: a guard refuses with a reason and the ticket stays where it was."""
    ticket = Ticket(state=state)
    with pytest.raises(TransitionRefused, match=message) as caught:
        AFTER_SALES_FLOW.fire(ticket, event, actor="tester", at=T0, **context)
    assert caught.value.state == state
    assert (ticket.state, ticket.version) == (state, 0)


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (S.PENDING_REVIEW, E.APPROVE),
        (S.PENDING_REVIEW, E.CREATE_RESHIPMENT),
        (S.RESHIPPED, E.REFUND),
        (S.CLOSED, E.REJECT),
        (S.REJECTED, E.RECORD_QC),
    ],
)
def test_steps_cannot_be_skipped(state: AfterSalesState, event: AfterSalesEvent) -> None:
    """L3: finance cannot close a return that was never handled; terminal states stay put."""
    with pytest.raises(InvalidTransition):
        AFTER_SALES_FLOW.fire(Ticket(state=state), event, actor="tester", at=T0, approval_id="A")


def test_every_step_and_state_names_its_role() -> None:
    """L3: each event has a responsible role, and so does each open state."""
    roles = {row["event"]: row["role"] for row in AFTER_SALES_FLOW.table()}
    assert roles == {
        "record_qc": "warehouse",
        "reject": "customer_service",
        "create_reshipment": "customer_service",
        "refund": "customer_service",
        "approve": "finance",
    }
    assert AFTER_SALES_FLOW.roles == {
        S.PENDING_REVIEW: "customer_service",
        S.PENDING_HANDLING: "customer_service",
        S.RESHIPPED: "finance",
        S.REFUNDED: "finance",
    }
    assert set(AFTER_SALES_FLOW.roles) | AFTER_SALES_FLOW.terminal == set(S)
    assert AFTER_SALES_FLOW.id_field == "return_id"


def test_docs_diagram_is_the_generated_one() -> None:
    """L3: the page's Mermaid diagram is what the flow draws of itself."""
    page = (Path(__file__).parents[2] / "docs" / "after-sales.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{AFTER_SALES_FLOW.to_mermaid()}```" in page


def test_allowed_events_follow_the_guards() -> None:
    """L3: what a role may do next depends on the data it holds."""
    handling = Ticket(state=S.PENDING_HANDLING)
    assert AFTER_SALES_FLOW.allowed_events(handling, at=T0, outbound_id="W1") == [
        E.CREATE_RESHIPMENT
    ]
    assert AFTER_SALES_FLOW.allowed_events(handling, at=T0, reason="worn") == [E.REJECT]


def test_standard_catalog_holds_the_twelve_codes() -> None:
    """L4: 12 standard codes, including fabric defect, size deviation and transit damage."""
    catalog = ReturnReasonCatalog()
    assert len(ReturnReason) == 12
    assert set(catalog.labels) == set(ReturnReason)
    assert {"fabric_defect", "size_deviation", "transit_damage"} <= set(catalog.labels)
    assert all(label.strip() for label in catalog.labels.values())
    assert ReturnReasonCatalog.model_validate_json(catalog.model_dump_json()) == catalog


def test_hosts_extend_the_catalog_without_touching_the_standard_one() -> None:
    """L4: a host adds its own codes to a new catalog and builds its flow on it."""
    catalog = ReturnReasonCatalog().extend({"fabric_pilling": "Pilling after washing"})
    flow = after_sales_flow(catalog)
    ticket = Ticket()
    pilling: dict[str, Any] = {"qc_result": "passed", "reason_code": "fabric_pilling"}
    flow.fire(ticket, E.RECORD_QC, actor="scanner", at=T0, **pilling)
    assert ticket.state == S.PENDING_HANDLING
    assert "fabric_pilling" not in ReturnReasonCatalog()
    with pytest.raises(TransitionRefused, match="unknown reason_code 'fabric_pilling'"):
        AFTER_SALES_FLOW.fire(Ticket(), E.RECORD_QC, actor="scanner", at=T0, **pilling)


def test_catalog_refuses_redefinitions_bad_codes_and_mutation() -> None:
    """L4: codes are stable identifiers; a catalog is a value."""
    catalog = ReturnReasonCatalog()
    with pytest.raises(ConfigError, match="already defined: fabric_defect"):
        catalog.extend({"fabric_defect": "Fabric"})
    with pytest.raises(ValidationError):
        catalog.extend({"Fabric Pilling": "Pilling"})
    with pytest.raises(ValidationError):
        catalog.extend({"pilling": " "})
    with pytest.raises(ValidationError):
        catalog.labels = {}  # type: ignore[misc]


def _returns(*counts: tuple[str, int, int]) -> list[tuple[str, datetime]]:
    """``counts`` of (reason, previous week, current week), spread inside each window."""
    out = []
    for reason, previous, current in counts:
        out += [(reason, NOW - 2 * WEEK + timedelta(hours=i)) for i in range(previous)]
        out += [(reason, NOW - WEEK + timedelta(hours=i)) for i in range(current)]
    return out


def test_exactly_fifteen_percent_is_not_a_spike_just_over_is() -> None:
    """L4: the alert fires on a rise of more than 15 % week over week."""
    assert weekly_spikes(_returns(("fabric_defect", 20, 23)), now=NOW) == []
    assert weekly_spikes(_returns(("fabric_defect", 100, 116)), now=NOW) == [
        ReasonSpike("fabric_defect", 100, 116)
    ]
    assert weekly_spikes(_returns(("fabric_defect", 20, 24)), now=NOW)[0].change == Decimal("0.2")


def test_rise_from_zero_needs_min_count() -> None:
    """L4: a reason with no returns last week is a spike from ``min_count`` returns on."""
    assert weekly_spikes(_returns(("wrong_item", 0, 4)), now=NOW) == []
    [spike] = weekly_spikes(_returns(("wrong_item", 0, 5)), now=NOW)
    assert (spike.previous, spike.current, spike.change) == (0, 5, None)
    assert weekly_spikes(_returns(("wrong_item", 0, 2)), now=NOW, policy=SpikePolicy(min_count=2))


def test_window_starts_are_inclusive_and_ends_exclusive() -> None:
    """L4: current = [now - 7 d, now), previous = [now - 14 d, now - 7 d)."""
    tick = timedelta(microseconds=1)
    at = [NOW - WEEK, NOW - tick, NOW, NOW - 2 * WEEK, NOW - WEEK - tick, NOW - 2 * WEEK - tick]
    policy = SpikePolicy(min_count=1, threshold=Decimal(0))
    assert weekly_spikes([("other", t) for t in at], now=NOW, policy=policy) == []
    [spike] = weekly_spikes([("other", t) for t in [*at, NOW - tick]], now=NOW, policy=policy)
    assert (spike.previous, spike.current) == (2, 3)


def test_policy_is_configurable_data() -> None:
    """L4: threshold, minimum and window are policy, with the seed's figures as defaults."""
    policy = SpikePolicy()
    assert (policy.threshold, policy.min_count, policy.window) == (Decimal("0.15"), 5, WEEK)
    day = SpikePolicy(window=timedelta(days=1), threshold=Decimal("0.5"))
    returns = [("late_delivery", NOW - timedelta(hours=30))] * 2 + [
        ("late_delivery", NOW - timedelta(hours=3))
    ] * 4
    assert weekly_spikes(returns, now=NOW, policy=day) == [ReasonSpike("late_delivery", 2, 4)]
    assert SpikePolicy.model_validate({"threshold": "0.3", "window": "P14D"}).window == 2 * WEEK
    for bad in ({"threshold": "-0.1"}, {"min_count": 0}, {"window": "PT0S"}, {"limit": 1}):
        with pytest.raises(ValidationError):
            SpikePolicy.model_validate(bad)


def test_spikes_come_largest_rise_first_then_by_code() -> None:
    """L4: the alert list is deterministic."""
    returns = _returns(("wrong_item", 0, 6), ("size_deviation", 10, 20), ("color_difference", 0, 6))
    assert [s.reason for s in weekly_spikes(returns, now=NOW)] == [
        "size_deviation",
        "color_difference",
        "wrong_item",
    ]


def test_naive_times_are_refused_and_zones_are_respected() -> None:
    """L4: time is an aware parameter; 08:00 at +08:00 is midnight UTC."""
    with pytest.raises(NaiveDatetime, match="now"):
        weekly_spikes([], now=datetime(2026, 3, 2))
    with pytest.raises(NaiveDatetime, match="returned_at"):
        weekly_spikes([("other", datetime(2026, 3, 1))], now=NOW)
    plus8 = timezone(timedelta(hours=8))
    edge = [("other", datetime(2026, 3, 2, 8, tzinfo=plus8))] * 5
    assert weekly_spikes(edge, now=NOW) == []
    assert weekly_spikes(edge, now=NOW + timedelta(microseconds=1)) == [ReasonSpike("other", 0, 5)]


reasons = st.sampled_from(["fabric_defect", "size_deviation", "transit_damage", "other"])
offsets = st.integers(-3 * 7 * 24, 24).map(lambda h: NOW + timedelta(hours=h))
histories = st.lists(st.tuples(reasons, offsets), max_size=80)


@given(histories, st.randoms(use_true_random=False))
def test_spikes_ignore_input_order(history: list[tuple[str, datetime]], rng: random.Random) -> None:
    """L4: the result depends on the returns, not on how they were listed."""
    shuffled = list(history)
    rng.shuffle(shuffled)
    assert weekly_spikes(shuffled, now=NOW) == weekly_spikes(history, now=NOW)


@given(histories, st.integers(1, 8), st.decimals("0", "1", places=2))
def test_spikes_match_a_brute_force_count(
    history: list[tuple[str, datetime]], min_count: int, threshold: Decimal
) -> None:
    """L4: the counts and the verdict agree with counting each window by hand."""
    policy = SpikePolicy(min_count=min_count, threshold=threshold)
    current = Counter(r for r, t in history if NOW - WEEK <= t < NOW)
    previous = Counter(r for r, t in history if NOW - 2 * WEEK <= t < NOW - WEEK)
    expected = {
        r
        for r, n in current.items()
        if (n >= min_count if not previous[r] else Decimal(n) / previous[r] > 1 + threshold)
    }
    spikes = weekly_spikes(history, now=NOW, policy=policy)
    assert {s.reason for s in spikes} == expected
    assert all((s.previous, s.current) == (previous[s.reason], current[s.reason]) for s in spikes)
