"""Text for a PDF written with the core fonts (latin-1 only), when no DejaVu font is
installed: used by the letters and the court dossier alike."""

from __future__ import annotations

import unicodedata

_PUNCTUATION = str.maketrans({"€": "EUR", "’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def latin1(text: str) -> str:
    """EUR for €, straight quotes and dashes, accents kept, anything else simplified
    (``ł`` -> ``l``) or ``?`` when it has no latin-1 form."""
    out = []
    for ch in text.translate(_PUNCTUATION):
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(plain or "?")
    return "".join(out)
