"""Letters adapter: reminder and WIK 14-day letters as HTML, PDF and text in an outbox."""

from application.dutch import dutch_date, dutch_period, euro

from .config import LetterConfig, LetterConfigError, check_config_complete, config_problems
from .outbox import FileLetters, list_outbox

__all__ = [
    "FileLetters",
    "LetterConfig",
    "LetterConfigError",
    "check_config_complete",
    "config_problems",
    "dutch_date",
    "dutch_period",
    "euro",
    "list_outbox",
]
