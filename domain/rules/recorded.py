"""Rule ids recorded with events that no strategy step decides: they come with an
intake, a staff decision or a telephony provider's fact. Registered so that every
rule id a case or tenancy records has its facts in ``domain.rulebook.RULES``."""

from __future__ import annotations

from domain.rulebook import rule

INTAKE_PROFILE = rule("INTAKE-PROFILE", "an intake answer gives a prevention profile (debt counselling, "
                      "garnishment, financial administration, a benefit pay day)")
STAFF = rule("STAFF", "a staff member assigns a prevention profile")
STD_TRANSFER = rule("STD-TRANSFER", "the tenant pressed 2 in the robocall and spoke to an officer")
STD_TRANSFER_NO_AGENT = rule("STD-TRANSFER-NO-AGENT", "the tenant pressed 2 and no officer was free: "
                             "a call-back task")
TEL_FACT = rule("TEL-FACT", "a telephony provider reported the result of a robocall or SMS")
