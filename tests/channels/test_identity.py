"""Identity resolution: one customer from phone, WeChat OpenID and card (MISSION C5)."""

from __future__ import annotations

from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderkit.channels._identity import (
    IdentityExplanation,
    IdentityLink,
    IdentityResolver,
    normalise_phone,
)
from orderkit.errors import InvalidChannelInput

Record = tuple[str, dict[str, str]]

SEED: list[Record] = [
    ("douyin-1", {"phone": "+86 138-0013-8000"}),
    ("mini-7", {"openid": "oX3a9-wechat-77f1", "phone": "13800138000"}),
    ("pos-3", {"card": "VIP-20260001", "openid": "oX3a9-wechat-77f1"}),
    ("pos-4", {"card": "VIP-20260002"}),
    ("shop-9", {"email": "Li.Lei@Example.com"}),
    ("shop-2", {"email": "li.lei@example.com ", "card": "VIP-20260002"}),
]


def resolver_of(records: list[Record]) -> IdentityResolver:
    resolver = IdentityResolver()
    for record_id, identifiers in records:
        resolver.add(record_id, identifiers)
    return resolver


def test_c5_phone_openid_and_card_merge_into_one_customer() -> None:
    resolver = resolver_of(SEED)
    assert resolver.customers() == {
        "douyin-1": ("douyin-1", "mini-7", "pos-3"),
        "pos-4": ("pos-4", "shop-2", "shop-9"),
    }
    assert resolver.customer_of("pos-3") == "douyin-1"
    assert resolver.customer_of("shop-9") == "pos-4"


def test_c5_explanations_chain_the_shared_identifiers_masked() -> None:
    resolver = resolver_of(SEED)
    explanation = resolver.explain("douyin-1", "pos-3")
    assert explanation == IdentityExplanation(
        (
            IdentityLink("douyin-1", "phone 138****8000", "mini-7"),
            IdentityLink("mini-7", "openid oX3****77f1", "pos-3"),
        )
    )
    assert str(explanation) == (
        "douyin-1 and mini-7 share phone 138****8000; mini-7 and pos-3 share openid oX3****77f1"
    )
    assert str(resolver.explain("shop-9", "pos-4")) == (
        "shop-9 and shop-2 share email l***@example.com; shop-2 and pos-4 share card VIP****0002"
    )
    assert str(resolver.explain("pos-4", "pos-4")) == "the same record"
    assert resolver.explain("douyin-1", "pos-4") is None
    assert "0013" not in repr(explanation)


def test_c5_a_record_without_identifiers_is_its_own_customer() -> None:
    resolver = IdentityResolver()
    resolver.add("a", {"phone": None, "openid": "  ", "card": []})
    resolver.add("b", {})
    assert resolver.customers() == {"a": ("a",), "b": ("b",)}


def test_c5_adding_to_a_known_record_merges_later() -> None:
    resolver = resolver_of([("b", {"card": "1"}), ("c", {"card": "2"})])
    assert resolver.customer_of("c") == "c"
    resolver.add("c", {"card": ["1", "3"]})
    assert resolver.customer_of("c") == "b"


def test_c5_unknown_records_raise_key_error() -> None:
    resolver = resolver_of(SEED)
    with pytest.raises(KeyError, match="nobody"):
        resolver.customer_of("nobody")
    with pytest.raises(KeyError, match="nobody"):
        resolver.explain("pos-4", "nobody")


@pytest.mark.parametrize(
    ("identifiers", "message"),
    [
        ({"phone": "12"}, "not a phone number"),
        ({"Phone": "13800138000"}, "not a lowercase name"),
        ({"card": [1]}, "must be text"),
    ],
)
def test_c5_bad_identifiers_add_nothing(identifiers: dict[str, object], message: str) -> None:
    resolver = resolver_of([("a", {"card": "1"})])
    with pytest.raises(InvalidChannelInput, match=message) as raised:
        resolver.add("b", {"card": "1", **identifiers})  # type: ignore[dict-item]
    assert "12" not in str(raised.value)
    assert resolver.customers() == {"a": ("a",)}


def test_c5_phones_are_normalised_like_the_field_map() -> None:
    assert normalise_phone("+86 138 0013 8000") == "13800138000"
    assert normalise_phone("0086-13800138000") == "13800138000"
    assert normalise_phone("+1 (502) 459-2181") == "+15024592181"
    with pytest.raises(InvalidChannelInput) as raised:
        normalise_phone("call 13800138000")
    assert "13800138000" not in str(raised.value)


records = st.lists(
    st.tuples(
        st.sampled_from([f"r{i}" for i in range(12)]),
        st.fixed_dictionaries(
            {},
            optional={
                "phone": st.sampled_from(["13800138000", "+86 139 0013 9000", "13900139000"]),
                "openid": st.sampled_from(["oA", "oB"]),
                "card": st.sampled_from(["oA", "C1", "C2"]),
            },
        ),
    ),
    max_size=20,
)


@given(records, st.randoms(use_true_random=False))
def test_c5_customers_do_not_depend_on_insertion_order(data: list[Record], random: Random) -> None:
    shuffled = list(data)
    random.shuffle(shuffled)
    assert resolver_of(data).customers() == resolver_of(shuffled).customers()


@given(records)
def test_c5_customers_are_the_connected_groups(data: list[Record]) -> None:
    """Two records are one customer exactly when a chain of shared identifiers links them."""
    resolver = resolver_of(data)
    ids = sorted({record_id for record_id, _ in data})
    for a in ids:
        for b in ids:
            explanation = resolver.explain(a, b)
            same = resolver.customer_of(a) == resolver.customer_of(b)
            assert (explanation is not None) == same
            if explanation is not None and explanation.links:
                assert explanation.links[0].record == a
                assert explanation.links[-1].other == b
    for customer, members in resolver.customers().items():
        assert customer == min(members)
