"""Who a letter is addressed to, and who gets a copy (LETTER-ADDRESSEE).

Where a court-appointed protection administrator (beschermingsbewindvoerder) is
recorded for the tenancy, the administrator manages the tenant's money: every letter
about the rent is addressed to the administrator. Where a debt counsellor is recorded
(a debt-help programme), the counsellor is the addressee. In both cases the tenant,
who remains the party to the lease, gets a copy; with an administrator a recorded
counsellor gets one too. Without either the letter goes to the tenant alone.

The rule names roles only; names and postal addresses are read by the letters adapter
from the contact directory when it renders the letter, so no event holds them.
"""

from __future__ import annotations

from domain.tenancy import Tenancy
from domain.values import Representative

LETTER_ADDRESSEE = "LETTER-ADDRESSEE"
TENANT = "tenant"


def addressees(tenancy: Tenancy) -> tuple[str, tuple[str, ...]]:
    """(addressee, copies) as roles: ``tenant``, ``administrator`` or ``counsellor``."""
    reps = getattr(tenancy, "representatives", {})
    admin, counsellor = Representative.ADMINISTRATOR.value, Representative.COUNSELLOR.value
    if admin in reps:
        return admin, (TENANT, counsellor) if counsellor in reps else (TENANT,)
    if counsellor in reps:
        return counsellor, (TENANT,)
    return TENANT, ()
