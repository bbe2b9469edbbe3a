"""The hash chain (tamper evidence): how a link is computed, and how verify walks it."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from application.audit.report import VerifyReport

GENESIS = "0" * 64


def chain_hash(
    prev: str, position: int, originator_id: Any, version: int, topic: str, state: bytes
) -> str:
    """``sha256(prev || position || originator id || version || topic || state)``, hex.

    Fields are separated by 0x1f (only ``state``, which comes last, can hold it); the
    originator id is the UUID's 32 hex digits; text is UTF-8."""
    oid = originator_id.hex if isinstance(originator_id, uuid.UUID) else str(originator_id)
    h = hashlib.sha256(bytes.fromhex(prev))
    h.update(f"\x1f{position}\x1f{oid}\x1f{version}\x1f{topic}\x1f".encode())
    h.update(state)
    return h.hexdigest()


def chain_hashes(prev: str, stored_events: Sequence[Any], positions: Sequence[int],
                 oids: Sequence[str] | None = None) -> list[str]:
    """``chain_hash`` of each event in turn, from the head ``prev`` (hex): the digest is
    carried as bytes from one link to the next instead of through hex. ``oids``: the
    events' originator ids as hex (``originator_hexes``), when the caller has them."""
    out: list[str] = []
    append = out.append
    head = bytes.fromhex(prev)
    sha = hashlib.sha256
    if oids is None:
        oids = originator_hexes(stored_events)
    for s, pos, oid in zip(stored_events, positions, oids, strict=True):
        head = sha(head + f"\x1f{pos}\x1f{oid}\x1f{s.originator_version}\x1f{s.topic}\x1f".encode() + s.state).digest()
        append(head.hex())
    return out


def originator_hexes(stored_events: Sequence[Any]) -> list[str]:
    """The originator id of each stored event as the chain and the SQLite store write it
    (a UUID's 32 hex digits, anything else as text), computed once per run of events of
    one aggregate."""
    out: list[str] = []
    append = out.append
    last: Any = None
    text = ""
    uuid_cls = uuid.UUID
    for s in stored_events:
        oid = s.originator_id
        if oid is not last:
            last = oid
            text = oid.hex if isinstance(oid, uuid_cls) else str(oid)
        append(text)
    return out


# ------------------------------------------------------------------ keyed seal
#
# The chain alone is not a signature: whoever can write the store can recompute it.
# With a seal key (VANGNET_SEAL_KEY or VANGNET_SEAL_KEY_FILE, kept outside the store),
# every write transaction also stores ``chain_seals(position, mac)`` for the chain head
# it produced: ``mac = HMAC-SHA256(key, "vangnet-seal-v1" || position || head hash)``.
# An edited event with a recomputed chain changes the head hashes, and nobody without
# the key can make matching macs: verify reports every sealed position that no longer
# matches, and events written after the last seal (by a writer without the key).

SEAL_NONE = ("none: this store carries the unkeyed SHA-256 chain only (no VANGNET_SEAL_KEY); "
             "an edit with a recomputed chain is caught only by an anchor kept elsewhere")


def seal_mac(key: bytes, position: int, head_hash: str) -> str:
    """The keyed seal of the chain head ``(position, head_hash)``, hex."""
    msg = f"vangnet-seal-v1\x1f{position}\x1f{head_hash.lower()}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def seal_key_check(key: bytes) -> str:
    """A check value of the key (not the key), kept in the store's meta table so that a
    wrong key is refused when the store is opened."""
    return hmac.new(key, b"vangnet-seal-key-check", hashlib.sha256).hexdigest()[:32]


def check_seals(report: VerifyReport, seals: list[tuple[int, str, str | None]], head_pos: int | None,
                key: bytes | None) -> str:
    """Check every ``(position, mac, chain hash there)`` against the key; returns the
    seal status line for the report."""
    if key is None:
        if seals:
            report.add("chain", "the store is sealed but no seal key was given (VANGNET_SEAL_KEY)")
            return "not checked: no seal key"
        return SEAL_NONE
    if not seals:
        if head_pos is None:
            return "keyed: nothing written yet"
        report.add("chain", "no keyed seal: this store carries the old unkeyed chain only (written before "
                   "sealing or without the key); `vangnet audit seal` seals its verified head", head_pos)
        return "none: the old unkeyed chain"
    bad = 0
    for pos, mac, head in seals:
        if head is None:
            report.add("chain", "sealed position has no chain entry: events were deleted after sealing", pos)
            bad += 1
        elif not hmac.compare_digest(seal_mac(key, pos, head), str(mac)):
            report.add("chain", "keyed seal does not match: the chain up to here was edited or recomputed "
                       "without the seal key", pos)
            bad += 1
    last = seals[-1][0]
    if head_pos is not None and head_pos > last:
        report.add("chain", f"events after position {last} are not covered by the keyed seal "
                   "(written without the seal key, or appended by hand)", head_pos)
    return f"keyed: {len(seals)} seals, last at position {last}" + (f", {bad} not matching" if bad else "")


_DELETED = "stored event deleted: the chain has an entry here, the store has no event"


def _unhex(text: Any) -> bytes:
    try:
        return bytes.fromhex(text)
    except (ValueError, TypeError):  # an edited chain entry: it matches nothing
        return b""


def _as_bytes(state: Any) -> bytes:
    return state.encode("utf-8") if isinstance(state, str) else bytes(state)


def _idtext(key: Any) -> str:
    """An originator id as read, as canonical UUID text when it is one."""
    try:
        return str(key if isinstance(key, uuid.UUID) else uuid.UUID(str(key)))
    except ValueError:
        return str(key)


class _ChainCheck:
    """The hash chain as verify walks it: the previous hash, the last position seen,
    and what to report for gaps, unchained and changed events."""

    def __init__(self, report: VerifyReport, select_chain: Callable[..., Any], dense: bool):
        self.report = report
        self.select_chain = select_chain
        self.dense = dense
        self.prev = bytes(32)
        self.alt: bytes | None = None  # after a mismatch: the hash recomputed there
        self.last = 0
        self.head_pos: int | None = None  # the last position with a chain entry
        self.matched = 0
        self.extra = 0  # chain entries without an event
        # event key -> sha256 of its state after a recorded redaction (application.redaction)
        self.redacted: dict[str, str] = {}
        self.redactions = 0  # positions accepted as recorded redactions

    def gap(self, pos: int) -> None:
        """Positions between the last one seen and ``pos``: chain entries there belong
        to deleted events; on SQLite a position with neither was deleted too."""
        for cpos, chash in self.select_chain(self.last, pos - 1):
            if self.dense:
                _missing(self.report, self.last, cpos)
            self.report.add("chain", _DELETED, cpos)
            self.prev, self.head_pos, self.last, self.alt = _unhex(chash), cpos, cpos, None
            self.extra += 1
        if self.dense:
            _missing(self.report, self.last, pos)

    def unchained(self, pos: int, key: Any, version: int) -> None:
        self.report.add(
            "chain",
            f"stored event inserted: no chain entry (aggregate {_idtext(key)} version {version})",
            pos,
            _idtext(key),
        )

    @staticmethod
    def changed(key: Any, version: int) -> str:
        return (
            f"stored event changed: it does not match the hash chain (aggregate {_idtext(key)} version "
            f"{version}; edited here, or an event just before it was deleted with its chain entry)"
        )

    def tail(self, page: int) -> None:
        """Chain entries after the last stored event: deleted events."""
        while True:
            rows = self.select_chain(self.last, None, page)
            if not rows:
                return
            for cpos, _hash in rows:
                self.report.add("chain", _DELETED, cpos)
                self.head_pos = cpos
            self.extra += len(rows)
            self.last = rows[-1][0]


def _missing(report: VerifyReport, last: int, upto: int) -> None:
    """Positions after ``last`` and before ``upto`` with neither event nor chain entry
    (SQLite only: its positions have no gaps). At most 10 per gap are listed."""
    for p in range(last + 1, min(upto, last + 11)):
        report.add(
            "chain",
            "stored event missing: neither an event nor a chain entry at this position "
            "(deleted together with its chain entry)",
            p,
        )
    if upto - last - 1 > 10:
        report.omitted += upto - last - 11
