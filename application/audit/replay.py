"""Replay of the whole event log, inline for the common events (the hot path)."""

from __future__ import annotations

import hashlib
import inspect
import operator
import sys
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from application.audit.chain import _as_bytes, _ChainCheck, _idtext
from application.audit.common import PAGE, _bulk, _short
from application.audit.decoding import EventDecoder, _Ids
from application.audit.eventlog import iter_rows
from application.audit.invariants import Invariants
from application.audit.report import VerifyReport

_LEDGER = {"RentCharged": 0, "PaymentReceived": 1, "PaymentReversed": 2, "CreditPosted": 3,
           "CollectionCostsBooked": 4, "CollectionCostsReversed": 5}


def _mutation_plan(cls: type) -> tuple[Callable[..., Any], tuple[str, ...], Any] | None:
    """``(decorated function, its parameter names, positional getter or None)`` when
    ``cls.mutate`` would do no more than check the version, call that function with
    the event's attributes of those names, and set ``version`` and ``modified_on``;
    else ``None`` (replay calls ``mutate``)."""
    from eventsourcing.domain import CanMutateAggregate, DecoratedFuncCaller, decorated_funcs

    if getattr(cls, "mutate", None) is not CanMutateAggregate.mutate:
        return None
    if not issubclass(cls, DecoratedFuncCaller) or cls.apply is not DecoratedFuncCaller.apply:
        return None
    mro = cls.__mro__
    for k in mro[mro.index(DecoratedFuncCaller) + 1 :]:
        a = k.__dict__.get("apply")
        if a is not None and a is not CanMutateAggregate.apply:
            return None
    func = decorated_funcs.get(cls)
    if func is None or not inspect.isfunction(func):
        return None
    params = [p for n, p in inspect.signature(func).parameters.items() if n != "self"]
    names = tuple(p.name for p in params)
    positional = all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)
    getter = operator.itemgetter(*names) if positional and len(names) > 1 else None
    return func, names, (getter if getter is not None else positional)


class _Replay(Invariants):
    """Replays every aggregate from the event rows, checking the rules that must have
    held before each recorded step (when given a report)."""

    def __init__(self, app: Any, report: VerifyReport | None):
        self.report = report
        self.aggs: dict[Any, Any] = {}  # raw originator id -> aggregate
        self.broken: set[Any] = set()
        self.ledger: dict[Any, list[int]] = {}
        self.ids = _Ids(bound=sys.maxsize)
        self.decoder = EventDecoder(app)
        self.decode = self.decoder.decode
        self.walk = self.decoder._walk
        self.topics: dict[str, tuple[Any, ...]] = {}
        self.direct: set[type] = set()
        self.indirect: set[type] = set()
        self.checks: dict[str, Callable[[Any, Any, int], None]] = {
            "MunicipalSignalSent": self._signal,
            "CollectionCostsCharged": self._costs,
            "LegalActionDecided": self._legal,
            "BailiffHandedOver": self._bailiff,
        }

    def _topic(self, topic: str, cls: type) -> tuple[Any, ...]:
        """Per stored topic: (mutation plan, rule check, ledger column, event class,
        decodable on the fast path, replayable on the hot path)."""
        name = topic.rsplit(".", 1)[-1]
        with_report = self.report is not None
        plan = _mutation_plan(cls)
        check = self.checks.get(name) if with_report else None
        fast = self.decoder.fast and getattr(cls, "class_version", 1) == 1
        info = (
            plan,
            check,
            _LEDGER.get(name) if with_report else None,
            cls,
            fast,
            fast and plan is not None and check is None,  # the hot path may take it
        )
        self.topics[topic] = info
        return info

    def scan(self, rows: Sequence[Any], chain: _ChainCheck | None = None) -> None:  # noqa: C901 - once per stored event: the common case is inlined for replay speed (benchmarks)
        """Replay a page of event rows, checking the hash chain too when given one.

        This runs once per stored event: the common case (plain JSON state, an @event
        method, no rule to check first) is inlined; the rest goes to ``_apply_slow``."""
        broken, topics, aggs, direct = self.broken, self.topics, self.aggs, self.direct
        loads, walk, slow, ledger_of = orjson.loads, self.walk, self._apply_slow, self.ledger
        revive, any_ = self.decoder.names, self.decoder._any
        sha256, fromhex = hashlib.sha256, bytes.fromhex
        checking = chain is not None
        if chain is not None:
            prev, last, matched, head_pos = chain.prev, chain.last, 0, chain.head_pos
            alt = chain.alt
        for pos, key, version, topic, state, chash in rows:
            if type(state) is not bytes:  # a state edited into text, or a memoryview
                state = _as_bytes(state)
            if checking:
                assert chain is not None  # noqa: S101 - for the type checker; checking says so
                if pos != last + 1 or chash is None:
                    chain.prev, chain.last, chain.alt = prev, last, alt
                    if pos != last + 1:
                        chain.gap(pos)
                    if chash is None:
                        chain.unchained(pos, key, version)
                    prev, alt = chain.prev, chain.alt
                if chash is not None:
                    hid = key.encode() if type(key) is str else key.hex.encode()
                    try:
                        stored_hash = fromhex(chash)
                    except (ValueError, TypeError):  # an edited chain entry
                        stored_hash = b""
                    fields = b"\x1f%d\x1f%s\x1f%d\x1f%s\x1f%s" % (
                        pos,
                        hid,
                        version,
                        topic.encode(),
                        state,
                    )
                    digest = sha256(prev + fields).digest()
                    if digest == stored_hash:
                        alt = None
                    elif alt is not None and sha256(alt + fields).digest() == stored_hash:
                        alt = None  # only the chain entry before this one was edited
                    elif chain.redacted and chain.redacted.get(
                            f"{hid.decode()}:{version}") == sha256(state).hexdigest():
                        chain.redactions += 1  # plain free text erased, recorded (application.redaction)
                        alt = None
                    else:
                        chain.report.add("chain", chain.changed(key, version), pos, _idtext(key))
                        alt = digest  # what the chain should hold, had only this entry changed
                    prev = stored_hash
                    matched += 1
                    head_pos = pos
                last = pos
            if key in broken:
                continue
            info = topics.get(topic)
            agg = aggs.get(key)
            if info is None or not info[5] or agg is None or type(agg) not in direct:
                slow(pos, key, version, topic, state, agg)
                continue
            try:
                d = loads(state)
                if "class_version" in d:
                    raise ValueError("class_version")
                for k, v in d.items():  # the decoder's walk, its top level inlined
                    if type(v) is dict:
                        if "_type_" in v and len(v) == 2:
                            data = v["_data_"]
                            d[k] = revive[v["_type_"]](data if type(data) is str else any_(data))
                        else:
                            walk(v)
                    elif type(v) is list:
                        d[k] = [any_(x) for x in v]
            except (KeyError, ValueError, TypeError, AttributeError):
                slow(pos, key, version, topic, state, agg)  # it decodes it, or says what is wrong
                continue
            try:
                if info[2] is not None:
                    tally = ledger_of.get(key)
                    if tally is None:
                        tally = ledger_of[key] = [0, 0, 0, 0, 0, 0]
                    tally[info[2]] += d["cents"]
                if version != agg._version + 1:
                    from eventsourcing.domain import OriginatorVersionError

                    raise OriginatorVersionError(version, agg._version + 1)
                func, names, getter = info[0]
                try:
                    if getter is True:  # one or no positional parameter
                        args = [d[n] for n in names]
                    elif getter is False:  # keyword-only parameters: the library's way
                        args = None
                    else:
                        args = getter(d)
                except KeyError:
                    args = None
                if args is None:
                    func(agg, **{n: d[n] for n in names if n in d})
                else:
                    func(agg, *args)
                agg._version = version
                agg._modified_on = d["timestamp"]
            except Exception as e:  # noqa: BLE001
                self._stop(key, pos, version, topic, f"{type(e).__name__}: {e}")
        if chain is not None:
            chain.prev, chain.last, chain.alt = prev, last, alt
            chain.matched += matched
            if head_pos is not None and (chain.head_pos is None or head_pos > chain.head_pos):
                chain.head_pos = head_pos

    def _apply_slow(
        self, pos: int, key: Any, version: int, topic: str, state: bytes, agg: Any
    ) -> None:
        """Decode to an event object (mapper when needed), check the rule that must have
        held before it, and mutate."""
        oid = self.ids.get(key)[0]
        if oid is None:
            self._stop(key, pos, version, topic, f"the originator id {key!r} is not a UUID")
            return
        try:
            ev = self.decode(topic, state, oid, version)
        except Exception as e:  # noqa: BLE001 - an undecodable event is a finding, not a crash
            self._stop(key, pos, version, topic, f"the event does not decode: {e}")
            return
        info = self.topics.get(topic)
        if info is None:
            info = self._topic(topic, type(ev))
        plan, check, ledger, cls = info[:4]
        if check is not None and agg is not None:
            check(agg, ev, pos)
        try:
            if ledger is not None:
                tally = self.ledger.get(key)
                if tally is None:
                    tally = self.ledger[key] = [0, 0, 0, 0, 0, 0]
                tally[ledger] += ev.cents
            if agg is None:
                agg = self.aggs[key] = ev.mutate(None)
            else:
                self.aggs[key] = ev.mutate(agg)
            if type(agg) not in self.direct and type(agg) not in self.indirect:
                self._direct(type(agg))
        except Exception as e:  # noqa: BLE001
            self._stop(key, pos, version, topic, f"{type(e).__name__}: {e}")

    def _direct(self, agg_cls: type) -> bool:
        """Whether the aggregate class keeps the library's ``version``/``modified_on``
        properties over ``_version``/``_modified_on`` (then set them directly)."""
        from eventsourcing.domain import BaseAggregate

        ok = (
            getattr(agg_cls, "version", None) is BaseAggregate.__dict__.get("version")
            and getattr(agg_cls, "modified_on", None) is BaseAggregate.__dict__.get("modified_on")
            and BaseAggregate.__dict__.get("version") is not None
        )
        (self.direct if ok else self.indirect).add(agg_cls)
        return ok

    def _stop(self, key: Any, pos: int, version: int, topic: str, why: str) -> None:
        self.broken.add(key)
        if self.report is not None:
            oid = self.ids.get(key)[0]
            who = oid if oid is not None else key
            self.report.add(
                "replay",
                f"aggregate {who} does not replay at version {version} ({_short(topic)}): {why}; "
                "its later events are not checked",
                pos,
                who,
            )

    # --- after the last event ---------------------------------------------
    def split(self) -> tuple[dict[uuid.UUID, Any], dict[uuid.UUID, Any], set[uuid.UUID]]:
        """Replayed tenancies and cases by id, and the ids that did not replay."""
        from domain.arrears_case import ArrearsCase
        from domain.tenancy import Tenancy

        tenancies: dict[uuid.UUID, Any] = {}
        cases: dict[uuid.UUID, Any] = {}
        broken: set[uuid.UUID] = set()
        for key, agg in self.aggs.items():
            if key in self.broken:
                broken.add(agg.id)
            elif isinstance(agg, Tenancy):
                tenancies[agg.id] = agg
            elif isinstance(agg, ArrearsCase):
                cases[agg.id] = agg
        return tenancies, cases, broken


def _replay_all(app: Any, page: int = PAGE) -> _Replay:
    r = _Replay(app, None)
    with _bulk():
        for rows in iter_rows(app, page=page):
            r.scan(rows)
    return r
