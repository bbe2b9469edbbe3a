"""What the robocall says, in Dutch.

A voicemail box or a housemate may hear any of it, so no text here names an
amount or uses the word "achterstand": the call only offers the choice
"press 1 for an SMS with the payment details, press 2 to speak to an officer".
"""

from __future__ import annotations

__all__ = [
    "GOODBYE_NO_INPUT_NL",
    "NO_AGENT_NL",
    "ROBOCALL_SCRIPT_NL",
    "SCRIPTS",
    "SMS_CONFIRMATION_NL",
    "TRANSFER_NL",
    "VOICEMAIL_NL",
    "script_text",
]

ROBOCALL_SCRIPT_NL = (
    "Goedendag. Dit is een automatisch bericht van uw woningcorporatie. "
    "Toets 1 als u de betaalgegevens per sms wilt ontvangen. "
    "Toets 2 als u een medewerker wilt spreken."
)

SMS_CONFIRMATION_NL = (
    "Dank u wel. U ontvangt de betaalgegevens zo snel mogelijk per sms. Tot ziens."
)
TRANSFER_NL = "Een moment alstublieft, u wordt doorverbonden met een medewerker."
NO_AGENT_NL = (
    "Er is op dit moment geen medewerker beschikbaar. Wij nemen zelf contact met u op. Tot ziens."
)
GOODBYE_NO_INPUT_NL = (
    "Wij hebben geen keuze ontvangen. Wij nemen later contact met u op. Tot ziens."
)
# left on a voicemail box: who called, nothing about money
VOICEMAIL_NL = (
    "Goedendag. Dit is een automatisch bericht van uw woningcorporatie. "
    "Wij bellen u later nog een keer."
)

SCRIPTS: dict[str, str] = {"robocall-nl-v1": ROBOCALL_SCRIPT_NL}


def script_text(script_id: str) -> str:
    """The text of a script id as used in ``CallRequest.script``."""
    try:
        return SCRIPTS[script_id]
    except KeyError:
        raise ValueError(f"unknown robocall script {script_id!r}") from None
