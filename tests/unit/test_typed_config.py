"""One typed loader for the configuration files (policy, letters, scenario): each value
is read by its spec, and a wrong one is refused with a message naming key and value."""

from __future__ import annotations

from typing import Any

import pytest

from application.policy import PolicyError, policy_from_mapping
from application.typed_config import ConfigValueError, Spec, load_table, load_value


@pytest.mark.parametrize(("spec", "value", "expected"), [
    (Spec("int", 1, 28), 12, 12),
    (Spec("int", 1, 28), 0, "k: 0 must be between 1 and 28"),
    (Spec("int", 1, 28), "12", "k: '12' must be a whole number"),
    (Spec("int", 1, 28), True, "k: True must be a whole number"),
    (Spec("int", 0), 5, 5),
    (Spec("int", 0), -1, "k: -1 must be a whole number >= 0"),
    (Spec("int", 0), 1.5, "k: 1.5 must be a whole number >= 0"),
    (Spec("number", 0), 2, 2.0),
    (Spec("number", 0), float("nan"), "k: nan must be a number >= 0"),
    (Spec("number", 0), -0.5, "k: -0.5 must be a number >= 0"),
    (Spec("probability", 0), 0.25, 0.25),
    (Spec("probability", 0), 2, "k: 2.0 is a probability and must be between 0 and 1"),
    (Spec("number", 0, 1), 1.5, "k: 1.5 must be between 0 and 1"),
    (Spec("bool"), True, True),
    (Spec("bool"), "yes", "k: 'yes' must be true or false"),
    (Spec("text"), "x", "x"),
    (Spec("text"), 5, "k: 5 must be text"),
    (Spec("text", choices=("json", "csv")), "xml", "k: 'xml' is not one of json, csv"),
    (Spec("text_list"), ["a"], ["a"]),
    (Spec("text_list"), "a", "k: 'a' must be a list of texts"),
    (Spec("text", check=lambda v: int(v)), "x", "k: invalid literal for int() with base 10: 'x'"),
])
def test_load_value(spec: Spec, value: Any, expected: Any) -> None:
    if isinstance(expected, str) and expected.startswith("k: "):
        with pytest.raises(ConfigValueError) as e:
            load_value("k", value, spec)
        assert str(e.value) == expected and e.value.key == "k"
    else:
        assert load_value("k", value, spec) == expected


def test_a_check_that_names_the_key_itself_is_not_prefixed_twice() -> None:
    def check(v: str) -> None:
        raise ValueError(f"k: {v!r} is wrong")

    with pytest.raises(ConfigValueError, match=r"^k: 'x' is wrong$"):
        load_value("k", "x", Spec("text", check=check))


def test_load_table_names_an_unknown_key() -> None:
    assert load_table("t", {"a": 1}, {"a": Spec("int", 0)}) == {"a": 1}
    with pytest.raises(ConfigValueError, match=r"^t\.b: unknown key$"):
        load_table("t", {"b": 1}, {"a": Spec("int", 0)})
    with pytest.raises(ConfigValueError, match=r"^t: must be a table$"):
        load_table("t", [1], {})


@pytest.mark.parametrize(("data", "message"), [
    ({"ledger": {"camt_accounts": "NL91ABNA0417164300"}},
     "ledger.camt_accounts: 'NL91ABNA0417164300' must be a list of texts"),
    ({"ledger": {"camt_accounts": ["NL91ABNA0417164300", 7]}},
     "ledger.camt_accounts: ['NL91ABNA0417164300', 7] must be a list of texts"),
    ({"ledger": {"camt_pattern": "(unclosed"}}, "ledger.camt_pattern: '(unclosed' is not a valid regular expression"),
    ({"telephony": {"mode": "fax"}}, "telephony.mode: 'fax' is not one of record, vendor, twilio, simulated"),
    ({"signals": {"format": "xml"}}, "signals.format: 'xml' is not one of json, csv"),
    ({"playbook": {"robocall_day": 31}}, "playbook.robocall_day: 31 must be between 1 and 28"),
    ({"playbook": {"risk_enabled": "yes"}}, "playbook.risk_enabled: 'yes' must be true or false"),
    ({"playbook": {"calling_window_start": "9am"}}, "playbook.calling_window_start: '9am' is not a time like 09:00"),
    ({"playbook": {"strategy": "gentle"}}, "playbook.strategy: 'gentle' is not one of preventive, classic"),
    ({"playbook": {"wik_no_delivery_weekdays": "sun,funday"}}, "playbook.wik_no_delivery_weekdays: "),
])
def test_the_policy_loader_names_key_and_value(data: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as e:
        policy_from_mapping(data)
    assert str(e.value).startswith(message)


def test_the_scenario_and_the_letters_use_the_same_loader() -> None:
    from adapters.letters.config import LetterConfig, LetterConfigError
    from adapters.simulation.scenario import ScenarioError, from_mapping

    with pytest.raises(ScenarioError, match=r"^run\.tenancies: -3 must be a whole number >= 0$"):
        from_mapping({"run": {"tenancies": -3}})
    with pytest.raises(LetterConfigError, match=r"letters\.landlord_name: 5 must be text"):
        LetterConfig.from_mapping({"landlord_name": 5})
