"""Roles and permissions: every command names the permission it needs.

Defaults follow the privacy issue; a policy file may override the map
(``[permissions] officer = ["record_contact", ...]``).

Who the actor is comes from an ``Identity`` (``[access]`` in the policy file):

* single-user (the default): the actor is whatever ``--as ROLE:ID`` says, and with
  nothing said the local administrator ``admin:<login>``, who may do everything;
* multi-user (``mode = "multi-user"``): the actor is the signed-in person (the login
  name for the CLI, the workbench's sign-in for the web) looked up in an allow-list
  ``[access.users] anna = ["team_lead"]``; ``--as`` may only pick one of that
  person's own roles, never another person's id. The ``admin`` role is off unless
  ``admin = true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from domain.validation import staff_id
from domain.values import Actor, InvalidValue, Role

OFFICER = {
    "record_contact", "promise_to_pay", "refer", "accept_referral", "decline_referral",
    "agree_arrangement", "object_to_signal", "raise_worry", "lift_worry", "close_task",
    "read", "pause_case", "update_contact", "assign_suspense", "record_programme", "record_household",
}
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.OFFICER: frozenset(OFFICER),
    Role.TEAM_LEAD: frozenset(OFFICER | {
        "approve_bailiff", "decide_legal_action", "lift_profile", "assign_profile", "resume_case",
        "record_court_event",
        "run_day",  # a team lead may start the daily run by hand (recorded as the run's actor)
    }),
    Role.LETTING: frozenset({
        "start_tenancy", "record_intake", "agree_due_day", "assign_profile", "end_tenancy",
        "update_contact", "read",
    }),
    Role.AUDITOR: frozenset({"read", "audit"}),
    Role.SYSTEM: frozenset({
        "run_day", "record_facts", "import_ledger", "post_ledger", "read", "dispatch",
        "export_signals", "audit",
    }),
}
ALL_PERMISSIONS = frozenset().union(*PERMISSIONS.values()) | {"erase_personal_data"}


class AccessDenied(PermissionError):
    """The actor's role may not run this command. Nothing was recorded."""


class Access:
    def __init__(self, overrides: Mapping[str, list[str]] | None = None, *, admin: bool = True):
        self.admin = admin  # False: the admin role has no rights at all (multi-user installations)
        self.map = dict(PERMISSIONS)
        for role_name, perms in (overrides or {}).items():
            try:
                role = Role(role_name)
            except ValueError:
                raise ValueError(f"permissions.{role_name}: unknown role (roles: {', '.join(r.value for r in Role)})") from None
            if not isinstance(perms, list) or not all(isinstance(x, str) for x in perms):
                raise ValueError(f"permissions.{role_name}: must be a list of permission names")
            unknown = set(perms) - ALL_PERMISSIONS
            if unknown:
                raise ValueError(f"permissions.{role_name}: unknown permission(s) {sorted(unknown)}")
            self.map[role] = frozenset(perms)

    def allowed(self, actor: Actor, permission: str) -> bool:
        if actor.role == Role.ADMIN:
            return self.admin
        return permission in self.map.get(actor.role, frozenset())

    def check(self, actor: Actor | None, permission: str) -> Actor:
        if actor is None:
            raise AccessDenied(f"{permission}: an actor is required (role:id)")
        if actor.role == Role.ADMIN and not self.admin:
            raise AccessDenied(f"{permission}: the admin role is disabled in this installation (actor {actor})")
        if not self.allowed(actor, permission):
            raise AccessDenied(f"{permission}: role {actor.role.value} may not do this (actor {actor})")
        return actor


def require_admin(actor: Actor, refusal: str) -> Actor:
    """Operations on the installation itself (workbench accounts, copying the store) are
    the local administrator's only: no policy can grant them to another role."""
    if actor.role != Role.ADMIN:
        raise AccessDenied(refusal)
    return actor


MODES = ("single-user", "multi-user")


@attrs.frozen
class Identity:
    """Who may act, from the policy's ``[access]`` section."""

    mode: str = "single-user"
    admin: bool = True
    users: Mapping[str, frozenset[Role]] = attrs.Factory(dict)  # normalised login -> roles

    @property
    def multi_user(self) -> bool:
        return self.mode == "multi-user"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Identity:
        """Raises ``InvalidValue`` naming the key (``access.users.anna``)."""
        data = dict(data or {})
        unknown = set(data) - {"mode", "admin", "users"}
        if unknown:
            raise InvalidValue(f"access.{sorted(unknown)[0]}: unknown key (known: mode, admin, users)")
        mode = data.get("mode", "single-user")
        if mode not in MODES:
            raise InvalidValue(f"access.mode: {mode!r} is not one of {', '.join(MODES)}")
        admin = data.get("admin", mode == "single-user")
        if not isinstance(admin, bool):
            raise InvalidValue(f"access.admin: {admin!r} must be true or false")
        raw_users = data.get("users", {})
        if not isinstance(raw_users, Mapping):
            raise InvalidValue("access.users: must be a table of login = [roles]")
        users: dict[str, frozenset[Role]] = {}
        for login, roles in raw_users.items():
            names = [roles] if isinstance(roles, str) else roles
            if not isinstance(names, list) or not names or not all(isinstance(r, str) for r in names):
                raise InvalidValue(f"access.users.{login}: must be a role or a list of roles")
            try:
                parsed = frozenset(Role(r) for r in names)
            except ValueError:
                raise InvalidValue(f"access.users.{login}: {names!r} names an unknown role "
                                   f"(roles: {', '.join(r.value for r in Role)})") from None
            if Role.ADMIN in parsed and not admin:
                raise InvalidValue(f"access.users.{login}: the admin role is disabled (access.admin = false)")
            try:
                Actor.parse(f"officer:{login}")
            except InvalidValue:
                raise InvalidValue(f"access.users.{login}: not a valid login (letters, digits, . _ @ -)") from None
            users[staff_id(login)] = parsed
        if mode == "multi-user" and not users:
            raise InvalidValue("access.users: a multi-user installation needs at least one user")
        return cls(mode=mode, admin=admin, users=users)

    def access(self, overrides: Mapping[str, list[str]] | None = None) -> Access:
        return Access(overrides, admin=self.admin)

    def resolve(self, login: str, requested: str | None) -> Actor:
        """The actor of a command run by ``login`` (the signed-in person), who asked
        for ``requested`` (``ROLE`` or ``ROLE:ID``, or nothing)."""
        if not self.multi_user:
            if requested:
                actor = _parse_requested(requested, login)
                if actor.role == Role.ADMIN and not self.admin:
                    raise AccessDenied("actor: the admin role is disabled in this installation")
                return actor
            if not self.admin:
                raise AccessDenied("actor: none given (--as ROLE:ID or VANGNET_ACTOR) and the admin role is disabled")
            return Actor(Role.ADMIN, login)
        roles = self.users.get(staff_id(login))
        if roles is None:
            raise AccessDenied(f"actor: {login!r} is not a user of this installation ([access.users])")
        if not requested:
            if len(roles) != 1:
                raise AccessDenied(f"actor: {login} has several roles ({', '.join(sorted(r.value for r in roles))}); "
                                   "choose one with --as ROLE")
            return Actor(next(iter(roles)), login)
        actor = _parse_requested(requested, login)
        if staff_id(actor.id) != staff_id(login):
            raise AccessDenied(f"actor: {login} may not act as {actor.id!r} (multi-user installation)")
        if actor.role not in roles:
            raise AccessDenied(f"actor: {login} does not have the role {actor.role.value}")
        return Actor(actor.role, login)


def _parse_requested(text: str, login: str) -> Actor:
    return Actor.parse(text if ":" in text else f"{text}:{login}")
