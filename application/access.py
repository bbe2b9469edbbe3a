"""Roles and permissions: every command names the permission it needs.

Defaults follow the privacy issue; a policy file may override the map
(``[permissions] officer = ["record_contact", ...]``)."""

from __future__ import annotations

from collections.abc import Mapping

from domain.values import Actor, Role

OFFICER = {
    "record_contact", "promise_to_pay", "refer", "accept_referral", "decline_referral",
    "agree_arrangement", "object_to_signal", "raise_worry", "lift_worry", "close_task",
    "read", "pause_case", "update_contact", "assign_suspense", "record_programme",
}
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.OFFICER: frozenset(OFFICER),
    Role.TEAM_LEAD: frozenset(OFFICER | {
        "approve_bailiff", "decide_legal_action", "lift_profile", "assign_profile", "resume_case",
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
    def __init__(self, overrides: Mapping[str, list[str]] | None = None):
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
            return True
        return permission in self.map.get(actor.role, frozenset())

    def check(self, actor: Actor | None, permission: str) -> Actor:
        if actor is None:
            raise AccessDenied(f"{permission}: an actor is required (role:id)")
        if not self.allowed(actor, permission):
            raise AccessDenied(f"{permission}: role {actor.role.value} may not do this (actor {actor})")
        return actor
