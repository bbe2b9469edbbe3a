"""Rendering a letter: Jinja2 templates (HTML and text) and a PDF made with fpdf2."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from adapters.pdf_text import latin1
from application.dutch import dutch_date, dutch_period, euro
from application.ports import Contact, LetterRequest
from domain import wik
from domain.policy import Policy
from domain.values import LetterKind

from .config import LetterConfig

TEMPLATES = Path(__file__).parent / "templates"

TITLES = {
    LetterKind.REMINDER: "Herinnering huurbetaling",
    LetterKind.FOURTEEN_DAY_LETTER: "Aanmaning (veertiendagenbrief)",
    LetterKind.ARRANGEMENT_CONFIRMATION: "Bevestiging betalingsregeling",
    LetterKind.ARRANGEMENT_BROKEN: "Betalingsregeling vervallen",
}

_DEJAVU_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=lambda name: name is not None and ".html" in name,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def address_lines(address: str) -> list[str]:
    """A postal address as lines: split on line breaks, else on commas."""
    parts = address.splitlines() if "\n" in address else address.split(",")
    return [p.strip() for p in parts if p.strip()]


def context(
    letter: LetterRequest, config: LetterConfig, contact: Contact, policy: Policy | None = None
) -> dict[str, Any]:
    """Everything a template needs, already formatted in Dutch. The WIK numbers (term,
    VAT, presumed receipt) are the policy's (``[playbook] wik_*``)."""
    policy = policy if policy is not None else Policy()
    ctx: dict[str, Any] = {
        "kind": str(letter.kind),
        "letter_id": letter.letter_id,
        "tenancy_ref": letter.tenancy_ref,
        "posted_on": dutch_date(letter.posted_on),
        "landlord_name": config.landlord_name,
        "landlord_address_lines": config.address_lines,
        "sender_name": config.sender_name,
        "recipient_name": (contact.name or "").strip(),
        "recipient_address_lines": address_lines(contact.address or ""),
        "rows": [
            {"period": dutch_period(p.period), "amount": euro(p.cents)} for p in letter.arrears
        ],
        "total": euro(letter.total_cents),
        "iban": config.iban_formatted,
        "payment_reference": letter.payment_reference,
        "payment_phone": config.payment_phone,
        "debt_help": config.debt_help_lines(),
        "offers_signal": bool(letter.offers_signal),
        "objection": config.objection_lines(),
    }
    if letter.instalments:
        ctx["instalments"] = [
            {"n": n, "due_on": dutch_date(d), "amount": euro(c)}
            for n, (d, c) in enumerate(letter.instalments, start=1)
        ]
        ctx["instalments_total"] = euro(sum(c for _, c in letter.instalments))
    if letter.kind == LetterKind.FOURTEEN_DAY_LETTER:
        assert letter.costs_cents is not None and letter.deadline is not None
        receipt = wik.letter_receipt(letter.posted_on, policy)
        ctx.update(
            costs=euro(letter.costs_cents),
            total_with_costs=euro(letter.total_cents + letter.costs_cents),
            deadline=dutch_date(letter.deadline),
            deadline_weekday=dutch_date(letter.deadline, weekday=True),
            receipt_date=dutch_date(receipt),
            reminder_date=(dutch_date(letter.reminder_posted_on)
                           if letter.reminder_posted_on and letter.reminder_posted_on < letter.posted_on else None),
            term_days=policy.wik_term_days,
            vat_percent=policy.wik_vat_percent,
        )
    return ctx


def render_html(kind: str, ctx: dict[str, Any]) -> str:
    return environment().get_template(f"{kind}.html.j2").render(ctx)


def render_text(kind: str, ctx: dict[str, Any]) -> str:
    return environment().get_template(f"{kind}.txt.j2").render(ctx)


# --------------------------------------------------------------------------- PDF


@lru_cache(maxsize=1)
def dejavu_fonts() -> dict[str, Path] | None:
    """DejaVu Sans as shipped with matplotlib (has € and every Dutch character), or None."""
    candidates: list[Path] = []
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        candidates.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
        try:
            import matplotlib

            candidates.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
        except Exception:  # pragma: no cover - a broken matplotlib install
            pass
    for folder in candidates:
        files = {style: folder / name for style, name in _DEJAVU_FILES.items()}
        if all(f.is_file() for f in files.values()):
            return files
    return None


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)




def render_pdf(
    html: str, *, title: str, author: str, posted_on, font: str | None = "auto"
) -> bytes:
    """A PDF of the letter from its HTML (fpdf2 ``write_html``); deterministic bytes.

    ``font="auto"`` embeds DejaVu Sans when available, else uses the core font
    Helvetica (latin-1: the euro sign is written as ``EUR``); ``font=None`` forces
    the core font.
    """
    from fpdf import FPDF
    from fpdf.fonts import TextStyle

    body_match = _BODY.search(html)
    body = body_match.group(1) if body_match else html
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(datetime(posted_on.year, posted_on.month, posted_on.day, tzinfo=UTC))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    fonts = dejavu_fonts() if font == "auto" else None
    if fonts:
        family = "DejaVu"
        for style, path in fonts.items():
            pdf.add_font(family, style, str(path))
        bullet = "disc"
    else:
        family = "helvetica"
        body = latin1(body)
        title, author = latin1(title), latin1(author)
        bullet = "-"
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_lang("nl")
    pdf.add_page()
    pdf.set_font(family, size=10)
    styles = {
        "h1": TextStyle(
            font_family=family,
            font_style="B",
            font_size_pt=14,
            color="#000000",
            t_margin=4,
            b_margin=3,
        ),
        "h2": TextStyle(
            font_family=family,
            font_style="B",
            font_size_pt=11,
            color="#000000",
            t_margin=4,
            b_margin=2,
        ),
    }
    pdf.write_html(
        body,
        font_family=family,
        ul_bullet_char=bullet,
        tag_styles=styles,
        li_prefix_color=(0, 0, 0),
    )
    return bytes(pdf.output())
