"""Sealing of sensitive intake data with a per-tenancy key (AES-GCM).

The key lives in a deletable table beside the event store, never in an event:
erasing it makes the sealed intake answers and profile reasons unreadable while
the events (financial history, case steps) stay intact and replayable."""

from __future__ import annotations

import base64
import json
import os
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ERASED = "erased"


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, tenancy_id: UUID, payload: Any) -> str:
    nonce = os.urandom(12)
    data = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    ct = AESGCM(key).encrypt(nonce, data, tenancy_id.bytes)
    return "v1:" + base64.b64encode(nonce + ct).decode()


def unseal(key: bytes | None, tenancy_id: UUID, sealed: str | None) -> Any:
    """The payload, or the string ``"erased"`` when the key was deleted."""
    if sealed is None:
        return None
    if key is None:
        return ERASED
    if not sealed.startswith("v1:"):
        raise ValueError("sealed value has an unknown format")
    raw = base64.b64decode(sealed[3:])
    try:
        data = AESGCM(key).decrypt(raw[:12], raw[12:], tenancy_id.bytes)
    except InvalidTag:
        raise ValueError(f"sealed data of tenancy {tenancy_id} does not open with its key") from None
    return json.loads(data)


def open_text(key: bytes | None, tenancy_id: UUID, value: Any) -> Any:
    """A free-text field that may be sealed: its text, ``"erased"`` once the key is
    deleted, or the value itself when it was never sealed (events stored before free
    text was sealed, and the system's own reason codes)."""
    if isinstance(value, str) and value.startswith("v1:"):
        return unseal(key, tenancy_id, value)
    return value
