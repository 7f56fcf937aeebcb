"""Test support that host applications import into their own suites.

- :class:`FakeClock`: a clock that moves only when told to.
- :mod:`orderkit.testing.strategies`: hypothesis strategies for every canonical model
  (needs ``hypothesis``; install ``orderkit[testing]``).
- :mod:`orderkit.testing.inventory`: ``ReservationStoreContract``, the conformance
  suite a host runs against its own reservation store.
- :mod:`orderkit.testing.channels`: ``AdapterContract``, the conformance kit an adapter
  author subclasses with recorded payloads (MISSION C7).
- :mod:`orderkit.testing.plugin`: a pytest plugin, loaded automatically when orderkit
  is installed, providing the ``fake_clock`` fixture.

.. versionadded:: 0.1
"""

from orderkit.testing._clock import FakeClock

__all__ = ["FakeClock"]
