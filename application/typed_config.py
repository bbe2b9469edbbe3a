"""One typed loader for the configuration files: the policy (``[playbook]`` and the
adapter sections), the letters' ``[letters]`` table and the simulation's scenario.

Each key has a :class:`Spec` (its type, bounds, choices, an extra check); :func:`load_value`
turns a TOML value into that type or raises :class:`ConfigValueError`, whose message
names the key and the value (``playbook.robocall_day: 31 must be between 1 and 28``).
The three files keep their own keys and sections; how a value is checked is written
once, here."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

KINDS = ("int", "number", "probability", "bool", "text", "text_list")


class ConfigValueError(ValueError):
    """A configuration value of the wrong type or out of range; ``str()`` names key and value."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key


@attrs.frozen
class Spec:
    """How one key is read. ``low``/``high`` bound a number (``high=None``: no upper
    bound); ``choices`` limit a text; ``check`` is any further check of the typed value
    that raises ``ValueError(reason)``."""

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    check: Callable[[Any], object] | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r} (kinds: {', '.join(KINDS)})")


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def _int(key: str, value: Any, spec: Spec) -> int:
    floor = f" >= {spec.low:g}" if spec.low is not None and spec.high is None else ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigValueError(key, f"{value!r} must be a whole number{floor}")
    if spec.low is not None and value < spec.low or spec.high is not None and value > spec.high:
        if spec.high is None:
            raise ConfigValueError(key, f"{value!r} must be a whole number{floor}")
        raise ConfigValueError(key, f"{value!r} must be between {spec.low:g} and {spec.high:g}")
    return value


def _number(key: str, value: Any, spec: Spec) -> float:
    low = spec.low if spec.low is not None else 0
    if not _is_number(value) or not math.isfinite(value) or value < low:
        raise ConfigValueError(key, f"{value!r} must be a number >= {low:g}")
    number = float(value)
    if spec.kind == "probability" and number > 1:
        raise ConfigValueError(key, f"{number!r} is a probability and must be between 0 and 1")
    if spec.high is not None and number > spec.high:
        raise ConfigValueError(key, f"{number!r} must be between {low:g} and {spec.high:g}")
    return number


def _bool(key: str, value: Any, spec: Spec) -> bool:
    if not isinstance(value, bool):
        raise ConfigValueError(key, f"{value!r} must be true or false")
    return value


def _text(key: str, value: Any, spec: Spec) -> str:
    if not isinstance(value, str):
        raise ConfigValueError(key, f"{value!r} must be text")
    if spec.choices and value not in spec.choices:
        raise ConfigValueError(key, f"{value!r} is not one of {', '.join(spec.choices)}")
    return value


def _text_list(key: str, value: Any, spec: Spec) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ConfigValueError(key, f"{value!r} must be a list of texts")
    return list(value)


_READERS: dict[str, Callable[[str, Any, Spec], Any]] = {
    "int": _int, "number": _number, "probability": _number, "bool": _bool, "text": _text,
    "text_list": _text_list,
}


def load_value(key: str, value: Any, spec: Spec) -> Any:
    """``value`` as ``spec`` says, or :class:`ConfigValueError` naming ``key`` and the value."""
    typed = _READERS[spec.kind](key, value, spec)
    if spec.check is not None:
        try:
            spec.check(typed)
        except ValueError as e:
            reason = str(e)  # a check that names the key itself is not prefixed twice
            raise ConfigValueError(key, reason.removeprefix(f"{key}: ")) from None
    return typed


def load_table(prefix: str, data: Any, specs: dict[str, Spec]) -> dict[str, Any]:
    """A whole table: every key known (``prefix.key: unknown key`` otherwise) and typed."""
    if not isinstance(data, dict):
        raise ConfigValueError(prefix, "must be a table")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in specs:
            raise ConfigValueError(f"{prefix}.{key}", "unknown key")
        out[key] = load_value(f"{prefix}.{key}", value, specs[key])
    return out
