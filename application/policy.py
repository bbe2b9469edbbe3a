"""Policy file (TOML) -> typed settings with the PLAYBOOK.md defaults.

Sections: ``[playbook]`` (any field of ``domain.policy.Policy``), ``[permissions]``
(role -> list of permissions), and free sections for adapters (``[letters]``,
``[telephony]``, ``[signals]``) passed through as mappings."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any

import attrs

from application.typed_config import Spec, load_value
from domain.policy import Policy
from domain.validation import check_regex


class PolicyError(ValueError):
    """The policy file is invalid; the message names the key."""


ADAPTER_SECTIONS = ("letters", "telephony", "signals", "simulation", "ledger", "access")

# playbook key -> (lowest, highest): a value outside is refused when the file is loaded
RANGES: dict[str, tuple[int, int]] = {
    "tolerance_cents": (0, 100_000),
    "default_due_day": (1, 28),
    "prevention_first_contact_business_days": (0, 30),
    "prevention_phone_attempts": (0, 10),
    "home_visit_within_business_days": (0, 60),
    "worry_first_contact_days": (0, 60),
    "worry_recent_case_months": (0, 120),
    "robocall_day": (1, 28),
    "robocall_days_after_due_when_late": (0, 60),
    "robocall_retries": (0, 10),
    "instalment_grace_days": (0, 60),
    "instalments_missed_to_break": (1, 12),
    "debt_counselling_pause_days": (0, 365),
    "reminder_days": (1, 365),
    "signal_days": (1, 365),
    "signal_objection_days": (0, 365),
    "wik_letter_days": (1, 365),
    "wik_receipt_days": (2, 14),
    "wik_term_days": (14, 90),
    "wik_vat_percent": (0, 21),
    "bailiff_months_of_rent": (1, 24),
    "legal_months_of_rent": (1, 24),
    "legal_months_after_signal": (0, 24),
    "minutes_phone": (0, 600),
    "minutes_home_visit": (0, 600),
    "minutes_robocall": (0, 600),
    "minutes_sms": (0, 600),
    "minutes_letter": (0, 600),
    "minutes_referral": (0, 600),
    "minutes_signal": (0, 600),
    "minutes_bailiff_handover": (0, 6000),
    "minutes_legal_action": (0, 6000),
    "retention_months_after_end": (0, 240),
    "risk_min_months": (3, 120),
    "max_days_between_checks": (1, 365),
}
CHOICES: dict[str, tuple[str, ...]] = {"strategy": ("preventive", "classic")}


@attrs.frozen
class PolicyFile:
    policy: Policy
    permissions: dict[str, list[str]]
    sections: dict[str, dict[str, Any]]
    path: str | None = None


def _time(value: str) -> time:
    return time.fromisoformat(value)


def _check_time(value: str) -> None:
    if not re.fullmatch(r"[0-9]{2}:[0-9]{2}", value, re.ASCII):
        raise ValueError(f"{value!r} is not a time like 09:00")
    try:
        time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time like 09:00") from None


def _check_weekdays(value: str) -> None:
    from domain.wik import parse_weekdays

    parse_weekdays(value)


def _check_table(key: str, value: Any, default: dict[str, str]) -> dict[str, str]:
    """``[playbook.return_codes]``: code = action, merged over the defaults."""
    from domain.returns import RETURN_ACTIONS

    if not isinstance(value, dict):
        raise PolicyError(f"playbook.{key}: must be a table of CODE = action")
    out = dict(default)
    for code, action in value.items():
        if not re.fullmatch(r"[A-Z0-9]{4}", code):
            raise PolicyError(f"playbook.{key}.{code}: not an ISO 20022 reason code (4 capitals or digits)")
        if action not in RETURN_ACTIONS:
            raise PolicyError(f"playbook.{key}.{code}: {action!r} must be one of {', '.join(RETURN_ACTIONS)}")
        out[code] = action
    return out


CHECKS: dict[str, Callable[[Any], object]] = {
    "calling_window_start": _check_time,
    "calling_window_end": _check_time,
    "wik_no_delivery_weekdays": _check_weekdays,
}


def _spec(key: str, default: Any) -> Spec:
    """The type of a playbook key, from its default in ``domain.policy.Policy`` and the
    ranges, choices and checks above."""
    if isinstance(default, bool):
        return Spec("bool")
    if isinstance(default, int):
        low, high = RANGES.get(key, (0, 1_000_000))
        return Spec("int", low, high)
    return Spec("text", choices=CHOICES.get(key, ()), check=CHECKS.get(key))


_DEFAULTS = Policy()
PLAYBOOK: dict[str, Spec] = {
    f.name: _spec(f.name, getattr(_DEFAULTS, f.name))
    for f in attrs.fields(Policy) if not isinstance(getattr(_DEFAULTS, f.name), dict)
}
TABLES = frozenset(f.name for f in attrs.fields(Policy) if isinstance(getattr(_DEFAULTS, f.name), dict))
# the adapter sections' keys that the policy loader types (the rest is the adapters')
SECTION_KEYS: dict[str, dict[str, Spec]] = {
    "ledger": {"camt_pattern": Spec("text", check=lambda v: check_regex(v, "ledger.camt_pattern")),
               "camt_accounts": Spec("text_list")},
    "telephony": {"mode": Spec("text", choices=("record", "vendor", "twilio", "simulated"))},
    "signals": {"format": Spec("text", choices=("json", "csv"))},
}


def _playbook(pb: Any) -> dict[str, Any]:
    if not isinstance(pb, dict):
        raise PolicyError("playbook: must be a table")
    values: dict[str, Any] = {}
    for key, value in pb.items():
        if key in TABLES:
            values[key] = _check_table(key, value, getattr(_DEFAULTS, key))
        elif key in PLAYBOOK:
            values[key] = load_value(f"playbook.{key}", value, PLAYBOOK[key])
        else:
            raise PolicyError(f"playbook.{key}: unknown key")
    start = values.get("calling_window_start", _DEFAULTS.calling_window_start)
    end = values.get("calling_window_end", _DEFAULTS.calling_window_end)
    if _time(start) >= _time(end):
        raise PolicyError(f"playbook.calling_window_end: {end!r} must be later than calling_window_start {start!r}")
    return values


def _sections(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    from application.access import Identity

    for k in ADAPTER_SECTIONS:
        if not isinstance(data.get(k, {}), dict):
            raise PolicyError(f"{k}: must be a table")
    sections = {k: dict(data.get(k, {})) for k in ADAPTER_SECTIONS}
    try:
        Identity.from_mapping(sections["access"])
    except ValueError as e:
        raise PolicyError(str(e)) from None
    for name, specs in SECTION_KEYS.items():
        for key, spec in specs.items():
            if key in sections[name]:
                load_value(f"{name}.{key}", sections[name][key], spec)
    return sections


def policy_from_mapping(data: dict[str, Any], path: str | None = None) -> PolicyFile:
    """The policy file's tables, typed; a wrong key or value is a :class:`PolicyError`
    naming the key and the value."""
    unknown = set(data) - {"playbook", "permissions", *ADAPTER_SECTIONS}
    if unknown:
        raise PolicyError(f"{sorted(unknown)[0]}: unknown section (known: playbook, permissions, "
                          f"{', '.join(ADAPTER_SECTIONS)})")
    from application.access import Access

    try:
        values = _playbook(data.get("playbook", {}))
        perms = data.get("permissions", {})
        if not isinstance(perms, dict):
            raise PolicyError("permissions: must be a table of role = [permissions]")
        Access(perms)
        sections = _sections(data)
    except PolicyError:
        raise
    except ValueError as e:  # ConfigValueError, an unknown role or permission: the message names the key
        raise PolicyError(str(e)) from None
    return PolicyFile(Policy(**values), perms, sections, path)


def identity(pf: PolicyFile) -> Any:
    """The ``[access]`` section as an ``application.access.Identity``."""
    from application.access import Identity

    return Identity.from_mapping(pf.sections.get("access"))


def load_policy(path: str | Path | None) -> PolicyFile:
    if path is None:
        return policy_from_mapping({})
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise PolicyError(f"policy file {str(p)!r}: {e.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise PolicyError(f"policy file {str(p)!r}: {e}") from None
    return policy_from_mapping(data, str(p))


def policy_as_dict(pf: PolicyFile) -> dict[str, Any]:
    return {"playbook": attrs.asdict(pf.policy), "permissions": pf.permissions,
            **{k: v for k, v in pf.sections.items() if v}}
