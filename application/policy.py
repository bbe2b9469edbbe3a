"""Policy file (TOML) -> typed settings with the PLAYBOOK.md defaults.

Sections: ``[playbook]`` (any field of ``domain.policy.Policy``), ``[permissions]``
(role -> list of permissions), and free sections for adapters (``[letters]``,
``[telephony]``, ``[signals]``) passed through as mappings."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import attrs

from domain.policy import Policy
from domain.wik import POLICY_BOUNDS as WIK_BOUNDS


class PolicyError(ValueError):
    """The policy file is invalid; the message names the key."""


ADAPTER_SECTIONS = ("letters", "telephony", "signals", "simulation", "ledger")


@attrs.frozen
class PolicyFile:
    policy: Policy
    permissions: dict[str, list[str]]
    sections: dict[str, dict[str, Any]]
    path: str | None = None


def _check_time(key: str, value: str) -> None:
    from datetime import time

    try:
        time.fromisoformat(value)
    except ValueError:
        raise PolicyError(f"playbook.{key}: {value!r} is not a time like 09:00") from None


def _check_table(key: str, value: Any, default: dict[str, str]) -> dict[str, str]:
    """``[playbook.return_codes]``: code = action, merged over the defaults."""
    import re

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


def policy_from_mapping(data: dict[str, Any], path: str | None = None) -> PolicyFile:
    unknown = set(data) - {"playbook", "permissions", *ADAPTER_SECTIONS}
    if unknown:
        raise PolicyError(f"{sorted(unknown)[0]}: unknown section (known: playbook, permissions, "
                          f"{', '.join(ADAPTER_SECTIONS)})")
    pb = data.get("playbook", {})
    if not isinstance(pb, dict):
        raise PolicyError("playbook: must be a table")
    fields = {f.name: f for f in attrs.fields(Policy)}
    values: dict[str, Any] = {}
    for key, value in pb.items():
        if key not in fields:
            raise PolicyError(f"playbook.{key}: unknown key")
        default = getattr(Policy(), key)
        if isinstance(default, dict):
            values[key] = _check_table(key, value, default)
            continue
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise PolicyError(f"playbook.{key}: {value!r} must be true or false")
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise PolicyError(f"playbook.{key}: {value!r} must be a whole number")
            if value < 0:
                raise PolicyError(f"playbook.{key}: {value!r} must not be negative")
        elif isinstance(default, str):
            if not isinstance(value, str):
                raise PolicyError(f"playbook.{key}: {value!r} must be text")
            if key.startswith("calling_window"):
                _check_time(key, value)
        values[key] = value
    for key, (low, high, why) in WIK_BOUNDS.items():
        if key in values and not low <= values[key] <= high:
            raise PolicyError(f"playbook.{key}: {values[key]} is outside {low}-{high} ({why})")
    if "robocall_day" in values and not 1 <= values["robocall_day"] <= 28:
        raise PolicyError(f"playbook.robocall_day: {values['robocall_day']} must be 1-28")
    perms = data.get("permissions", {})
    if not isinstance(perms, dict):
        raise PolicyError("permissions: must be a table of role = [permissions]")
    from application.access import Access

    try:
        Access(perms)
    except ValueError as e:
        raise PolicyError(str(e)) from None
    sections = {k: dict(data.get(k, {})) for k in ADAPTER_SECTIONS}
    mode = sections["telephony"].get("mode", "record")
    if mode not in ("record", "vendor", "twilio", "simulated"):
        raise PolicyError(f"telephony.mode: {mode!r} is not one of record, vendor, twilio, simulated")
    fmt = sections["signals"].get("format", "json")
    if fmt not in ("json", "csv"):
        raise PolicyError(f"signals.format: {fmt!r} must be json or csv")
    return PolicyFile(Policy(**values), perms, sections, path)


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
