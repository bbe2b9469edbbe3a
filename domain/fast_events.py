"""The library's ``@event`` methods, triggered without the per-call signature work.

Calling an ``@event``-decorated method through the library builds a bound decorator,
maps the call's arguments onto the method's signature twice, constructs the frozen
event dataclass field by field and then filters the event's attributes against the
method's signature again before applying it: about 15 microseconds per event, more
than the rule that decides it. ``fast_events`` replaces each such method on the
aggregate class with a plain function that does the same in one step:

* the event is an instance of the very class the library made for the method
  (same topic, same attributes in the same order as the dataclass would set them);
* the method body is applied to the aggregate with the event's values, then the
  version and modification time are set and the event is appended to the pending
  events, exactly as ``trigger_event`` does (an exception in the body leaves the
  aggregate's version and pending events as they were).

Replaying stored events is untouched (the library's ``mutate``/``apply``), so events
made here and events made by the library are interchangeable
(tests/unit/test_fast_events.py compares them method by method). ``create`` does the
same for the "created" event of ``__init__``. Methods with an explicit event class
that overrides ``apply`` or ``mutate``, and property setters, keep the library's path.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, TypeVar

from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanMutateAggregate,
    CommandMethodDecorator,
    DecoratedFuncCaller,
    OriginatorIDError,
    OriginatorVersionError,
    _annotations_mention_id,
    _created_event_classes,
    _init_mentions_id,
    decorated_func_callers,
)
from eventsourcing.utils import get_topic

A = TypeVar("A", bound=type)

_BASE = ("originator_id", "originator_version", "timestamp")
_new = object.__new__
_set = object.__setattr__


def _params(func: Any) -> tuple[list[str], dict[str, Any]]:
    names: list[str] = []
    defaults: dict[str, Any] = {}
    for name, p in inspect.signature(func).parameters.items():
        if name == "self":
            continue
        names.append(name)
        if p.default is not p.empty:
            defaults[name] = p.default
    return names, defaults


def _fast_trigger(name: str, func: Any, ev_cls: type) -> Any:
    names, defaults = _params(func)
    fields = [f.name for f in dataclasses.fields(ev_cls)]  # type: ignore[arg-type]
    if fields[:3] != list(_BASE) or fields[3:] != names:
        return None  # not the shape the library derives from the method: keep its path
    allowed = frozenset(names)
    n_names = len(names)
    now = ev_cls.create_timestamp  # type: ignore[attr-defined]

    def trigger(self: Any, *args: Any, **kwargs: Any) -> None:
        if args:
            if len(args) > len(names):
                raise TypeError(f"{name}() takes {len(names)} arguments ({len(args)} given)")
            for k, v in zip(names, args, strict=False):
                if k in kwargs:
                    raise TypeError(f"{name}() got multiple values for argument {k!r}")
                kwargs[k] = v
        if len(kwargs) == n_names and list(kwargs) == names:
            values = kwargs  # every argument, given in the order of the parameters (the common call)
        else:
            if not allowed.issuperset(kwargs):
                raise TypeError(f"{name}() got unexpected arguments {sorted(set(kwargs) - allowed)}")
            values = {}
            for k in names:
                if k in kwargs:
                    values[k] = kwargs[k]
                elif k in defaults:
                    values[k] = defaults[k]
                else:
                    raise TypeError(f"{name}() missing argument {k!r}")
        version = self._version + 1
        ts = now()
        state: dict[str, Any] = {"originator_id": self._id, "originator_version": version, "timestamp": ts}
        state.update(values)
        ev: Any = _new(ev_cls)
        _set(ev, "__dict__", state)
        func(self, **values)
        self._version = version
        self._modified_on = ts
        self._pending_events.append(ev)

    trigger.__name__ = name
    trigger.__qualname__ = func.__qualname__
    trigger.__doc__ = func.__doc__
    trigger.__wrapped__ = func  # type: ignore[attr-defined]
    return trigger


def fast_events(cls: A) -> A:
    """Class decorator: the aggregate's ``@event`` methods take the direct path."""
    for name, attr in list(vars(cls).items()):
        if not isinstance(attr, CommandMethodDecorator) or name == "__init__":
            continue
        if attr.decorated_property is not None or attr.is_property_setter:
            continue
        ev_cls = decorated_func_callers.get(attr)
        if ev_cls is None or not issubclass(ev_cls, DecoratedFuncCaller):
            continue
        if ev_cls.mutate is not CanMutateAggregate.mutate or ev_cls.apply is not DecoratedFuncCaller.apply:
            continue
        fast = _fast_trigger(name, attr.decorated_func, ev_cls)
        if fast is not None:
            fast._library = attr  # the library's decorator (tests/unit/test_fast_events.py)
            setattr(cls, name, fast)
            _REPLAY[ev_cls] = (attr.decorated_func, frozenset(_params(attr.decorated_func)[0]), None, None)
    spec = _CREATE[cls] = _create_spec(cls)
    if spec is not False:
        _REPLAY[spec[0]] = (cls, frozenset(spec[1]), spec[2], spec[5])
    return cls


_REPLAY: dict[type, tuple[Any, frozenset[str], str | None, Any]] = {}


def replay(event: Any, aggregate: Any) -> Any:
    """``event.mutate(aggregate)`` (loading from stored events), in one step for the
    events of ``fast_events`` classes: the method body gets the event's values that
    name its parameters, as the library's ``apply`` does; the id and version checks stay."""
    spec = _REPLAY.get(type(event))
    if spec is None:
        return event.mutate(aggregate)
    target, names, topic, init = spec
    d = event.__dict__
    if topic is not None:  # the created event
        if aggregate is not None or d.get("originator_topic") != topic:
            return event.mutate(aggregate)
        agg: Any = target.__new__(target)
        ts = d["timestamp"]
        agg._id = d["originator_id"]  # what BaseAggregate.__base_init__ sets (checked by _create_spec)
        agg._version = d["originator_version"]
        agg._created_on = ts
        agg._modified_on = ts
        agg._pending_events = []
        init(agg, **{k: v for k, v in d.items() if k in names})
        return agg
    if aggregate is None:
        return event.mutate(aggregate)
    if d["originator_id"] != aggregate._id:
        raise OriginatorIDError(d["originator_id"], aggregate._id)
    version = aggregate._version + 1
    if d["originator_version"] != version:
        raise OriginatorVersionError(d["originator_version"], version)
    target(aggregate, **{k: v for k, v in d.items() if k in names})
    aggregate._version = version
    aggregate._modified_on = d["timestamp"]
    return aggregate


_CREATE: dict[type, Any] = {}


def create(cls: type[Any], **kwargs: Any) -> Any:
    """``cls(**kwargs)`` (the library's "created" event of ``__init__``), built directly.
    Falls back to the library for a class whose created event is not the plain one."""
    spec = _CREATE.get(cls)
    if spec is None:
        spec = _CREATE[cls] = _create_spec(cls)
    if spec is False:
        return cls(**kwargs)
    ev_cls, names, topic, id_names, name_set, init = spec
    if kwargs.keys() != name_set:
        return cls(**kwargs)  # let the library report the mistake
    oid = cls.create_id(**{k: kwargs[k] for k in id_names})
    ts = ev_cls.create_timestamp()
    version = cls.INITIAL_VERSION
    state: dict[str, Any] = {"originator_id": oid, "originator_version": version, "timestamp": ts,
                             "originator_topic": topic}
    for k in names:
        state[k] = kwargs[k]
    ev = _new(ev_cls)
    _set(ev, "__dict__", state)
    agg: Any = cls.__new__(cls)  # type: ignore[call-overload]
    agg._id = oid  # what Aggregate.__base_init__ sets
    agg._version = version
    agg._created_on = ts
    agg._modified_on = ts
    agg._pending_events = [ev]
    init(agg, **kwargs)
    return agg


def _create_spec(cls: type[Any]) -> Any:
    created = _created_event_classes.get(cls) or []
    if len(created) != 1 or cls in _init_mentions_id or cls in _annotations_mention_id:
        return False
    ev_cls = created[0]
    if ev_cls.mutate is not CanInitAggregate.mutate or ev_cls.apply is not CanMutateAggregate.apply:
        return False
    init = vars(cls).get("__init__")
    if not isinstance(init, CommandMethodDecorator):
        return False
    names, defaults = _params(init.decorated_func)
    fields = [f.name for f in dataclasses.fields(ev_cls)]  # type: ignore[arg-type]
    if defaults or fields != [*_BASE, "originator_topic", *names]:
        return False
    id_names = [p for p in inspect.signature(cls.create_id).parameters if p in names]
    if cls.__base_init__ is not BaseAggregate.__base_init__:  # create() sets what it sets
        return False
    return ev_cls, names, get_topic(cls), id_names, frozenset(names), init.decorated_func
