"""The command line as a landlord's staff use it: a policy with a complete letters
configuration and JSON signals, a store and an output folder in a temporary folder
(through the ``VANGNET_*`` environment), and tenants started with their contact data.
Shared by the end-to-end stories that drive ``vangnet`` through click's runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.cli.main import cli

POLICY = """
[letters]
landlord_name = "Woningstichting Vangnet"
landlord_address = "Postbus 1\\n7800 AA Emmen"
landlord_iban = "NL91ABNA0417164300"
payment_phone = "0591 - 123 456"
sender_name = "Team Huurincasso"
debt_help_municipality = "Gemeente Emmen, 14 0591"
debt_help_gkb = "GKB Drenthe, 0592 - 000 000"
objection_phone = "0591 - 123 456"

[signals]
format = "json"
"""


def invoke(*args: str) -> str:
    """Run one command; it must succeed. Its standard output."""
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return r.stdout


def landlord_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str = POLICY) -> Path:
    """``tmp_path`` as the landlord's installation: ``policy.toml``, ``v.db`` and ``out/``."""
    path = tmp_path / "policy.toml"
    path.write_text(policy)
    monkeypatch.setenv("VANGNET_DB", str(tmp_path / "v.db"))
    monkeypatch.setenv("VANGNET_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("VANGNET_POLICY", str(path))
    monkeypatch.delenv("VANGNET_ACTOR", raising=False)
    return tmp_path


def start_tenant(ref: str, rent: str = "650.00", *, name: str = "J. Jansen",
                 address: str = "Hoofdstraat 1, 7811 AA Emmen", phone: str = "0612345678") -> None:
    """A tenancy from 1 January 2026 in Emmen, with name, address and phone number."""
    invoke("tenancy", "start", ref, "--rent", rent, "--start", "2026-01-01", "--name", name,
           "--address", address, "--phone", phone, "--municipality", "Emmen")
