"""Channel adapters: protocols, declarative mapping, resilient transport (MISSION C1-C8).

Pure parts, each testable alone, apart from I/O:

- a :class:`Signer` signs API requests and a :class:`WebhookVerifier` checks webhooks
  against their raw bytes;
- an :class:`OrderMapper` turns a platform payload into a canonical order;
- a :class:`ChannelClient` (or :class:`AsyncChannelClient`) fetches orders
  incrementally with an opaque :class:`SyncCursor`, pushes tracking and stock, and
  classifies failures.

.. versionadded:: 0.1
"""

from orderkit.channels._protocols import (
    AsyncChannelClient,
    ChannelClient,
    OrderMapper,
    Signer,
    WebhookVerifier,
)
from orderkit.channels._types import (
    ChannelOrder,
    Classification,
    ErrorKind,
    OrderPage,
    PushResult,
    PushStatus,
    StockLevel,
    SyncCursor,
    TrackingUpdate,
    VerifiedEvent,
)

__all__ = [
    "AsyncChannelClient",
    "ChannelClient",
    "ChannelOrder",
    "Classification",
    "ErrorKind",
    "OrderMapper",
    "OrderPage",
    "PushResult",
    "PushStatus",
    "Signer",
    "StockLevel",
    "SyncCursor",
    "TrackingUpdate",
    "VerifiedEvent",
    "WebhookVerifier",
]
