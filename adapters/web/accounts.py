"""Workbench accounts: a name, a role and an argon2 password hash in the store's
``users`` table. Passwords are never stored or logged."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import attrs
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from application.store import Upsert
from domain.values import Actor, Role

NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
STAFF_ROLES = (Role.OFFICER, Role.TEAM_LEAD, Role.LETTING, Role.AUDITOR)
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# verifying against this keeps the time of "no such user" equal to "wrong password"
_DUMMY = _hasher.hash("vangnet-no-such-user")


class AccountError(ValueError):
    """A user that cannot be created (bad name, role or password)."""


@attrs.frozen
class User:
    name: str
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor(self.role, self.name)


def add_user(store: Any, name: str, role: str, password: str, *, on: date) -> User:
    if not NAME.fullmatch(name or ""):
        raise AccountError(f"name: {name!r} must be 1-64 letters, digits, '.', '_', '@' or '-'")
    try:
        r = Role(role)
    except ValueError:
        r = None  # type: ignore[assignment]
    if r not in STAFF_ROLES:
        raise AccountError(f"role: {role!r} must be one of {', '.join(x.value for x in STAFF_ROLES)}")
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")
    existing = store.user(name)
    store.apply([Upsert("users", ("name",), {
        "name": name, "role": r.value, "password_hash": _hasher.hash(password),
        "created_on": existing["created_on"] if existing else on.isoformat(), "active": 1,
    })])
    return User(name, r)


def deactivate(store: Any, name: str) -> None:
    row = store.user(name)
    if row is None:
        raise AccountError(f"name: no user {name!r}")
    store.apply([Upsert("users", ("name",), {**row, "active": 0})])


def authenticate(store: Any, name: str, password: str) -> User | None:
    row = store.user(name) if NAME.fullmatch(name or "") else None
    try:
        if row is None or not row["active"]:
            _hasher.verify(_DUMMY, password or "-")
            return None
        _hasher.verify(row["password_hash"], password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return User(row["name"], Role(row["role"]))


def active_user(store: Any, name: str | None) -> User | None:
    """The signed-in (or single-sign-on) user, if the account still exists and is active."""
    if not name or not NAME.fullmatch(name):
        return None
    row = store.user(name)
    if row is None or not row["active"]:
        return None
    return User(row["name"], Role(row["role"]))
