"""The workbench's Dutch catalog covers every interface text; accounts hash passwords."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from adapters.web import accounts
from adapters.web.i18n import gettext_for

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "adapters" / "web"


def test_every_interface_text_has_a_dutch_translation():
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "N_": None}
    used = {msg for _f, _l, msg, _c, _x in extract_from_dir(str(WEB), method_map, keywords=keywords) if msg}
    with (WEB / "locale" / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="nl")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert len(used) > 150
    assert sorted(used - translated) == []
    assert gettext_for("nl")("Worklist") == "Werklijst" and gettext_for("en")("Worklist") == "Worklist"


def test_accounts_store_an_argon2_hash_and_check_it(app):
    accounts.add_user(app.store, "olaf", "officer", "correct horse battery", on=date(2026, 2, 1))
    row = app.store.user("olaf")
    assert row["password_hash"].startswith("$argon2") and "correct horse" not in row["password_hash"]
    assert accounts.authenticate(app.store, "olaf", "correct horse battery").actor.id == "olaf"
    assert accounts.authenticate(app.store, "olaf", "wrong horse battery") is None
    assert accounts.authenticate(app.store, "nobody", "correct horse battery") is None
    accounts.deactivate(app.store, "olaf")
    assert accounts.authenticate(app.store, "olaf", "correct horse battery") is None
    assert accounts.active_user(app.store, "olaf") is None


@pytest.mark.parametrize("name,role,password,field", [
    ("olaf olaf", "officer", "correct horse battery", "name"),
    ("olaf", "system", "correct horse battery", "role"),
    ("olaf", "admin", "correct horse battery", "role"),
    ("olaf", "officer", "short", "password"),
])
def test_bad_accounts_are_refused_with_the_field(app, name, role, password, field):
    with pytest.raises(accounts.AccountError, match=f"^{field}:"):
        accounts.add_user(app.store, name, role, password, on=date(2026, 2, 1))
    assert app.store.users() == []
