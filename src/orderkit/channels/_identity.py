"""One customer from the phones, WeChat OpenIDs and membership cards of many records (C5).

Records that share any identifier are one customer, transitively. A union-find (path
halving, union by size) keeps the groups in near-constant amortised time per record;
the links between records are kept too, so :meth:`IdentityResolver.explain` can show
the chain of shared identifiers that made two records one customer.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import attrs

from orderkit._pii import mask_email, mask_key, mask_phone
from orderkit.channels._converters import MappingScope, phone
from orderkit.errors import InvalidChannelInput

__all__ = ["IdentityExplanation", "IdentityLink", "IdentityResolver", "normalise_phone"]

_PHONE = phone()
"""The field map's phone converter: records compare phones exactly as they were mapped."""
_NO_SCOPE = MappingScope({}, None)
_KIND = re.compile(r"[a-z][a-z0-9_]*")
_RECORD = ""
"""The kind of the nodes that stand for records rather than identifiers."""

_Node = tuple[str, str]


def normalise_phone(text: str) -> str:
    """A phone as the field map's ``phone`` converter gives it: ``13800138000``.

    Text that is not a phone raises ``InvalidChannelInput``, showing it masked.
    """
    try:
        return str(_PHONE(text, _NO_SCOPE))
    except ValueError:
        raise InvalidChannelInput(f"not a phone number: {mask_phone(text)!r}") from None


def _normalise(kind: str, value: str) -> str:
    if kind == "phone":
        return normalise_phone(value)
    return value.strip().casefold() if kind == "email" else value.strip()


def _shown(node: _Node) -> str:
    kind, value = node
    masked = {"phone": mask_phone, "email": mask_email}.get(kind, mask_key)(value)
    return f"{kind} {masked}"


class IdentityLink(NamedTuple):
    """Two records that share an identifier, shown masked (``phone 138****0000``)."""

    record: str
    shared: str
    other: str


@attrs.frozen
class IdentityExplanation:
    """Why two records are one customer: each step, two records sharing an identifier."""

    links: tuple[IdentityLink, ...]

    def __str__(self) -> str:
        if not self.links:
            return "the same record"
        return "; ".join(f"{a} and {b} share {shared}" for a, shared, b in self.links)


class IdentityResolver:
    """Merges records into customers through the identifiers they share (MISSION C5).

    A customer's id is the smallest id of its records, so it does not depend on the
    order the records were added in. Phones are compared as normalised by
    :func:`normalise_phone` (``+86 138-0013-8000`` is ``13800138000``), e-mails
    ignoring case, other identifiers (``openid``, ``card``...) as given.

    >>> resolver = IdentityResolver()
    >>> resolver.add("tmall-1", {"phone": "+86 138 0013 8000"})
    >>> resolver.add("mini-7", {"openid": "oX3a9-wechat-77f1", "phone": "13800138000"})
    >>> resolver.add("pos-3", {"card": "VIP-20260001", "openid": "oX3a9-wechat-77f1"})
    >>> resolver.add("pos-4", {"card": "VIP-20260002"})
    >>> resolver.customer_of("pos-3")
    'mini-7'
    >>> resolver.customers()
    {'mini-7': ('mini-7', 'pos-3', 'tmall-1'), 'pos-4': ('pos-4',)}
    >>> print(resolver.explain("tmall-1", "pos-3"))
    tmall-1 and mini-7 share phone 138****8000; mini-7 and pos-3 share openid oX3****77f1
    """

    def __init__(self) -> None:
        self._parent: dict[_Node, _Node] = {}
        self._size: dict[_Node, int] = {}
        self._smallest: dict[_Node, str] = {}
        self._links: dict[_Node, set[_Node]] = {}

    def add(self, record_id: str, identifiers: Mapping[str, str | Iterable[str] | None]) -> None:
        """Add a record (or more identifiers of a known one).

        ``identifiers`` maps a kind (``phone``, ``openid``, ``card``, ``email``...) to a
        value or several; empty values are skipped. Nothing is added if any is invalid.
        """
        nodes = [(kind, _normalise(kind, v)) for kind, v in _pairs(identifiers) if v.strip()]
        record = (_RECORD, record_id)
        self._node(record)
        self._smallest.setdefault(self._find(record), record_id)
        for node in nodes:
            self._node(node)
            self._links[record].add(node)
            self._links[node].add(record)
            self._union(record, node)

    def customer_of(self, record_id: str) -> str:
        """The customer id of a record; ``KeyError`` for a record never added."""
        record = (_RECORD, record_id)
        if record not in self._parent:
            raise KeyError(f"unknown record {record_id!r}")
        return self._smallest[self._find(record)]

    def customers(self) -> dict[str, tuple[str, ...]]:
        """Every customer id with its record ids, both sorted."""
        groups: dict[str, list[str]] = {}
        for kind, record_id in self._parent:
            if kind == _RECORD:
                groups.setdefault(self.customer_of(record_id), []).append(record_id)
        return {customer: tuple(sorted(groups[customer])) for customer in sorted(groups)}

    def explain(self, record_id: str, other_id: str) -> IdentityExplanation | None:
        """The shortest chain of shared identifiers between two records, or ``None`` when
        they are different customers; ``KeyError`` for a record never added."""
        if self.customer_of(record_id) != self.customer_of(other_id):
            return None
        start, goal = (_RECORD, record_id), (_RECORD, other_id)
        came_from: dict[_Node, _Node] = {start: start}
        queue = deque([start])
        while goal not in came_from:
            node = queue.popleft()
            for neighbour in sorted(self._links[node].difference(came_from)):
                came_from[neighbour] = node
                queue.append(neighbour)
        path = [goal]
        while path[-1] != start:
            path.append(came_from[path[-1]])
        path.reverse()
        return IdentityExplanation(
            tuple(
                IdentityLink(path[i][1], _shown(path[i + 1]), path[i + 2][1])
                for i in range(0, len(path) - 1, 2)
            )
        )

    def _node(self, node: _Node) -> None:
        if node not in self._parent:
            self._parent[node] = node
            self._size[node] = 1
            self._links[node] = set()

    def _find(self, node: _Node) -> _Node:
        parent = self._parent
        while (up := parent[node]) != node:
            parent[node] = parent[up]
            node = parent[node]
        return node

    def _union(self, a: _Node, b: _Node) -> None:
        a, b = self._find(a), self._find(b)
        if a == b:
            return
        if self._size[a] < self._size[b]:
            a, b = b, a
        self._parent[b] = a
        self._size[a] += self._size.pop(b)
        if (smallest := self._smallest.pop(b, None)) is not None:
            self._smallest[a] = min(self._smallest.get(a, smallest), smallest)


def _pairs(identifiers: Mapping[str, str | Iterable[str] | None]) -> list[tuple[str, str]]:
    pairs = []
    for kind, values in identifiers.items():
        if not _KIND.fullmatch(kind):
            raise InvalidChannelInput(f"identifier kind {kind!r} is not a lowercase name")
        if values is None:
            continue
        for value in [values] if isinstance(values, str) else values:
            if not isinstance(value, str):
                raise InvalidChannelInput(f"{kind} identifiers must be text")
            pairs.append((kind, value))
    return pairs
