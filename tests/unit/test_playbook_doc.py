"""docs/playbook.md lists every rule id the code can record (it cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULE = re.compile(r"""["']([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)["']""")
# rule ids the code builds from parts (f"{prefix}-PHONE-RETRY")
BUILT = {"PREV-PHONE-RETRY", "WORRY-PHONE-RETRY", "PREV-VISIT", "WORRY-VISIT"}
AUDIT_ONLY = {"SILENT-CASE"}  # checked by `audit verify`, never recorded as a step


def rule_ids_in_code() -> set[str]:
    from domain.rulebook import RULES, load_rules

    load_rules()
    ids = set(BUILT) | AUDIT_ONLY | set(RULES)  # every registered rule, and ids recorded elsewhere
    for folder in ("domain", "application"):
        for path in (ROOT / folder).rglob("*.py"):
            ids.update(RULE.findall(path.read_text(encoding="utf-8")))
    return ids


def documented() -> set[str]:
    text = (ROOT / "docs" / "playbook.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| ([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*) \|", text, flags=re.M)) - {"D"}


def test_every_rule_the_code_records_has_an_entry_in_docs_playbook():
    missing = sorted(rule_ids_in_code() - documented())
    assert not missing, f"docs/playbook.md has no entry for: {', '.join(missing)}"


def test_every_entry_names_a_rule_the_code_knows():
    unknown = sorted(documented() - rule_ids_in_code())
    assert not unknown, f"docs/playbook.md lists rules the code no longer has: {', '.join(unknown)}"


def test_the_check_finds_a_rule_without_an_entry(tmp_path):
    assert "WIK-COSTS" in rule_ids_in_code() and "WIK-COSTS" in documented()
    assert RULE.findall('add("task", "NEW-RULE-X", "task:x")') == ["NEW-RULE-X"]
