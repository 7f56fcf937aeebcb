"""Conformance checks on an adapter's webhook verifier: good, tampered, forged and stale."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TypeAlias

from attrs import frozen

from orderkit.channels._protocols import WebhookVerifier
from orderkit.errors import SignatureMismatch
from orderkit.testing._channels_findings import Findings, leaks

__all__ = [
    "Deliveries",
    "Forge",
    "SignWebhook",
    "another_bodys_signature",
    "garbled_signature",
    "no_signature",
    "stale",
    "tampered_body",
]

SignWebhook: TypeAlias = Callable[[bytes, datetime], Mapping[str, str]]
Delivery: TypeAlias = tuple[Mapping[str, str], bytes, datetime]
Forge: TypeAlias = Callable[["Deliveries"], Delivery]


@frozen
class Deliveries:
    """Webhook deliveries of ``body`` built with the author's signer, and the checks on them.

    Neither ``secrets`` nor a signature header's value (the expected digest) may show
    in a refusal's reason.
    """

    verifier: WebhookVerifier
    sign: SignWebhook
    channel: str
    body: bytes
    at: datetime
    secrets: Sequence[str]

    @property
    def tampered(self) -> bytes:
        """The body with one bit of its middle byte flipped."""
        middle = len(self.body) // 2
        return self.body[:middle] + bytes([self.body[middle] ^ 1]) + self.body[middle + 1 :]

    def signature_headers(self) -> dict[str, str]:
        """The headers whose values depend on the body: the signature, at least."""
        good, other = self.sign(self.body, self.at), self.sign(self.tampered, self.at)
        return {name: value for name, value in good.items() if other.get(name) != value}

    def check_good(self) -> None:
        """A signed delivery verifies, with any header case, to a stable event id."""
        found = Findings("a signed webhook verifies")
        headers = dict(self.sign(self.body, self.at))
        lowered = {name.lower(): value for name, value in headers.items()}
        events = []
        for given, what in ((headers, "a delivery"), (lowered, "lower-case header names")):
            try:
                events.append(self.verifier.verify(given, self.body, self.at))
            except SignatureMismatch as refused:
                found.add("verify()", f"refused {what} from sign_webhook(): {refused.reason}")
            except Exception as error:
                found.add("verify()", f"raised {type(error).__name__} on {what}: {error}")
        if len(events) == 2:
            event, again = events
            found.expect(event.body == self.body, "event.body", "is not the raw body verified")
            found.expect(bool(event.event_id), "event.event_id", "is empty: needed to de-duplicate")
            found.expect(event.channel == self.channel, "event.channel", f"is not {self.channel!r}")
            found.expect(
                again.event_id == event.event_id,
                "verify()",
                "gives another event id when the header names are lower-case (as ASGI sends them)",
            )
        found.expect(
            bool(self.signature_headers()),
            "sign_webhook()",
            "gives the same headers for different bodies: nothing signs the body",
        )
        found.raise_any()

    def check_refused(self, case: str, forge: Forge) -> None:
        """The delivery ``forge`` makes (``case`` says what it is) raises ``SignatureMismatch``."""
        found = Findings(f"a webhook with {case} is refused")
        headers, body, now = forge(self)
        try:
            self.verifier.verify(headers, body, now)
        except SignatureMismatch as refused:
            shown = [refused.reason, str(refused), repr(refused)]
            if leaked := leaks(shown, self.secrets):
                found.add("the reason", f"shows secrets()[{leaked[0]}]")
            if leaks(shown, self.signature_headers().values()):
                found.add("the reason", "shows a signature value: say what differs, not how")
        except Exception as error:
            found.add("verify()", f"raised {type(error).__name__}, not SignatureMismatch")
        else:
            found.add("verify()", "accepted it")
        found.raise_any()


def tampered_body(d: Deliveries) -> Delivery:
    """The good headers with a body changed in transit."""
    return d.sign(d.body, d.at), d.tampered, d.at


def another_bodys_signature(d: Deliveries) -> Delivery:
    """The body with the headers signed for another body."""
    return d.sign(d.tampered, d.at), d.body, d.at


def garbled_signature(d: Deliveries) -> Delivery:
    """The body with its signature headers overwritten by zeros."""
    garbled = {name: "0" * len(value) for name, value in d.signature_headers().items()}
    return {**d.sign(d.body, d.at), **garbled}, d.body, d.at


def no_signature(d: Deliveries) -> Delivery:
    """The body without its signature headers."""
    signed = d.signature_headers()
    headers = {k: v for k, v in d.sign(d.body, d.at).items() if k not in signed}
    return headers, d.body, d.at


def stale(age: timedelta) -> Forge:
    """A delivery signed ``age`` before it arrives."""
    return lambda d: (d.sign(d.body, d.at - age), d.body, d.at)
