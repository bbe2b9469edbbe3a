"""The CLI is thin: each command parses its options, calls one application use case and
prints. No rule, no store query, no raw SQL, no private attribute of another object and
no hand-read environment variable lives in ``adapters/cli`` (issue: one place for each
rule). Each check below names the file and line that breaks it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parents[2] / "adapters" / "cli"
FILES = sorted(CLI.glob("*.py"))
SQL = re.compile(r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.I | re.S)
# the wiring the CLI may do with the store: hand it to an adapter or a clock, never query it
STORE_WIRING = {"FileSignals", "add_user", "deactivate"}


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(CLI.parents[1])}:{getattr(node, 'lineno', '?')}"


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_the_cli_modules_are_found() -> None:
    assert {"main.py", "privacy.py", "telephony.py", "letters.py", "ledger.py"} <= {p.name for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_store_query_and_no_private_attribute_from_the_cli(path: Path) -> None:
    problems = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                problems.append(f"{_where(path, node)}: private attribute .{node.attr} of another object")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "store"):
            problems.append(f"{_where(path, node)}: store query .store.{node.func.attr}() (an application use case)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            problems.append(f"{_where(path, node)}: SQL in the CLI")
    assert problems == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_access_bypass_and_no_role_rule_in_the_cli(path: Path) -> None:
    """Who may do what is decided in application.access: the CLI never swaps the actor
    for the system, nor compares roles itself."""
    problems = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Name) and node.id == "SYSTEM":
            problems.append(f"{_where(path, node)}: acts as SYSTEM")
        if isinstance(node, ast.Attribute) and node.attr == "role":
            problems.append(f"{_where(path, node)}: reads the actor's role")
    assert problems == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_environment_variables_come_through_click(path: Path) -> None:
    """VANGNET_DB, VANGNET_POLICY, ... are click options' ``envvar`` (shown in --help),
    not read by hand beside click (VANGNET_DEBUG excepted: it must work when click itself
    fails, in the group's last line of defence)."""
    problems = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
            line = path.read_text(encoding="utf-8").splitlines()[node.lineno - 1]
            if "VANGNET_DEBUG" not in line:
                problems.append(f"{_where(path, node)}: os.{node.attr}")
    assert problems == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_refusals_go_through_the_one_fail_helper(path: Path) -> None:
    """Exit 2 (and 3, 75) only through ``common.fail`` (typed NoReturn): one place that
    prints ``error: ...`` and exits."""
    problems = []
    for node in ast.walk(_tree(path)):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name in ("exit", "SystemExit") and node.args:
            code = node.args[0]
            if isinstance(code, ast.Constant) and code.value in (2, 3, 75):  # the refusal codes
                problems.append(f"{_where(path, node)}: {name}({code.value}) outside fail()")
    assert problems == []


def test_fail_is_typed_no_return() -> None:
    import typing

    from adapters.cli import common

    assert typing.get_type_hints(common.fail)["return"] is typing.NoReturn


def test_global_options_read_their_environment_variables_through_click(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from adapters.cli.main import cli

    r = CliRunner().invoke(cli, ["--help"])
    for name in ("VANGNET_DB", "VANGNET_POLICY", "VANGNET_ACTOR", "VANGNET_OUT"):
        assert f"env var: {name}" in r.output
    policy = tmp_path / "p.toml"
    policy.write_text("[playbook]\nrobocall_day = 13\n")
    monkeypatch.setenv("VANGNET_POLICY", str(policy))
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    r = CliRunner().invoke(cli, ["policy", "show", "--json"])
    assert r.exit_code == 0, r.output
    assert '"robocall_day": 13' in r.output
    monkeypatch.setenv("VANGNET_POLICY", "")  # an empty variable counts as not set
    r = CliRunner().invoke(cli, ["policy", "show", "--json"])
    assert r.exit_code == 0 and '"robocall_day": 12' in r.output
    monkeypatch.setenv("VANGNET_ACTOR", "auditor:ada")
    r = CliRunner().invoke(cli, ["privacy", "erase", "T1", "--yes"])
    assert r.exit_code == 3 and "auditor:ada" in r.output
