"""The Vangnet application: commands (check, load, act, save) and queries.

One eventsourcing Application (explicit name ``Vangnet``: stable table names)
holds both aggregates, so a command that changes a tenancy and its case saves
both in one transaction, together with the read-model rows computed from them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import deepcopy
from datetime import date
from typing import Any, TypeVar

import attrs
from eventsourcing.application import AggregateNotFoundError, Application, Cache, LRUCache
from eventsourcing.persistence import JSONTranscoder, Mapper, UUIDAsHex

from application import sealing
from application.access import Access, AccessDenied
from application.conflicts import ConcurrencyConflict, retry_on_conflict
from application.ledger_types import ImportRefused, ImportReport, LedgerLine, LineError
from application.ports import (
    Clock,
    Contact,
    ContactDirectory,
    FactKind,
    Letters,
    MunicipalSignal,
    Sms,
    Telephony,
    TelephonyFact,
)
from application.projections import case_ops, tenancy_ops
from application.store import Delete, SideOp, Store, Upsert
from application.transcoding import DateAsISO, FastTranscoder
from application.views import case_dict, eur, tenancy_dict
from application.writepath import FastMapper, register_shape, restore, save_events
from domain import affordability
from domain.affordability import Budget, Verdict
from domain.arrears_case import ArrearsCase, CaseError
from domain.calendar import local_day, on_or_next_business_day
from domain.fast_events import replay
from domain.policy import Policy
from domain.tenancy import Tenancy, TenancyError, tenancy_id_for
from domain.validation import (
    REASON_MAX,
    check_date,
    check_optional_text,
    check_text,
)
from domain.values import (
    END_REASON_CODES,
    SYSTEM,
    Actor,
    Channel,
    IntakeAnswers,
    InvalidValue,
    LedgerKind,
    Outcome,
    Partner,
    Period,
    TaskKind,
)

T = TypeVar("T")
TX_ID = re.compile(r"[A-Za-z0-9._/-]{1,64}")


_TX_KEY = ("source", "tx_id")


def _ledger_tx_row(source: str, ln: LedgerLine, t: Tenancy, tenancy_id: str | None = None) -> Upsert:
    return Upsert("ledger_tx", _TX_KEY, {
        "source": source, "tx_id": ln.transaction_id, "tenancy_id": tenancy_id or str(t.id),
        "kind": ln.kind._value_, "cents": ln.cents, "booked_on": ln.booking_date.isoformat(),
        "content_hash": ln.content_hash,
    })


def gc_paused(fn: Callable[..., T]) -> Callable[..., T]:
    """Run a bulk command with the cyclic garbage collector paused: an import holds tens of
    thousands of live objects (lines, tenancies, rows) that every collection would walk
    again (about a tenth of an import's CPU), and makes no cycles worth collecting early.
    Reference counting still frees everything; the collector resumes afterwards."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        if not gc.isenabled():
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper


class NotFound(LookupError):
    """No such tenancy or case."""


class CommandError(ValueError):
    """A command refused with a clear message (wraps domain errors)."""


def retrying(fn: Callable[..., T]) -> Callable[..., T]:
    """Optimistic concurrency: on a version conflict, run the command again on fresh copies
    (:func:`application.conflicts.retry_on_conflict`)."""

    @functools.wraps(fn)
    def wrapper(self: Vangnet, *args: Any, **kwargs: Any) -> T:
        return retry_on_conflict(
            self, lambda: fn(self, *args, **kwargs),
            f"{fn.__name__}: another writer changed the same record; nothing was saved, try again")

    return wrapper


@attrs.define
class _Deferred:
    """Saves held by ``Vangnet.deferred_saves``: their events, rows and snapshots, in order."""

    events: list[Any] = attrs.Factory(list)
    ops: list[SideOp] = attrs.Factory(list)
    snapshots: list[Any] = attrs.Factory(list)

    @property
    def held(self) -> bool:
        return bool(self.events or self.ops or self.snapshots)


@attrs.frozen
class NewTenancy:
    """One tenancy for ``Vangnet.start_tenancies``: what ``start_tenancy`` takes, plus the
    intake answers and a due day agreed at the start, ``(day, reason)``, when given."""

    ref: str
    rent_cents: int
    start_date: date
    contact: Contact | None = None
    due_day: int | None = None
    intake: IntakeAnswers | None = None
    agreed_due_day: tuple[int, str] | None = None


@attrs.define
class Ports:
    clock: Clock
    telephony: Telephony | None = None
    sms: Sms | None = None
    letters: Letters | None = None
    signals: MunicipalSignal | None = None


class Vangnet(Application):
    name = "Vangnet"
    # snapshot a tenancy every 24 events (about a year of rent and payments): loading a
    # long-lived tenancy starts from its newest snapshot (application.writepath)
    snapshotting_intervals = {Tenancy: 24}  # type: ignore[dict-item]

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.policy = Policy()
        self.access = Access()
        self.seal_key: bytes | None = None  # the chain's seal key (kept outside the store), for audit verify
        self._store: Store | None = None
        self.ports: Ports | None = None
        self._refs: dict[uuid.UUID, str] = {}  # tenancy id -> ref (never changes)
        self._deferred: _Deferred | None = None  # saves held for one write (deferred_saves)
        if self.snapshots is not None:
            # loads go through load_many, which checks a snapshot's shape before using it
            self.repository.snapshot_store = None
            register_shape(Tenancy, Tenancy.start("shape", 1, date(2000, 1, 1), 1, by="shape"))

    # ------------------------------------------------------------ composition
    def attach(self, *, store: Store, ports: Ports, policy: Policy, access: Access) -> None:
        self._store = store
        self.ports = ports
        self.policy = policy
        self.access = access

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the application has no store attached (use adapters.bootstrap.build)")
        if self._deferred is not None and self._deferred.held:
            self.flush_saves()  # whoever reads or writes the store sees every save before
        return self._store

    @property
    def contacts(self) -> ContactDirectory:
        return self.store  # type: ignore[return-value]

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """The library's save; aggregates alone take the lean path (application.writepath)."""
        if all(isinstance(o, (Tenancy, ArrearsCase)) for o in objs):
            save_events(self, objs, kwargs.get("side_ops") or ())
            return []
        return super().save(*objs, **kwargs)

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        # the library's mapper with cached topics and no state copy (application.writepath)
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=FastMapper)

    def construct_transcoder(self) -> JSONTranscoder:
        t = FastTranscoder()
        self.register_transcodings(t)
        return t

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(UUIDAsHex())
        transcoder.register(DateAsISO())

    def forget_cache(self) -> None:
        self.flush_saves()
        # A fresh cache of the same kind: clearing an LRUCache's dict alone leaves its
        # recency list pointing at forgotten keys (KeyError on the next eviction).
        cache = getattr(self.repository, "cache", None)
        if isinstance(cache, LRUCache):
            self.repository.cache = LRUCache(maxsize=cache.maxsize)
        elif cache is not None:
            self.repository.cache = Cache()

    def forget(self, *ids: uuid.UUID) -> None:
        """Drop these aggregates from the cache (a refused command may have changed them
        in memory); the rest of the cache stays, so a long single-writer run (the
        simulation) does not reload every aggregate after each refused command."""
        self.flush_saves()  # reloaded from the store: it holds every save before
        cache = getattr(self.repository, "cache", None)
        if cache is None:
            return
        for i in ids:
            try:
                cache.get(i, evict=True)
            except KeyError:
                pass

    def today(self) -> date:
        assert self.ports is not None
        return self.ports.clock.today()

    # ---------------------------------------------------------------- saving
    def save_all(
        self,
        tenancies: Iterable[Tenancy] = (),
        cases: Iterable[tuple[ArrearsCase, date | None, bool]] = (),
        extra: Sequence[SideOp] = (),
        on: date | None = None,
    ) -> None:
        """Save aggregates and their read-model rows in one transaction.

        ``cases``: (case, next_check, force). A changed tenancy with an open case
        brings that case's next check forward to ``on`` (or today)."""
        ops: list[SideOp] = []
        aggs: list[Any] = []
        refs: dict[uuid.UUID, str] = {}
        touch_day = on or self.today()
        case_list = list(cases)
        case_ids = {c.id for c, _, _ in case_list}
        for t in tenancies:
            aggs.append(t)
            refs[t.id] = t.ref
            ops.extend(tenancy_ops(t, self.policy.tolerance_cents))
            if t.open_case_id is not None and t.open_case_id not in case_ids:
                from application.store import TouchCase

                ops.append(TouchCase(t.open_case_id, touch_day))
            for reached in t.closed_cases_reached(t.pending_events):
                if reached in case_ids:
                    continue
                from application.store import TouchCase

                # a fact booked before a closed case closed, recorded after: that case is
                # re-checked, also when a newer case is open or closed since
                ops.append(TouchCase(reached, touch_day, closed=True))
        for c, next_check, force in case_list:
            aggs.append(c)
            ref = refs.get(c.tenancy_id) or self._ref_of(c.tenancy_id)
            # a case without new events keeps the task rows written with its last event
            ops.extend(case_ops(c, ref, next_check if force else (next_check or touch_day), force=force,
                                tasks=bool(c.pending_events)))
        ops.extend(extra)
        if self._deferred is not None:
            self._defer(aggs, ops)
        else:
            self.save(*aggs, side_ops=ops)
        cache = self.repository.cache
        copy = self.repository.deepcopy_from_cache
        # saved state is the newest: later bulk loads start from it (saving put the
        # aggregates themselves in the cache already unless the cache fast-forwards)
        if cache is not None and (copy or self.repository.fastforward):
            for a in aggs:
                cache.put(a.id, deepcopy(a) if copy else a)

    # ------------------------------------------------------- deferred saves
    @contextlib.contextmanager
    def deferred_saves(self) -> Iterator[None]:
        """Saves inside the block are written together, in the order they were made, in
        one insert when the block ends, or as soon as anything reads or writes the store
        (``store``), loads an aggregate the cache does not hold, or drops one from the
        cache. Each save's events are taken from its aggregates at once (their order and
        versions are those of saving one by one) and its read-model rows computed then.

        Only for a store's single writer (the simulation): no other writer's conflict is
        detected before the block's write, and a failed write loses the block's saves."""
        if self._deferred is not None:
            yield
            return
        self._deferred = _Deferred()
        try:
            yield
        finally:
            try:
                self.flush_saves()
            finally:
                self._deferred = None

    def _defer(self, aggs: Sequence[Any], ops: Sequence[SideOp]) -> None:
        from eventsourcing.domain import Snapshot

        d = self._deferred
        assert d is not None
        every_of = self.snapshotting_intervals if self.snapshots is not None else None
        for a in aggs:
            pending = a.collect_events()
            if not pending:
                continue
            d.events.extend(pending)
            every = every_of.get(type(a)) if every_of else None
            # the snapshot policy of application.writepath.take_due_snapshots, taken now
            if every and (pending[0].originator_version - 1) // every < a.version // every:
                d.snapshots.append(Snapshot.take(a))
        d.ops.extend(ops)
        cache = self.repository.cache
        if cache is not None and not self.repository.fastforward:
            for a in aggs:
                cache.put(a.id, a)

    def flush_saves(self) -> None:
        """Write the saves held by ``deferred_saves`` (nothing outside it)."""
        d = self._deferred
        if d is None or not d.held:
            return
        self._deferred = _Deferred()  # reads during the write go straight to the store
        stored = [self.mapper.to_stored_event(e) for e in d.events]
        self.recorder.insert_events(stored, side_ops=d.ops)
        if d.snapshots:
            assert self.snapshots is not None
            self.snapshots.put(d.snapshots)

    def _ref_of(self, tenancy_id: uuid.UUID) -> str:
        ref = self._refs.get(tenancy_id)
        return ref if ref is not None else self.get_tenancy_by_id(tenancy_id).ref

    # --------------------------------------------------------------- loading
    def _get(self, aggregate_id: uuid.UUID) -> Any:
        repo = self.repository
        if self.snapshots is not None and (repo.cache is None or not repo.fastforward):
            got = self.load_many([aggregate_id]).get(aggregate_id)  # from its newest snapshot
            if got is None:
                raise AggregateNotFoundError(aggregate_id)
            return got
        self.flush_saves()
        agg = self.repository.get(aggregate_id, projector_func=_project)
        if isinstance(agg, Tenancy):
            self._refs[agg.id] = agg.ref
        return agg

    @gc_paused
    def load_many(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """Rebuild many aggregates from one query per 500 ids (the daily run, imports).
        Missing ids are absent from the result."""
        out: dict[uuid.UUID, Any] = {}
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return out
        cache = self.repository.cache
        if cache is not None:  # this process's own saves keep the cache current (see save_all)
            copy = self.repository.deepcopy_from_cache
            missing = []
            for i in wanted:
                try:
                    cached = cache.get(i)
                except KeyError:
                    missing.append(i)
                    continue
                out[i] = deepcopy(cached) if copy else cached
            wanted = missing
            if not wanted:
                return out
        to_event = self.mapper.to_domain_event
        start = self._snapshots_of(wanted)
        agg: Any = None
        after = {i: a.version for i, a in start.items()}  # only what the snapshots do not hold
        for stored in self.store.events_of(wanted, after):
            if agg is not None and agg.id != stored.originator_id:
                out[agg.id] = agg
                agg = None
            if agg is None:
                agg = start.get(stored.originator_id)
            if agg is not None and stored.originator_version <= agg.version:
                continue  # in the snapshot
            agg = replay(to_event(stored), agg)
        if agg is not None:
            out[agg.id] = agg
        for i, a in start.items():  # nothing after its snapshot
            out.setdefault(i, a)
        for i in wanted:
            a = out.get(i)
            if a is None:
                continue
            if isinstance(a, Tenancy):
                self._refs[a.id] = a.ref
            if cache is not None:
                cache.put(i, deepcopy(a) if self.repository.deepcopy_from_cache else a)
        return out

    def _snapshots_of(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """Aggregates rebuilt from their newest usable snapshot (see application.writepath)."""
        if self.snapshots is None:
            return {}
        table = self.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
        out: dict[uuid.UUID, Any] = {}
        for oid, stored in self.store.latest_snapshots(ids, table).items():
            agg = restore(self.mapper.to_domain_event(stored))
            if agg is not None:
                out[oid] = agg
        return out

    def get_tenancy_by_id(self, tenancy_id: uuid.UUID) -> Tenancy:
        try:
            return self._get(tenancy_id)  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            raise NotFound(f"tenancy {tenancy_id} does not exist") from None

    def get_tenancy(self, ref: str) -> Tenancy:
        try:
            return self._get(tenancy_id_for(ref))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            raise NotFound(f"tenancy: {ref!r} does not exist") from None

    def tenancy_exists(self, ref: str) -> bool:
        self.flush_saves()
        return tenancy_id_for(ref) in self.repository

    def get_case(self, case_id: uuid.UUID | str) -> ArrearsCase:
        """A case by its id, by a unique prefix of its id, or by its tenancy's reference
        (the open case, else the latest)."""
        try:
            cid = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
        except ValueError:
            cid = self.resolve_case_id(str(case_id))
        try:
            agg = self._get(cid)
        except AggregateNotFoundError:
            raise NotFound(f"case: {case_id} does not exist") from None
        if not isinstance(agg, ArrearsCase):
            raise NotFound(f"case: {case_id} is not a case")
        return agg

    def resolve_case_id(self, text: str) -> uuid.UUID:
        """A tenancy reference or a unique case-id prefix (at least 4 characters) -> case id."""
        text = text.strip()
        if text and self.tenancy_exists(text):
            rows = self.store.case_rows_of(tenancy_id_for(text))
            if not rows:
                raise NotFound(f"case: tenancy {text!r} has no case")
            open_rows = [r for r in rows if r["status"] == "open"]
            return uuid.UUID((open_rows or rows)[-1]["case_id"])
        prefix = text.lower()
        if len(prefix) >= 4 and re.fullmatch(r"[0-9a-f-]+", prefix):
            found = self.store.case_ids_by_prefix(prefix, limit=2)
            if len(found) == 1:
                return uuid.UUID(found[0])
            if len(found) > 1:
                raise NotFound(f"case: {text!r} matches more than one case; give more characters")
        raise NotFound(f"case: {text!r} is neither a case id, a unique case-id prefix nor a tenancy reference")

    def _guard(self, actor: Actor | None, permission: str) -> Actor:
        return self.access.check(actor, permission)

    # ------------------------------------------------------------- tenancies
    @retrying
    def start_tenancy(
        self,
        actor: Actor,
        ref: str,
        *,
        rent_cents: int,
        start_date: date,
        due_day: int | None = None,
        contact: Contact | None = None,
    ) -> uuid.UUID:
        self._guard(actor, "start_tenancy")
        check_date(start_date, "start")
        if contact is not None:
            contact = clean_contact(contact)
        if self.tenancy_exists(ref):
            raise CommandError(f"tenancy: {ref!r} already exists")
        try:
            t = Tenancy.start(ref, rent_cents, start_date, due_day or self.policy.default_due_day, by=str(actor))
        except (TenancyError, InvalidValue) as e:
            raise CommandError(str(e)) from None
        extra: list[SideOp] = [Upsert("tenancy_keys", ("tenancy_id",), {"tenancy_id": str(t.id), "key": sealing.new_key()})]
        if contact is not None:
            extra.append(self._contact_upsert(t.id, contact))
        self.save_all([t], extra=extra, on=start_date)
        return t.id

    @retrying
    def start_tenancies(self, actor: Actor, starts: Sequence[NewTenancy]) -> list[Tenancy]:
        """Start many tenancies, each with its intake and an agreed due day when given, in
        one transaction: the same checks, events and read-model rows as ``start_tenancy``,
        ``record_intake`` and ``agree_due_day`` one by one, in that order per tenancy.
        Any refused step refuses them all (nothing is written); the error names the ref."""
        self._guard(actor, "start_tenancy")
        if any(s.intake is not None for s in starts):
            self._guard(actor, "record_intake")
        if any(s.agreed_due_day is not None for s in starts):
            self._guard(actor, "agree_due_day")
        ids = [tenancy_id_for(s.ref) for s in starts]
        existing = self.load_many(ids)
        seen: set[uuid.UUID] = set()
        out: list[Tenancy] = []
        extra: list[SideOp] = []
        for s, tid in zip(starts, ids, strict=True):
            if tid in existing or tid in seen:
                raise CommandError(f"tenancy: {s.ref!r} already exists")
            seen.add(tid)
            try:
                check_date(s.start_date, "start")
                contact = clean_contact(s.contact) if s.contact is not None else None
                if s.agreed_due_day is not None:
                    reason = check_text(s.agreed_due_day[1], "reason", max_len=REASON_MAX)
                    if not reason.strip():
                        raise CommandError("reason: an agreed due day needs a reason")
                t = Tenancy.start(s.ref, s.rent_cents, s.start_date, s.due_day or self.policy.default_due_day,
                                  by=str(actor))
                key = sealing.new_key()
                extra.append(Upsert("tenancy_keys", ("tenancy_id",), {"tenancy_id": str(t.id), "key": key}))
                if contact is not None:
                    extra.append(self._contact_upsert(t.id, contact))
                if s.intake is not None:
                    self._answer_intake(t, key, s.intake, s.start_date, actor)
                if s.agreed_due_day is not None:
                    self._agree_due_day(t, key, s.agreed_due_day[0], reason, s.start_date, actor)
            except (TenancyError, InvalidValue, CommandError) as e:
                raise CommandError(f"tenancy {s.ref}: {e}") from None
            out.append(t)
        if out:
            self.save_all(out, extra=extra, on=max(s.start_date for s in starts))
        return out

    def _contact_upsert(self, tenancy_id: uuid.UUID, c: Contact) -> Upsert:
        return Upsert("contact_directory", ("tenancy_id",), {
            "tenancy_id": str(tenancy_id), "name": c.name, "phone": c.phone, "address": c.address,
            "iban": c.iban, "municipality": c.municipality,
        })

    def update_contact(self, actor: Actor, ref: str, contact: Contact, *, on: date | None = None) -> None:
        """Replace the contact details of ``ref`` (fields left None keep their value);
        every change is kept in the contact history (personal data: erased with the rest)."""
        self._guard(actor, "update_contact")
        contact = clean_contact(contact)
        t = self.get_tenancy(ref)
        if self.store.key(t.id) is None:
            raise CommandError(f"tenancy {ref}: personal data was erased; contact details cannot be recorded")
        old = self.store.contact(t.id)
        fields = ("name", "phone", "address", "iban", "municipality")
        given = {f: (getattr(contact, f) if getattr(contact, f) is not None else getattr(old, f, None)) for f in fields}
        merged: dict[str, str | None] = {f: (v.strip() or None) if isinstance(v, str) else v for f, v in given.items()}
        if old is not None and all(getattr(old, f) == merged[f] for f in fields):
            return
        day = on or self.today()
        self.store.apply([
            self._contact_upsert(t.id, Contact(tenancy_id=t.id, name=merged["name"], phone=merged["phone"],
                                               address=merged["address"], iban=merged["iban"],
                                               municipality=merged["municipality"])),
            Upsert("contact_history", ("change_id",), {
                "change_id": uuid.uuid4().hex, "tenancy_id": str(t.id), "changed_on": day.isoformat(),
                "by": str(actor), **merged}),
        ])

    def _key(self, tenancy_id: uuid.UUID) -> bytes:
        key = self.store.key(tenancy_id)
        if key is None:
            raise CommandError(f"tenancy {tenancy_id}: personal data was erased; sensitive answers cannot be recorded")
        return key

    def seal_text(self, tenancy_id: uuid.UUID, text: Any) -> str:
        """Free text that may hold personal or health data (a worry reason, a contact note,
        referral details, a decision reason), sealed with the tenancy key like the intake."""
        return sealing.seal(self._key(tenancy_id), tenancy_id, text)

    def open_text(self, tenancy_id: uuid.UUID, value: Any) -> Any:
        return sealing.open_text(self.store.key(tenancy_id), tenancy_id, value)

    @retrying
    def record_intake(self, actor: Actor, ref: str, answers: IntakeAnswers, *, on: date | None = None) -> Tenancy:
        self._guard(actor, "record_intake")
        t = self.get_tenancy(ref)
        on = on or self.today()
        self._answer_intake(t, self._key(t.id), answers, on, actor)
        self.save_all([t], on=on)
        return t

    @staticmethod
    def _answer_intake(t: Tenancy, key: bytes, answers: IntakeAnswers, on: date, actor: Actor) -> None:
        reasons = answers.profile_reasons()
        try:
            t.answer_intake(
                sealed_answers=sealing.seal(key, t.id, answers.as_dict()),
                reasons=reasons,
                sealed_reasons=sealing.seal(key, t.id, reasons) if reasons else None,
                proposed_due_day=answers.proposed_due_day(t.due_day),
                on=on,
                by=str(actor),
            )
        except TenancyError as e:
            raise CommandError(str(e)) from None

    def _tenancy_command(self, actor: Actor, permission: str, ref: str, on: date | None,
                         act: Callable[[Tenancy, date], None], *, refusal: str | None = None,
                         errors: tuple[type[Exception], ...] = (TenancyError,)) -> None:
        """One staff command on one tenancy: permission, the tenancy, the day (``on`` or
        today), a ``refusal`` (where given, the command is refused with it once the tenancy
        is found), the change (``errors`` become a ``CommandError``), then one save."""
        self._guard(actor, permission)
        t = self.get_tenancy(ref)
        day = on or self.today()
        if refusal is not None:
            raise CommandError(refusal)
        try:
            act(t, day)
        except errors as e:
            raise CommandError(str(e)) from None
        self.save_all([t], on=day)

    @retrying
    def assign_profile(self, actor: Actor, ref: str, *, reason: str, on: date | None = None) -> None:
        reason = check_text(reason, "reason", max_len=REASON_MAX)
        self._tenancy_command(actor, "assign_profile", ref, on, lambda t, day: t.assign_profile(
            sealed_reason=sealing.seal(self._key(t.id), t.id, [reason]), on=day, by=str(actor)))

    @retrying
    def lift_profile(self, actor: Actor, ref: str, *, reason: str, on: date | None = None) -> None:
        reason = check_text(reason, "reason", max_len=REASON_MAX)
        self._tenancy_command(actor, "lift_profile", ref, on, lambda t, day: t.lift_profile(
            sealed_reason=sealing.seal(self._key(t.id), t.id, [reason]), on=day, by=str(actor)))

    @retrying
    def agree_due_day(self, actor: Actor, ref: str, *, day: int, reason: str, on: date | None = None) -> None:
        reason = check_text(reason, "reason", max_len=REASON_MAX)
        self._tenancy_command(
            actor, "agree_due_day", ref, on,
            lambda t, d: self._agree_due_day(t, self._key(t.id), day, reason, d, actor), errors=(),
            refusal=None if reason.strip() else "reason: an agreed due day needs a reason")

    @staticmethod
    def _agree_due_day(t: Tenancy, key: bytes, day: int, reason: str, on: date, actor: Actor) -> None:
        try:
            # the reason often names a benefit or a debt: sealed like the intake answers
            t.agree_due_day(day=day, reason=sealing.seal(key, t.id, reason), on=on, by=str(actor))
        except (TenancyError, InvalidValue) as e:
            raise CommandError(str(e)) from None

    @retrying
    def raise_worry(self, actor: Actor, ref: str, *, reason: str, on: date | None = None) -> None:
        reason = check_text(reason, "reason", max_len=REASON_MAX)
        self._tenancy_command(
            actor, "raise_worry", ref, on,
            lambda t, day: t.raise_worry(reason=self.seal_text(t.id, reason), on=day, by=str(actor)), errors=(),
            refusal=None if reason.strip() else "reason: a worry flag needs a reason")

    @retrying
    def record_representative(self, actor: Actor, ref: str, *, role: str, name: str, address: str,
                              organisation: str | None = None, on: date | None = None) -> None:
        """A protection administrator (beschermingsbewindvoerder) or a debt counsellor acts
        for the tenant from ``on``: letters are addressed to them, with a copy to the tenant
        (``domain.addressees``). The event names the role only; name, organisation and
        postal address go to the contact directory (personal data, erased with the rest)."""
        self._guard(actor, "update_contact")
        name = check_text(name, "name", max_len=200)
        address = check_text(address, "address", max_len=300, multiline=True)
        organisation = check_optional_text(organisation, "organisation", max_len=200)
        if not name.strip() or not address.strip():
            raise CommandError("representative: give a name and a postal address (letters are sent there)")
        t = self.get_tenancy(ref)
        if self.store.key(t.id) is None:
            raise CommandError(f"tenancy {ref}: personal data was erased; a representative cannot be recorded")
        day = on or self.today()
        try:
            t.record_representative(role=role, on=day, by=str(actor))
        except (TenancyError, InvalidValue) as e:
            raise CommandError(str(e)) from None
        self.save_all([t], extra=[Upsert("representatives", ("rep_id",), {
            "rep_id": f"{t.id}:{role}", "tenancy_id": str(t.id), "role": role, "name": name.strip(),
            "organisation": (organisation or "").strip() or None, "address": address.strip(),
            "since": day.isoformat()})], on=day)

    @retrying
    def end_representative(self, actor: Actor, ref: str, *, role: str, on: date | None = None) -> None:
        """The administrator's or counsellor's role ended: letters go to the tenant again."""
        self._guard(actor, "update_contact")
        t = self.get_tenancy(ref)
        day = on or self.today()
        try:
            t.end_representative(role=role, on=day, by=str(actor))
        except TenancyError as e:
            raise CommandError(str(e)) from None
        self.save_all([t], extra=[Delete("representatives", {"rep_id": f"{t.id}:{role}"})], on=day)

    @retrying
    def lift_worry(self, actor: Actor, ref: str, *, reason: str, on: date | None = None) -> None:
        reason = check_text(reason, "reason", max_len=REASON_MAX)
        self._tenancy_command(actor, "lift_worry", ref, on, lambda t, day: t.lift_worry(
            reason=self.seal_text(t.id, reason), on=day, by=str(actor)))

    @retrying
    def end_tenancy(self, actor: Actor, ref: str, *, on: date, reason: str) -> None:
        reason = check_text(reason, "reason", max_len=REASON_MAX)
        self._guard(actor, "end_tenancy")
        t = self.get_tenancy(ref)
        if reason not in END_REASON_CODES:  # free text may say why (a death, a care home): sealed
            reason = self.seal_text(t.id, reason)
        try:
            t.end(on=on, reason=reason, by=str(actor))
        except TenancyError as e:
            raise CommandError(str(e)) from None
        self.save_all([t], on=on)

    # ----------------------------------------------------------------- ledger
    @retrying
    def charge_rent(self, actor: Actor, ref: str, *, period: Period, cents: int, booked_on: date | None = None,
                    tx_id: str | None = None, source: str = "manual") -> None:
        self._guard(actor, "post_ledger")
        line = LedgerLine(line=1, transaction_id=tx_id or f"{ref}/rent-{period}", tenancy_ref=ref,
                          booking_date=booked_on or period.first_day(), kind=LedgerKind.CHARGE, cents=cents,
                          period=str(period))
        self.import_ledger(actor, [line], source=source, _permission="post_ledger")

    def pay(self, actor: Actor, ref: str, *, cents: int, booked_on: date, tx_id: str, source: str = "manual") -> ImportReport:
        if not TX_ID.fullmatch(tx_id or ""):
            raise CommandError(f"tx: {tx_id!r} must be 1-64 letters, digits, '.', '_', '/' or '-'")
        check_date(booked_on, "date")
        line = LedgerLine(line=1, transaction_id=tx_id, tenancy_ref=ref, booking_date=booked_on,
                          kind=LedgerKind.PAYMENT, cents=cents)
        return self.import_ledger(actor, [line], source=source, _permission="post_ledger")

    @retrying
    @gc_paused
    def import_ledger(
        self,
        actor: Actor,
        lines: Sequence[LedgerLine],
        *,
        source: str,
        dry_run: bool = False,
        skip_invalid: bool = False,
        rows_read: int | None = None,
        prior_errors: Sequence[LineError] = (),
        extra: Sequence[SideOp] = (),
        progress: Callable[[int], None] | None = None,
        on_chunk: Callable[[int, int], None] | None = None,
        _permission: str = "import_ledger",
    ) -> ImportReport:
        """Check every line against the store, then write them in chunks under one import
        id (``application.bulk``; ``on_chunk(written, total)`` after each chunk).

        Any error refuses the whole import (``ImportRefused``) unless ``skip_invalid``.
        A line already imported with identical content is skipped; the same id with
        other content is an error."""
        self._guard(actor, _permission)
        report = ImportReport(source=source, rows_read=rows_read if rows_read is not None else len(lines), dry_run=dry_run)
        errors: list[LineError] = list(prior_errors)
        known = self.store.known_transactions(source, [ln.transaction_id for ln in lines])
        ids = {r: tenancy_id_for(r) for r in {ln.tenancy_ref for ln in lines}}
        loaded = self.load_many(ids.values())
        tenancies: dict[str, Tenancy | None] = {r: loaded.get(i) for r, i in ids.items()}
        changed: dict[str, Tenancy] = {}
        accepted: dict[str, list[LedgerLine]] = {}  # the lines applied, per tenancy ref
        tx_rows: dict[str, list[SideOp]] = {}  # tenancy ref -> the ledger rows of its lines
        text_ids: dict[str, str] = {}  # tenancy ref -> its id as text (ledger rows)
        for n, ln in enumerate(lines, start=1):
            if progress is not None and n % 1000 == 0:
                progress(1000)
            k = known.get(ln.transaction_id)
            if k is not None:
                if k["content_hash"] == ln.content_hash:
                    report.skipped += 1
                else:
                    errors.append(LineError(ln.line, "transaction_id", ln.transaction_id,
                                            f"already imported from source {source!r} with different content"))
                continue
            t = tenancies[ln.tenancy_ref]
            if t is None:
                errors.append(LineError(ln.line, "tenancy_id", ln.tenancy_ref, "unknown tenancy"))
                continue
            if ln.booking_date < t.start_date:
                errors.append(LineError(ln.line, "booking_date", ln.booking_date.strftime("%d-%m-%Y"),
                                        f"before the tenancy started ({t.start_date.strftime('%d-%m-%Y')})"))
                continue
            try:
                if ln.kind == LedgerKind.REVERSAL and not t.has_transaction(source, ln.reverses_transaction_id or ""):
                    ref_tx = ln.reverses_transaction_id or ""
                    owner = self.store.transaction_tenancy(source, ref_tx)
                    reason = (f"payment {ref_tx!r} belongs to another tenancy" if owner is not None
                              else f"unknown payment {ref_tx!r}")
                    errors.append(LineError(ln.line, "reverses_transaction_id", ref_tx, reason))
                    continue
                self._apply_ledger_line(t, ln, source)
            except (TenancyError, InvalidValue) as e:
                column = str(e).split(":", 1)[0]
                values = {"amount": str(ln.cents), "date": ln.booking_date.isoformat(), "period": ln.period or "",
                          "reverses_transaction_id": ln.reverses_transaction_id or "",
                          "reason_code": ln.reason_code or ""}
                if column not in values:
                    column = "transaction_id"
                errors.append(LineError(ln.line, "booking_date" if column == "date" else column,
                                        values.get(column, ln.transaction_id), str(e)))
                continue
            ref = t.ref
            kind = ln.kind._value_
            report.imported[kind] = report.imported.get(kind, 0) + 1
            tid = text_ids.get(ref)
            if tid is None:  # the tenancy's first line
                tid = text_ids[ref] = str(t.id)
                changed[ref] = t
                accepted[ref] = [ln]
                tx_rows[ref] = [_ledger_tx_row(source, ln, t, tid)]
            else:
                accepted[ref].append(ln)
                tx_rows[ref].append(_ledger_tx_row(source, ln, t, tid))
        if errors and not skip_invalid:
            self.forget_cache()
            raise ImportRefused(sorted(errors, key=lambda e: (e.line, e.column)))
        report.rejected = sorted(errors, key=lambda e: (e.line, e.column))
        if skip_invalid and errors:
            # aggregates may hold events of rejected lines? No: a line is applied only when valid.
            pass
        if dry_run:
            self.forget_cache()
            return report
        if changed or extra:
            on = max((ln.booking_date for ln in lines), default=None)
            self._write_import(source, lines, changed, accepted, tx_rows, extra, on, on_chunk)
        return report

    def _apply_ledger_line(self, t: Tenancy, ln: LedgerLine, source: str) -> None:
        """Record one checked ledger line on its tenancy (domain errors propagate)."""
        if ln.kind == LedgerKind.CHARGE:
            t.charge_rent(period=Period.parse(ln.period or ""), cents=ln.cents, source=source,
                          tx_id=ln.transaction_id, booked_on=ln.booking_date)
        elif ln.kind == LedgerKind.PAYMENT:
            t.receive_payment(cents=ln.cents, source=source, tx_id=ln.transaction_id, booked_on=ln.booking_date)
        elif ln.kind == LedgerKind.CREDIT:
            t.post_credit(cents=ln.cents, source=source, tx_id=ln.transaction_id,
                          booked_on=ln.booking_date, reason=self._sealed_description(t.id, ln.description))
        else:
            t.reverse_payment(cents=ln.cents, source=source, tx_id=ln.transaction_id,
                              reverses=ln.reverses_transaction_id or "", reason_code=ln.reason_code or "",
                              booked_on=ln.booking_date)

    def _write_import(self, source: str, lines: Sequence[LedgerLine], changed: dict[str, Tenancy],
                      accepted: dict[str, list[LedgerLine]], tx_rows: dict[str, list[SideOp]],
                      extra: Sequence[SideOp],
                      on: date | None, on_chunk: Callable[[int, int], None] | None) -> None:
        """Write a checked import in chunks under one import id (application.bulk).

        A chunk that collides with another writer (an officer's payment on one of its
        tenancies since the import read them) is rebuilt: its tenancies are read again
        and their lines applied anew, and the chunk is written again; the chunks before
        it stay written."""
        from application import bulk

        def rebuild(refs: Sequence[str]) -> tuple[list[Tenancy], dict[str, list[SideOp]]]:
            ids = [tenancy_id_for(r) for r in refs]
            self.forget(*ids)
            fresh = self.load_many(ids)
            out: list[Tenancy] = []
            rows: dict[str, list[SideOp]] = {}
            for r, i in zip(refs, ids, strict=True):
                t = fresh[i]
                for ln in accepted[r]:
                    if t.has_transaction(source, ln.transaction_id):
                        continue  # already recorded (by the same import run elsewhere)
                    try:
                        self._apply_ledger_line(t, ln, source)
                    except (TenancyError, InvalidValue) as e:
                        self.forget(*ids)
                        raise CommandError(
                            f"line {ln.line}: {e} (changed by another writer during the import); the lines "
                            "before it are imported: correct the file and import it again") from None
                    rows.setdefault(r, []).append(_ledger_tx_row(source, ln, t))
                if t.pending_events:
                    out.append(t)
            return out, rows

        bulk.write_in_chunks(self, iid=bulk.import_id(source, (ln.content_hash for ln in lines)), source=source,
                             tenancies=list(changed.values()), tx_rows=tx_rows, extra=extra, on=on,
                             on_chunk=on_chunk, rebuild=rebuild)

    def _sealed_description(self, tenancy_id: uuid.UUID, text: str) -> str:
        """A ledger line's description (it may name a person or a reason): sealed; dropped
        when the tenancy's personal data was erased."""
        if not text:
            return ""
        key = self.store.key(tenancy_id)
        return sealing.seal(key, tenancy_id, text) if key is not None else ""

    # ----------------------------------------------------------------- cases
    def _case_command(self, case_id: uuid.UUID | str, actor: Actor, permission: str,
                      act: Callable[[ArrearsCase, Tenancy], None], on: date | None) -> ArrearsCase:
        self._guard(actor, permission)
        case = self.get_case(case_id)
        check_expected_version(case)
        tenancy = self.get_tenancy_by_id(case.tenancy_id)
        day = on or self.today()
        try:
            act(case, tenancy)
        except (CaseError, TenancyError, InvalidValue) as e:
            self.forget(case.id, tenancy.id)  # only these two may hold unsaved changes
            raise CommandError(str(e)) from None
        tenancies = [tenancy] if tenancy.pending_events else []
        self.save_all(tenancies, [(case, day, False)], on=day)
        return case

    @retrying
    def record_contact(self, actor: Actor, case_id: uuid.UUID | str, *, channel: Channel, outcome: Outcome,
                       on: date | None = None, promise_date: date | None = None, needs_help: bool = False,
                       task_id: str | None = None, note: str | None = None) -> ArrearsCase:
        day = on or self.today()
        if channel not in (Channel.PHONE, Channel.HOME_VISIT):
            raise CommandError(f"channel: {channel.value!r}; officers record phone or home_visit contacts")
        if promise_date is not None and outcome != Outcome.REACHED:
            raise CommandError("promise_date: a promise needs the tenant reached")

        def act(c: ArrearsCase, t: Tenancy) -> None:
            tid = task_id
            if tid is None:  # the oldest open task of this channel is the one done
                for task in sorted(c.open_tasks(), key=lambda x: x["due_on"]):
                    if task["kind"] == channel.value:
                        tid = task["task_id"]
                        break
            c.record_contact(channel=channel, outcome=outcome, on=day, by=str(actor), task_id=tid,
                             needs_help=needs_help)
            if note and note.strip():
                c.add_note(about=f"contact:{len(c.contacts)}", sealed=self.seal_text(t.id, note), on=day,
                           by=str(actor))
            if promise_date is not None:
                c.promise_to_pay(pay_by=promise_date, on=day, by=str(actor))

        return self._case_command(case_id, actor, "record_contact", act, day)

    @retrying
    def close_task(self, actor: Actor, case_id: uuid.UUID | str, task_id: str, *, outcome: str,
                   on: date | None = None) -> ArrearsCase:
        day = on or self.today()
        local = task_id.split(".", 1)[1] if "." in task_id else task_id
        return self._case_command(case_id, actor, "close_task",
                                  lambda c, t: c.close_task(local, on=day, by=str(actor), outcome=outcome), day)

    @retrying
    def promise_to_pay(self, actor: Actor, case_id: uuid.UUID | str, *, pay_by: date, on: date | None = None) -> ArrearsCase:
        day = on or self.today()
        return self._case_command(case_id, actor, "promise_to_pay",
                                  lambda c, t: c.promise_to_pay(pay_by=pay_by, on=day, by=str(actor)), day)

    @retrying
    def refer(self, actor: Actor, case_id: uuid.UUID | str, *, partner: Partner, consent: bool,
              on: date | None = None, details: str | None = None) -> ArrearsCase:
        day = on or self.today()

        def act(c: ArrearsCase, t: Tenancy) -> None:
            c.refer(partner=partner, consent=consent, on=day, by=str(actor))
            if details and details.strip():
                c.add_note(about=f"referral:{partner.value}:{len(c.referrals)}",
                           sealed=self.seal_text(t.id, details), on=day, by=str(actor))

        return self._case_command(case_id, actor, "refer", act, day)

    @retrying
    def accept_referral(self, actor: Actor, case_id: uuid.UUID | str, *, partner: Partner,
                        on: date | None = None) -> ArrearsCase:
        day = on or self.today()
        return self._case_command(
            case_id, actor, "accept_referral",
            lambda c, t: c.accept_referral(partner=partner, on=day, by=str(actor),
                                           pause_days=self.policy.debt_counselling_pause_days), day)

    @retrying
    def change_programme(self, actor: Actor, case_id: uuid.UUID | str, *, state: str,
                         on: date | None = None) -> ArrearsCase:
        """Record the debt-help programme's new state (as the counsellor reports it)."""
        day = on or self.today()
        return self._case_command(case_id, actor, "record_programme",
                                  lambda c, t: c.change_programme(state=state, on=day, by=str(actor)), day)

    @retrying
    def record_household(self, actor: Actor, case_id: uuid.UUID | str, *, children: bool, care: bool,
                         social_services: bool, note: str | None = None, on: date | None = None) -> ArrearsCase:
        """Household facts before legal action (children, known care, social-services
        involvement, and what else the officer saw), sealed with the tenancy key."""
        day = on or self.today()
        facts = {"children": children, "care": care, "social_services": social_services, "note": note or ""}
        return self._case_command(
            case_id, actor, "record_household",
            lambda c, t: c.record_household(sealed=self.seal_text(t.id, facts), on=day, by=str(actor)), day)

    @retrying
    def record_court_event(self, actor: Actor, case_id: uuid.UUID | str, *, kind: str, on: date | None = None,
                           outcome: str | None = None, scheduled_on: date | None = None) -> ArrearsCase:
        """Summons, hearing, judgment, eviction date, eviction prevented or carried out."""
        day = on or self.today()
        self._guard(actor, "record_court_event")
        case = self.get_case(case_id)
        try:
            case.record_court_event(kind=kind, on=day, by=str(actor), outcome=outcome, scheduled_on=scheduled_on)
        except CaseError as e:
            self.forget_cache()
            raise CommandError(str(e)) from None
        self.save_all([], [(case, day, False)], on=day)
        return case

    @retrying
    def decline_referral(self, actor: Actor, case_id: uuid.UUID | str, *, partner: Partner,
                         on: date | None = None) -> ArrearsCase:
        day = on or self.today()
        return self._case_command(case_id, actor, "decline_referral",
                                  lambda c, t: c.decline_referral(partner=partner, on=day, by=str(actor)), day)

    @retrying
    def agree_arrangement(self, actor: Actor, case_id: uuid.UUID | str, *, instalments: int, first_date: date,
                          on: date | None = None, amount_cents: int | None = None,
                          budget: Budget | None = None) -> ArrearsCase:
        return self.arrange(actor, case_id, instalments=instalments, first_date=first_date, on=on,
                            amount_cents=amount_cents, budget=budget)[0]

    @retrying
    def arrange(self, actor: Actor, case_id: uuid.UUID | str, *, instalments: int, first_date: date,
                on: date | None = None, amount_cents: int | None = None,
                budget: Budget | None = None) -> tuple[ArrearsCase, Verdict | None]:
        """Agree a payment arrangement in monthly instalments. With a ``budget`` the largest
        instalment is checked against it (ARR-AFFORD): refused when it does not fit, agreed
        with a warning when it is tight; the figures and the verdict's reason are sealed."""
        day = on or self.today()
        if instalments < 1 or instalments > 60:
            raise CommandError(f"instalments: {instalments} must be between 1 and 60")
        verdicts: list[Verdict] = []

        def act(c: ArrearsCase, t: Tenancy) -> None:
            total = amount_cents if amount_cents is not None else t.arrears_cents(as_of=day)
            if total <= 0:
                raise CaseError("arrangement: there are no arrears to arrange")
            base, rest = divmod(total, instalments)
            from domain.calendar import add_months

            plan = [(add_months(first_date, i), base + (1 if i < rest else 0)) for i in range(instalments)]
            if budget is not None:
                v = affordability.check(budget, rent_cents=t.rent_cents, instalment_cents=max(x for _, x in plan),
                                        policy=self.policy)
                if v.verdict == affordability.UNAFFORDABLE:
                    raise CaseError(f"arrangement refused (ARR-AFFORD): {v.reason}")
                c.record_budget_check(verdict=v.verdict, sealed=self.seal_text(t.id, {
                    "income_cents": budget.income_cents, "fixed_costs_cents": budget.fixed_costs_cents,
                    "people": budget.people, "room_cents": v.room_cents, "reason": v.reason}), on=day, by=str(actor))
                verdicts.append(v)
            c.agree_arrangement(instalments=plan, on=day, by=str(actor))

        case = self._case_command(case_id, actor, "agree_arrangement", act, day)
        return case, (verdicts[-1] if verdicts else None)

    @retrying
    def object_to_signal(self, actor: Actor, case_id: uuid.UUID | str, *, on: date | None = None) -> ArrearsCase:
        day = on or self.today()
        return self._case_command(case_id, actor, "object_to_signal",
                                  lambda c, t: c.object_to_signal(on=day, by=str(actor)), day)

    @retrying
    def approve_bailiff(self, actor: Actor, case_id: uuid.UUID | str, *, on: date | None = None) -> ArrearsCase:
        day = on or self.today()
        return self._case_command(case_id, actor, "approve_bailiff",
                                  lambda c, t: c.hand_over_to_bailiff(on=day, approved_by=str(actor)), day)

    @retrying
    def decide_legal_action(self, actor: Actor, case_id: uuid.UUID | str, *, reason: str,
                            on: date | None = None) -> ArrearsCase:
        reason = check_text(reason, "reason", max_len=REASON_MAX)
        day = on or self.today()
        if not reason.strip():
            raise CommandError("reason: a legal-action decision needs a reason")
        return self._case_command(
            case_id, actor, "decide_legal_action",
            lambda c, t: c.decide_legal_action(by=str(actor), reason=self.seal_text(t.id, reason), on=day), day)

    @retrying
    def pause_case(self, actor: Actor, case_id: uuid.UUID | str, *, until: date, reason: str,
                   on: date | None = None) -> ArrearsCase:
        reason = check_text(reason, "reason", max_len=REASON_MAX)
        day = on or self.today()
        return self._case_command(
            case_id, actor, "pause_case",
            lambda c, t: c.pause(until=until, reason=self.seal_text(t.id, reason), on=day, by=str(actor)), day)

    # ------------------------------------------------------- telephony facts
    @retrying
    def fact_sink(self, actor: Actor) -> FactRecorder:
        """A sink for provider facts (a vendor's result files) that records them for
        ``actor``: the ``record_facts`` right is checked here, before any file is read,
        and again for each batch, always for the same actor (no check as one actor and
        write as another)."""
        self._guard(actor, "record_facts")
        return FactRecorder(self, actor)

    def record_facts(self, facts: Sequence[TelephonyFact], actor: Actor = SYSTEM) -> int:
        """Record each provider fact once as a case event. Returns how many were new."""
        self._guard(actor, "record_facts")
        by_case: dict[uuid.UUID, list[TelephonyFact]] = {}
        for f in facts:
            cid = attempt_case_id(f.attempt_id)
            if cid is not None:
                by_case.setdefault(cid, []).append(f)
        recorded = 0
        saves: list[tuple[ArrearsCase, date | None, bool]] = []
        for cid, fs in by_case.items():
            try:
                case = self.get_case(cid)
            except NotFound:
                continue
            before = len(case.pending_events)
            for f in fs:
                recorded += self._apply_fact(case, f)
            if len(case.pending_events) > before:
                day = max(local_day(f.occurred_at) for f in fs)
                saves.append((case, day, False))
        if saves:
            self.save_all([], saves)
        return recorded

    def _apply_fact(self, case: ArrearsCase, f: TelephonyFact) -> int:
        local = attempt_local_id(f.attempt_id)
        day = local_day(f.occurred_at)
        is_sms = local in case.sms
        if not is_sms and local not in case.robocalls:
            return 0
        if f.provider_id in case.facts:
            return 0
        state = case.sms.get(local) if is_sms else case.robocalls.get(local)
        if f.kind == FactKind.TRANSFERRED and not is_sms and case.is_open:
            if f.detail == "connected":  # the tenant spoke to an officer: a live contact
                rec = case.record_contact(channel=Channel.PHONE, outcome=Outcome.REACHED, on=day, by="officer-line",
                                          attempt_id=local, provider_id=f.provider_id, rule="STD-TRANSFER")
                return int(rec)
            if f.detail == "no_agent":  # asked for an officer, nobody free: call the tenant back
                before = len(case.pending_events)
                case.create_task(task_id=f"task:callback:{local}", kind=TaskKind.CALL_BACK.value,
                                 due_on=on_or_next_business_day(day), rule="STD-TRANSFER-NO-AGENT",
                                 inputs={"robocall": local}, on=day)
                return int(len(case.pending_events) > before)
            return 0
        outcome = fact_outcome(f)
        if outcome is None:
            return 0
        if not is_sms and state and state["outcome"] is not None and f.kind == FactKind.COMPLETED:
            return 0  # the decisive outcome was recorded already
        channel = Channel.SMS if is_sms else Channel.ROBOCALL
        rec = case.record_contact(channel=channel, outcome=outcome, on=day, by="system", attempt_id=local,
                                  provider_id=f.provider_id, rule="TEL-FACT")
        return int(rec)

    # ------------------------------------------------------------- erasure
    def erase_personal_data(self, actor: Actor, ref: str) -> None:
        self._guard(actor, "erase_personal_data")
        t = self.get_tenancy(ref)
        from application.redaction import redact_legacy_free_text

        # free text stored in plain before it was sealed is erased from the stored events too,
        # in the same transaction, with the redaction recorded in the hash chain
        redact_legacy_free_text(self, t, on=self.today(), by=str(actor), extra=[
            Delete("contact_directory", {"tenancy_id": str(t.id)}),
            Delete("contact_history", {"tenancy_id": str(t.id)}),
            Delete("representatives", {"tenancy_id": str(t.id)}),
            Delete("tenancy_keys", {"tenancy_id": str(t.id)}),
            Upsert("erasures", ("tenancy_id",), {"tenancy_id": str(t.id), "erased_on": self.today().isoformat(),
                                                 "by": str(actor)})])

    def redact_erased(self, actor: Actor) -> dict[str, int]:
        """For stores erased before plain free text was redacted: erase the plain free text of
        every tenancy already erased (``privacy erase`` does it since). Ref -> events rewritten."""
        from application.redaction import redact_legacy_free_text

        self._guard(actor, "erase_personal_data")
        out: dict[str, int] = {}
        for row in self.store.read_model_rows("erasures"):
            t = self.get_tenancy_by_id(uuid.UUID(row["tenancy_id"]))
            n = redact_legacy_free_text(self, t, on=self.today(), by=str(actor))
            if n:
                out[t.ref] = n
        return out

    # --------------------------------------------------------------- queries
    def tenancy_view(self, actor: Actor, ref: str) -> dict[str, Any]:
        self._guard(actor, "read")
        t = self.get_tenancy(ref)
        return tenancy_dict(t, self.store.key(t.id), self.policy.tolerance_cents)

    def case_view(self, actor: Actor, case_id: uuid.UUID | str) -> dict[str, Any]:
        self._guard(actor, "read")
        c = self.get_case(case_id)
        t = self.get_tenancy_by_id(c.tenancy_id)
        return case_dict(c, t, self.store.key(t.id))

    def list_cases(self, actor: Actor, *, open_only: bool = False) -> list[dict[str, Any]]:
        self._guard(actor, "read")
        return self.store.list_cases(open_only=open_only)

    def _household_facts(self, case_id: str) -> Any:
        """The latest household facts of a case (``None`` when none were recorded)."""
        return _household_text(self, self.get_case(case_id))

    def worklist(self, actor: Actor, day: date) -> list[dict[str, Any]]:
        self._guard(actor, "read")
        rows = self.store.tasks(until=day)
        balances = self.store.balances({r["tenancy_id"] for r in rows if r.get("tenancy_id")}) if rows else {}
        out = []
        for r in rows:
            days_late = (day - date.fromisoformat(r["case_due_date"])).days
            row = {**r, "days_late": days_late, "amount": _eur(balances.get(r.get("tenancy_id", ""), 0) or 0)}
            if r["kind"] == "review_legal_action":  # the decision sees the household
                row["household"] = self._household_facts(r["case_id"])
            out.append(row)
        out.sort(key=lambda r: (r["priority"], -r["days_late"], r["due_on"], r["task_id"]))
        return out


def _household_text(app: Vangnet, case: ArrearsCase) -> Any:
    if not case.household:
        return None
    return sealing.unseal(app.store.key(case.tenancy_id), case.tenancy_id, case.household[-1]["sealed"])


def clean_contact(c: Contact) -> Contact:
    """Contact details as every entry point must give them: bounded text without
    control characters (an address may have line breaks)."""
    return attrs.evolve(
        c,
        name=check_optional_text(c.name, "name"),
        phone=check_optional_text(c.phone, "phone", max_len=40),
        address=check_optional_text(c.address, "address", max_len=300, multiline=True),
        iban=check_optional_text(c.iban, "iban", max_len=40),
        municipality=check_optional_text(c.municipality, "municipality", max_len=100),
    )


# ------------------------------------------------- optimistic concurrency (forms)

_EXPECTED: contextvars.ContextVar[int | None] = contextvars.ContextVar("vangnet_expected_version", default=None)


class StaleVersion(CommandError):
    """The case changed since the user loaded it: nothing was saved, reload and decide again."""


@contextlib.contextmanager
def expecting_version(version: int | None) -> Iterator[None]:
    """Case commands inside refuse (``StaleVersion``) unless the case is still at
    ``version``: a form sends the version it was rendered from, so the second of two
    people saving the same case at once is told instead of silently overriding."""
    token = _EXPECTED.set(version)
    try:
        yield
    finally:
        _EXPECTED.reset(token)


def check_expected_version(case: ArrearsCase) -> None:
    expected = _EXPECTED.get()
    if expected is not None and case.version != expected:
        raise StaleVersion(f"version: case {case.id} was changed by someone else (version {case.version}, "
                           f"you saw {expected}); reload and try again")


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's projector without its per-event runtime protocol check."""
    for e in events:
        aggregate = e.mutate(aggregate)
    return aggregate


_eur = eur  # the views' money text, under the name other modules import


# ------------------------------------------------------------ attempt ids


def attempt_id(case_id: uuid.UUID, local: str) -> str:
    """Global, deterministic id of an automated call or SMS: ``<case hex>.<local>``."""
    return f"{case_id.hex}.{local.replace(':', '-')}"


def attempt_case_id(attempt: str) -> uuid.UUID | None:
    head = attempt.split(".", 1)[0]
    try:
        return uuid.UUID(hex=head)
    except ValueError:
        return None


def attempt_local_id(attempt: str) -> str:
    return attempt.split(".", 1)[1].replace("-", ":") if "." in attempt else attempt


def fact_outcome(f: TelephonyFact) -> Outcome | None:
    k = f.kind
    if k == FactKind.NOT_DIALLED:
        return {"opted_out": Outcome.OPTED_OUT, "outside_window": Outcome.FAILED}.get(f.detail, Outcome.INVALID_NUMBER)
    if k == FactKind.COMPLETED:
        return {
            "voicemail": Outcome.VOICEMAIL, "no_answer": Outcome.NO_ANSWER, "busy": Outcome.BUSY,
            "invalid_number": Outcome.INVALID_NUMBER, "failed": Outcome.FAILED, "answered": Outcome.NO_INPUT,
        }.get(f.detail)
    return {
        FactKind.VOICEMAIL: Outcome.VOICEMAIL,
        FactKind.CHOSE_SMS: Outcome.CHOSE_SMS,
        FactKind.CHOSE_TRANSFER: Outcome.CHOSE_TRANSFER,
        FactKind.NO_INPUT: Outcome.NO_INPUT,
        FactKind.OPTED_OUT: Outcome.OPTED_OUT,
        FactKind.SMS_DELIVERED: Outcome.DELIVERED,
        FactKind.SMS_FAILED: Outcome.FAILED,
        FactKind.SMS_STOP: Outcome.OPTED_OUT,
    }.get(k)


__all__ = ["Vangnet", "Ports", "NotFound", "CommandError", "ConcurrencyConflict", "AccessDenied", "ImportRefused"]


@attrs.frozen
class FactRecorder:
    """A :class:`application.ports.FactSink` that records provider facts for one actor."""

    app: Vangnet
    actor: Actor

    def record_facts(self, facts: Sequence[TelephonyFact]) -> int:
        return self.app.record_facts(facts, actor=self.actor)
