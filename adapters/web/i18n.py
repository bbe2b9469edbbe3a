"""Interface texts: English in the code and templates, Dutch (the default) from the
gettext catalog ``locale/nl/LC_MESSAGES/messages.po``, read with Babel at start-up
(compiled in memory, so the running catalog is always the committed one)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"nl": "Nederlands", "en": "English"}
DEFAULT = "nl"


@functools.cache
def translations(lang: str) -> NullTranslations:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang not in LANGUAGES or not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def gettext_for(lang: str) -> Callable[[str], str]:
    return translations(lang if lang in LANGUAGES else DEFAULT).gettext
