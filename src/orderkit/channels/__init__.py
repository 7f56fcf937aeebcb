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

from orderkit.channels._adapter import Adapter, AsyncChannel, Channel, pages
from orderkit.channels._address import CnAddress, normalise_cn_address
from orderkit.channels._classify import (
    classify_error,
    classify_response,
    raise_for_classification,
    rate_limit_wait,
)
from orderkit.channels._converters import (
    BUILTIN_CONVERTERS,
    Converter,
    ConverterFactory,
    MappingScope,
)
from orderkit.channels._dedup import (
    DedupeReport,
    Deduplicated,
    ExactDuplicate,
    OrderConflict,
    dedupe,
)
from orderkit.channels._exchange import Exchange, drive, drive_async, request_failed
from orderkit.channels._fieldmap import FieldMap, FieldSpec
from orderkit.channels._fieldmapper import FieldMapper
from orderkit.channels._identity import IdentityExplanation, IdentityLink, IdentityResolver
from orderkit.channels._ledger import InMemoryPushLedger, PushLedger
from orderkit.channels._pii import Masked, PiiKind, mask_order, mask_text
from orderkit.channels._protocols import (
    AsyncChannelClient,
    ChannelClient,
    OrderMapper,
    Signer,
    WebhookVerifier,
)
from orderkit.channels._push import (
    fan_out_tracking,
    fan_out_tracking_async,
    push_stock,
    push_stock_async,
    push_tracking,
    push_tracking_async,
)
from orderkit.channels._ratelimit import RateLimiter
from orderkit.channels._retry import PlannedAttempt, RetryPolicy, RetrySchedule
from orderkit.channels._sign_doudian import DoudianSigner, doudian_param_json
from orderkit.channels._sign_pdd import PddSigner
from orderkit.channels._sign_shopify import ShopifyQueryVerifier
from orderkit.channels._sign_top import TopSigner
from orderkit.channels._signing import SignedRequest
from orderkit.channels._testorders import TestOrderRules, TestOrderVerdict, is_test_order
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
from orderkit.channels._webhooks import (
    DoudianPushVerifier,
    ShopifyWebhookVerifier,
    WebhookDeduplicator,
)

__all__ = [
    "Adapter",
    "AsyncChannel",
    "AsyncChannelClient",
    "BUILTIN_CONVERTERS",
    "Channel",
    "ChannelClient",
    "ChannelOrder",
    "Classification",
    "CnAddress",
    "Converter",
    "ConverterFactory",
    "DedupeReport",
    "Deduplicated",
    "DoudianPushVerifier",
    "DoudianSigner",
    "ErrorKind",
    "ExactDuplicate",
    "Exchange",
    "FieldMap",
    "FieldMapper",
    "FieldSpec",
    "IdentityExplanation",
    "IdentityLink",
    "IdentityResolver",
    "InMemoryPushLedger",
    "MappingScope",
    "Masked",
    "OrderConflict",
    "OrderMapper",
    "OrderPage",
    "PddSigner",
    "PiiKind",
    "PlannedAttempt",
    "PushLedger",
    "PushResult",
    "PushStatus",
    "RateLimiter",
    "RetryPolicy",
    "RetrySchedule",
    "ShopifyQueryVerifier",
    "ShopifyWebhookVerifier",
    "SignedRequest",
    "Signer",
    "StockLevel",
    "SyncCursor",
    "TestOrderRules",
    "TestOrderVerdict",
    "TopSigner",
    "TrackingUpdate",
    "VerifiedEvent",
    "WebhookDeduplicator",
    "WebhookVerifier",
    "classify_error",
    "classify_response",
    "dedupe",
    "doudian_param_json",
    "drive",
    "drive_async",
    "fan_out_tracking",
    "fan_out_tracking_async",
    "is_test_order",
    "mask_order",
    "mask_text",
    "normalise_cn_address",
    "pages",
    "push_stock",
    "push_stock_async",
    "push_tracking",
    "push_tracking_async",
    "raise_for_classification",
    "rate_limit_wait",
    "request_failed",
]
