"""The in-process reference store against the conformance suite (MISSION I1, I6)."""

from __future__ import annotations

import pytest

from orderkit.inventory import MemoryStore
from orderkit.testing.inventory import ReservationStoreContract, StoreFactory


class TestMemoryStore(ReservationStoreContract):
    """MemoryStore is the reference; the contract still pins its behaviour."""

    @pytest.fixture
    def store_factory(self) -> StoreFactory:
        return MemoryStore
