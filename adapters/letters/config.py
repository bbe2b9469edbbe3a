"""Letter configuration: who sends, how to pay, where to get help, how to object.

Read from the ``[letters]`` table of the landlord's configuration with
:meth:`LetterConfig.from_mapping`; every problem names its key (``letters.landlord_iban``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs
from schwifty import IBAN

from application.ports import LetterRefused
from application.typed_config import ConfigValueError, Spec, load_value

PREFIX = "letters."

REQUIRED_TEXT = (
    "landlord_name",
    "landlord_address",
    "landlord_iban",
    "payment_phone",
    "sender_name",
    "debt_help_municipality",
)
OPTIONAL_TEXT = (
    "debt_help_welfare",
    "debt_help_gkb",
    "debt_help_budget_coach",
    "debt_help_schuldhulpmaatje",
    "objection_phone",
    "objection_email",
    "objection_address",
)
OBJECTION_KEYS = ("objection_phone", "objection_email", "objection_address")
# WIK numbers are the policy's (``[playbook] wik_*``), read once by the domain: a
# letters key that used to set them is refused, naming where the number lives now.
MOVED_KEYS = {
    "wik_vat_percent": "playbook.wik_vat_percent",
    "receipt_days": "playbook.wik_receipt_days",
    "term_days": "playbook.wik_term_days",
    "no_delivery_weekdays": "playbook.wik_no_delivery_weekdays",
}
ALL_KEYS = frozenset(REQUIRED_TEXT) | frozenset(OPTIONAL_TEXT)

# Partner lines in the order the letter lists them (after the municipality's line).
PARTNER_KEYS = (
    "debt_help_welfare",
    "debt_help_gkb",
    "debt_help_budget_coach",
    "debt_help_schuldhulpmaatje",
)

TEXT = Spec("text")  # every letters key is text (the shared typed loader)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class LetterConfigError(LetterRefused, ValueError):
    """The letter configuration is incomplete or wrong; nothing may be sent."""


@attrs.frozen
class LetterConfig:
    landlord_name: str = ""
    landlord_address: str = ""  # lines separated by "\n"
    landlord_iban: str = ""
    payment_phone: str = ""  # e.g. "0592 - 123 456 (maandag tot en met vrijdag, 9.00-17.00 uur)"
    sender_name: str = ""
    debt_help_municipality: str = ""
    debt_help_welfare: str = ""
    debt_help_gkb: str = ""
    debt_help_budget_coach: str = ""
    debt_help_schuldhulpmaatje: str = ""
    objection_phone: str = ""
    objection_email: str = ""
    objection_address: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> LetterConfig:
        """Build from the ``letters`` table (or a mapping holding one under ``letters``).

        Raises :class:`LetterConfigError` listing every problem, each with its key.
        """
        if not isinstance(data, Mapping):
            raise LetterConfigError("letters: the configuration must be a table of key = value")
        if isinstance(data.get("letters"), Mapping):
            data = data["letters"]
        problems: list[str] = []
        values: dict[str, Any] = {}
        for key in sorted(set(data) - ALL_KEYS, key=str):
            if key in MOVED_KEYS:
                problems.append(f"{PREFIX}{key}: no longer a letters key; the WIK numbers are set once, "
                                f"as {MOVED_KEYS[key]} in the policy (remove {PREFIX}{key})")
            else:
                problems.append(f"{PREFIX}{key}: unknown key")
        for key in (*REQUIRED_TEXT, *OPTIONAL_TEXT):
            raw = data.get(key)
            if raw is None:
                continue
            if key == "landlord_address" and isinstance(raw, list | tuple):
                if not all(isinstance(x, str) for x in raw):
                    problems.append(f"{PREFIX}{key}: must be text or a list of lines")
                    continue
                raw = "\n".join(raw)
            try:
                values[key] = load_value(f"{PREFIX}{key}", raw, TEXT).strip()
            except ConfigValueError as e:
                problems.append(str(e))
        if problems:
            # report type problems together with the missing values
            problems.extend(config_problems(cls(**values)))
            raise LetterConfigError(_join(problems))
        config = cls(**values)
        check_config_complete(config)
        if config.landlord_iban:
            config = attrs.evolve(config, landlord_iban=IBAN(config.landlord_iban).compact)
        return config

    # ------------------------------------------------------------ derived values

    @property
    def iban_formatted(self) -> str:
        return IBAN(self.landlord_iban).formatted

    @property
    def address_lines(self) -> list[str]:
        return _lines(self.landlord_address)

    def debt_help_lines(self) -> list[str]:
        """The municipality's line first, then the configured partners' lines, as given."""
        lines = [self.debt_help_municipality]
        lines.extend(getattr(self, key) for key in PARTNER_KEYS if getattr(self, key))
        return lines

    def objection_lines(self) -> list[tuple[str, str]]:
        lines = []
        if self.objection_phone:
            lines.append(("Bel", self.objection_phone))
        if self.objection_email:
            lines.append(("Mail", self.objection_email))
        if self.objection_address:
            lines.append(("Schrijf", ", ".join(_lines(self.objection_address))))
        return lines


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _join(problems: list[str]) -> str:
    if len(problems) == 1:
        return f"letter configuration: {problems[0]}"
    return "letter configuration has problems:\n  " + "\n  ".join(problems)


def config_problems(config: LetterConfig) -> list[str]:
    """Every missing or wrong value, each naming its key; empty when complete."""
    problems: list[str] = []
    for key in (*REQUIRED_TEXT, *OPTIONAL_TEXT):
        value = getattr(config, key)
        try:
            load_value(f"{PREFIX}{key}", value, TEXT)
        except ConfigValueError as e:
            problems.append(str(e))
            continue
        if key in REQUIRED_TEXT and not value.strip():
            problems.append(f"{PREFIX}{key}: missing (required)")
        elif _CONTROL.search(value) or (key != "landlord_address" and "\n" in value.strip()):
            problems.append(f"{PREFIX}{key}: contains control characters or line breaks")
    iban = config.landlord_iban
    if isinstance(iban, str) and iban.strip():
        try:
            IBAN(iban)
        except ValueError as exc:  # schwifty's errors are ValueErrors
            problems.append(f"{PREFIX}landlord_iban: not a valid IBAN ({exc})")
    if not any(
        isinstance(getattr(config, k), str) and getattr(config, k).strip() for k in OBJECTION_KEYS
    ):
        problems.append(
            f"{PREFIX}objection_phone / {PREFIX}objection_email / {PREFIX}objection_address: "
            "missing (at least one is required: how a tenant objects to the municipal signal)"
        )
    email = config.objection_email
    if isinstance(email, str) and email.strip() and not _EMAIL.match(email.strip()):
        problems.append(f"{PREFIX}objection_email: {email!r} is not an e-mail address")
    return problems


def check_config_complete(config: LetterConfig) -> None:
    """Raise :class:`LetterConfigError` (a :class:`LetterRefused`) naming every problem."""
    problems = config_problems(config)
    if problems:
        raise LetterConfigError(_join(problems))
