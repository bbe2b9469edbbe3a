"""The WIK numbers are the policy's: ``[playbook] wik_*`` within the law's bounds."""

from __future__ import annotations

import pytest

from application.policy import PolicyError, policy_from_mapping


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("wik_term_days", 10, "playbook.wik_term_days: 10 must be between 14 and"),
        ("wik_receipt_days", 1, "playbook.wik_receipt_days: 1 must be between 2 and"),
        ("wik_vat_percent", 22, "playbook.wik_vat_percent: 22 must be between 0 and 21"),
    ],
)
def test_a_wik_number_outside_the_law_is_refused_naming_its_key(key: str, value: int, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        policy_from_mapping({"playbook": {key: value}})


def test_a_longer_term_is_the_landlords_choice() -> None:
    assert policy_from_mapping({"playbook": {"wik_term_days": 21}}).policy.wik_term_days == 21
