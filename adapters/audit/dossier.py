"""The court dossier (dossier voor de kantonrechter) as HTML and as PDF (fpdf2).

Input: ``application.audit.dossier(app, actor, case_id)``. Dutch, because it is for a
Dutch court: the tenancy, arrears per period and per month, every contact attempt
(channel, date, outcome), letters with dates and deadlines, referrals, the municipal
signal with its four legal conditions, promises and arrangements, legal steps, and
every automated step with its rule, legal basis and inputs. The only personal data is
the tenant's name ("gewist" when it was erased).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2

from adapters.pdf_text import latin1
from application.dutch import dutch_date_of
from domain.values import format_euro

CHANNEL = {
    "phone": "telefoon",
    "home_visit": "huisbezoek",
    "robocall": "belcomputer",
    "sms": "sms",
    "letter": "brief",
}
OUTCOME = {
    "reached": "bereikt",
    "no_answer": "geen gehoor",
    "not_home": "niet thuis",
    "refused": "contact geweigerd",
    "busy": "in gesprek",
    "voicemail": "voicemail",
    "chose_sms": "koos sms met betaalgegevens",
    "chose_transfer": "doorverbonden met medewerker",
    "no_input": "geen keuze",
    "invalid_number": "ongeldig nummer",
    "not_dialled": "niet gebeld",
    "opted_out": "afgemeld",
    "failed": "mislukt",
    "sent": "verzonden",
    "delivered": "afgeleverd",
}
PARTNER = {
    "welfare": "welzijnsorganisatie",
    "gkb": "Gemeentelijke Kredietbank (schuldhulp)",
    "budget_coach": "budgetcoach",
    "schuldhulpmaatje": "Schuldhulpmaatje",
}
LETTER = {
    "reminder": "herinnering (met aanbod vroegsignalering)",
    "fourteen_day_letter": "veertiendagenbrief (WIK)",
}
ROLE_NL = {"tenant": "huurder", "administrator": "beschermingsbewindvoerder", "counsellor": "schuldhulpverlener"}
TRACK = {"prevention": "preventie", "worry": "zorg", "standard": "standaard"}
STATUS = {
    "open": "open",
    "closed": "gesloten",
    "made": "gedaan",
    "accepted": "geaccepteerd",
    "declined": "afgewezen",
    "active": "lopend",
    "broken": "niet nagekomen",
    "completed": "voldaan",
    "kept": "nagekomen",
    "superseded": "vervangen",
}
CONDITION = {
    "personal_contact_attempted": "persoonlijk contact geprobeerd (telefoon of huisbezoek)",
    "pointed_to_debt_help": "gewezen op schuldhulpverlening",
    "reminder_with_offer_sent": "herinnering met aanbod tot doorgeven gegevens verstuurd",
    "no_objection": "geen bezwaar van de huurder",
}


nl_date = dutch_date_of  # ``2026-03-14`` -> ``14 maart 2026``; empty for None


def euro(value: Any) -> str:
    """``1234.56`` (or cents as int) -> ``€ 1.234,56``."""
    if value is None or value == "":
        return ""
    if isinstance(value, int):
        cents = value
    else:
        text = str(value)
        sign = -1 if text.startswith("-") else 1
        whole, _, frac = text.lstrip("-").partition(".")
        cents = sign * (int(whole) * 100 + int((frac + "00")[:2]))
    return format_euro(cents)


def inputs_text(inputs: Any) -> str:
    if not isinstance(inputs, dict):
        return json.dumps(inputs, ensure_ascii=False, default=str)
    parts = []
    for k, v in inputs.items():
        if isinstance(v, (dict, list)):
            v = json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
        parts.append(f"{k}={v}")
    return "; ".join(parts)


def nlnum(value: Any) -> str:
    """``2.5`` -> ``2,5`` (one decimal)."""
    return "" if value is None else f"{float(value):.1f}".replace(".", ",")


def label(value: Any, mapping: dict[str, str]) -> str:
    return mapping.get(str(value), str(value)) if value is not None else ""


TEMPLATE = r"""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8">
<title>Dossier huurachterstand {{ t.ref }} — zaak {{ c.case_id }}</title>
{% if not pdf %}<style>
body { font-family: DejaVu Sans, Arial, sans-serif; font-size: 10pt; margin: 2em; color: #000; }
h1 { font-size: 15pt; } h2 { font-size: 12pt; margin-top: 1.6em; border-bottom: 1px solid #888; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0; }
th, td { border: 1px solid #999; padding: 3px 5px; text-align: left; vertical-align: top; }
th { background: #eee; } .muted { color: #555; } .num { text-align: right; white-space: nowrap; }
</style>{% endif %}
</head><body>
<h1>Dossier huurachterstand: huurovereenkomst {{ t.ref }}</h1>
<p>Zaak {{ c.case_id }} (versie {{ c.version }}), opgemaakt op {{ d.generated_on|nl_date }} uit het
gebeurtenissenregister van Vangnet. Elke stap hieronder staat daar met datum; geautomatiseerde
stappen vermelden de regel die gold en de gegevens waarop die besliste.</p>

<h2>1. Huurovereenkomst en huurder</h2>
<table border="1" width="100%">
<tr><th width="35%">Huurder</th><td width="65%">{{ name }}</td></tr>
<tr><th>Referentie huurovereenkomst</th><td>{{ t.ref }}</td></tr>
<tr><th>Ingangsdatum</th><td>{{ t.start_date|nl_date }}</td></tr>
<tr><th>Huur per maand</th><td>{{ t.rent|euro }}</td></tr>
<tr><th>Vervaldag</th><td>dag {{ t.due_day }} van de maand{% for h in t.due_day_history %}; per {{ h.on|nl_date }} afgesproken: dag {{ h.to }} (was {{ h['from'] }}; {{ h.reason }}){% endfor %}</td></tr>
<tr><th>Preventieprofiel / zorgsignaal</th><td>{{ "ja" if t.prevention_profile else "nee" }} / {{ "ja" if t.worry else "nee" }}</td></tr>
<tr><th>Saldo (te betalen)</th><td>{{ t.balance|euro }}</td></tr>
<tr><th>Huurachterstand</th><td>{{ t.arrears_total|euro }} ({{ t.months_of_rent|nlnum }} maand huur)</td></tr>
{% if t.ended_on %}<tr><th>Einddatum huurovereenkomst</th><td>{{ t.ended_on|nl_date }}</td></tr>{% endif %}
</table>

<h2>2. De zaak</h2>
<table border="1" width="100%">
<tr><th width="35%">Geopend</th><td width="65%">{{ c.opened_on|nl_date }} (onbetaald sinds {{ c.due_date|nl_date }}, periode {{ c.period }}, bedrag {{ c.opened_amount|euro }})</td></tr>
<tr><th>Aanpak</th><td>{{ c.track|label(TRACK) }}</td></tr>
<tr><th>Status</th><td>{{ c.status|label(STATUS) }}{% if c.closed_on %} sinds {{ c.closed_on|nl_date }} ({{ c.close_reason }}){% endif %}</td></tr>
{% if c.reopens %}<tr><th>Vervolg op zaak</th><td>{{ c.reopens }}</td></tr>{% endif %}
{% if c.paused_until %}<tr><th>Incasso gepauzeerd tot</th><td>{{ c.paused_until|nl_date }} ({{ c.pause_reason }})</td></tr>{% endif %}
<tr><th>Schuldhulptraject geaccepteerd</th><td>{{ "ja" if d.debt_counselling_accepted else "nee" }}</td></tr>
</table>

<h2>3. Huurachterstand per periode</h2>
{% if d.arrears_by_period %}<table border="1" width="100%">
<thead><tr><th width="30%">Periode</th><th width="35%">Vervaldatum</th><th width="35%">Onbetaald</th></tr></thead><tbody>
{% for a in d.arrears_by_period %}<tr><td>{{ a.period }}</td><td>{{ a.due_date|nl_date }}</td><td class="num">{{ a.amount|euro }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p>Geen achterstand op {{ d.generated_on|nl_date }}.</p>{% endif %}

<h2>4. Verloop per maand</h2>
<table border="1" width="100%">
<thead><tr><th width="16%">Maand</th><th width="17%">Huur in rekening</th><th width="17%">Betaald</th><th width="17%">Gecrediteerd</th><th width="16%">Incassokosten</th><th width="17%">Saldo einde maand</th></tr></thead><tbody>
{% for m in d.history_by_month %}<tr><td>{{ m.period }}</td><td class="num">{{ m.charged|euro }}</td><td class="num">{{ m.paid|euro }}</td><td class="num">{{ m.credited|euro }}</td><td class="num">{{ m.costs|euro }}</td><td class="num">{{ m.balance|euro }}</td></tr>
{% endfor %}</tbody></table>

<h2>5. Contactpogingen</h2>
<p>{{ d.personal_contact_attempts }} persoonlijke contactpoging(en) (telefoon of huisbezoek); {{ d.contacts|length }} in totaal.</p>
{% if d.contacts %}<table border="1" width="100%">
<thead><tr><th width="18%">Datum</th><th width="17%">Kanaal</th><th width="25%">Uitkomst</th><th width="20%">Door</th><th width="20%">Regel</th></tr></thead><tbody>
{% for x in d.contacts %}<tr><td>{{ x.on|nl_date }}</td><td>{{ x.channel|label(CHANNEL) }}</td><td>{{ x.outcome|label(OUTCOME) }}{% if x.needs_help %}; hulp nodig{% endif %}</td><td>{{ x.by }}</td><td>{{ x.rule or "" }}</td></tr>
{% endfor %}</tbody></table>{% endif %}
{% if d.contacts_pending %}<p>Aangevraagd, nog zonder uitkomst: {% for p in d.contacts_pending %}{{ p.channel|label(CHANNEL) }} {{ p.on|nl_date }} ({{ p.rule }}){{ ", " if not loop.last }}{% endfor %}.</p>{% endif %}

<h2>6. Brieven</h2>
{% if d.letters %}<table border="1" width="100%">
<thead><tr><th width="30%">Brief</th><th width="18%">Verstuurd</th><th width="18%">Uiterste betaaldatum</th><th width="17%">Bedrag</th><th width="17%">Incassokosten</th></tr></thead><tbody>
{% for l in d.letters %}<tr><td>{{ l.kind|label(LETTER) }}{% if l.period %} ({{ l.period }}){% endif %}</td><td>{{ l.posted_on|nl_date }}</td><td>{{ l.deadline|nl_date }}</td><td class="num">{{ l.amount|euro }}</td><td class="num">{{ l.costs|euro }}</td></tr>
{% endfor %}</tbody></table>
<p class="muted">Kenmerken en controlegetallen: {% for l in d.letters %}{{ l.letter_id }} ({{ l.checksum[:16] }}){{ "; " if not loop.last }}{% endfor %}.</p>
{% for l in d.letters if l.addressed_to != "tenant" %}<p>{{ l.kind|label(LETTER) }}: geadresseerd aan de {{ ROLE_NL.get(l.addressed_to, l.addressed_to) }}{% if l.copies %}, afschrift aan {% for r in l.copies %}{{ ROLE_NL.get(r, r) }}{{ ", " if not loop.last }}{% endfor %}{% endif %}.</p>
{% endfor %}
{% else %}<p>Geen brieven verstuurd.</p>{% endif %}
{% if d.collection_costs %}<p>Incassokosten {{ d.collection_costs|euro }} in rekening gebracht op {{ d.collection_costs_on|nl_date }}, na het verstrijken van de termijn uit de veertiendagenbrief.</p>{% endif %}

<h2>7. Verwijzingen naar hulp</h2>
{% if d.referrals %}<table border="1" width="100%">
<thead><tr><th width="35%">Partner</th><th width="20%">Datum</th><th width="25%">Status</th><th width="20%">Toestemming</th></tr></thead><tbody>
{% for r in d.referrals %}<tr><td>{{ r.partner|label(PARTNER) }}</td><td>{{ r.on|nl_date }}</td><td>{{ r.status|label(STATUS) }}{% if r.accepted_on %} ({{ r.accepted_on|nl_date }}){% endif %}</td><td>{{ "ja" if r.consent else "nee" }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p>Geen verwijzingen.</p>{% endif %}

<h2>8. Vroegsignalering aan de gemeente</h2>
{% if d.signal %}<p>Signaal verstuurd op <b>{{ d.signal.on|nl_date }}</b> (bedrag {{ (d.signal.amount_cents)|euro }}).</p>
{% elif d.signal_objected_on %}<p>De huurder maakte op {{ d.signal_objected_on|nl_date }} bezwaar; er is geen signaal verstuurd.</p>
{% else %}<p>Geen signaal verstuurd.</p>{% endif %}
<table border="1" width="100%">
<thead><tr><th width="75%">Voorwaarde (Besluit gemeentelijke schuldhulpverlening art. 2)</th><th width="25%">Voldaan</th></tr></thead><tbody>
{% for k, ok in d.signal_conditions.items() %}<tr><td>{{ k|label(CONDITION) }}</td><td>{{ "ja" if ok else "nee" }}</td></tr>
{% endfor %}</tbody></table>

<h2>9. Betaalbeloften en betalingsregelingen</h2>
{% if d.promises %}<ul>{% for p in d.promises %}<li>{{ p.on|nl_date }}: belofte te betalen voor {{ p.pay_by|nl_date }} ({{ p.status|label(STATUS) }}, {{ p.by }})</li>{% endfor %}</ul>{% endif %}
{% if d.arrangements %}{% for a in d.arrangements %}<p>Regeling afgesproken op {{ a.agreed_on|nl_date }} door {{ a.by }}: {{ a.instalments|length }} termijnen; status {{ a.status|label(STATUS) }}{% if a.ended_on %} ({{ a.ended_on|nl_date }}){% endif %}{% if a.missed %}; gemiste termijnen: {{ a.missed|join(", ") }}{% endif %}.</p>
<table border="1" width="100%"><thead><tr><th width="15%">Termijn</th><th width="45%">Datum</th><th width="40%">Bedrag</th></tr></thead><tbody>
{% for i in a.instalments %}<tr><td>{{ loop.index }}</td><td>{{ i.due_on|nl_date }}</td><td class="num">{{ i.cents|euro }}</td></tr>{% endfor %}
</tbody></table>{% endfor %}{% endif %}
{% if not d.promises and not d.arrangements %}<p>Geen beloften of regelingen.</p>{% endif %}

<h2>10. Deurwaarder en gerechtelijke stappen</h2>
<ul>
<li>Overdracht aan deurwaarder mogelijk sinds: {{ d.bailiff_eligible_on|nl_date or "nee" }}{% if d.bailiff_handed_over %}; goedgekeurd op {{ d.bailiff_handed_over.on|nl_date }} door {{ d.bailiff_handed_over.approved_by }}{% endif %}</li>
<li>Ontbinding kan worden voorgelegd sinds: {{ d.legal_eligible_on|nl_date or "nee" }}</li>
{% for x in d.legal_decisions %}<li>Besluit {{ x.on|nl_date }} door {{ x.by }}: {{ x.reason }}</li>{% endfor %}
<li>Besluit door twee verschillende medewerkers: {{ "ja" if d.legal_action_approved else "nee" }}</li>
{% for e in d.court or [] %}<li>Rechtsgang {{ e.on|nl_date }}: {{ e.kind }}{% if e.outcome %} ({{ e.outcome }}){% endif %}{% if e.scheduled_on %}; ontruiming gepland op {{ e.scheduled_on|nl_date }}{% endif %} ({{ e.by }})</li>
{% endfor %}</ul>
<h3>Huishouden en huisbezoek</h3>
<ul>
<li>Huisbezoeken: {% for v in d.home_visits or [] %}{{ v.on|nl_date }} ({{ v.outcome }}){% if not loop.last %}, {% endif %}{% else %}geen{% endfor %}</li>
{% for h in d.household or [] %}<li>Huishouden vastgelegd op {{ h.on|nl_date }} door {{ h.by }}: {% if h.facts is mapping %}kinderen: {{ "ja" if h.facts.children else "nee" }}; zorg: {{ "ja" if h.facts.care else "nee" }}; maatschappelijke ondersteuning betrokken: {{ "ja" if h.facts.social_services else "nee" }}{% if h.facts.note %}; {{ h.facts.note }}{% endif %}{% else %}{{ h.facts }}{% endif %}</li>
{% else %}<li>Geen huishoudgegevens vastgelegd.</li>{% endfor %}
{% if d.programme %}<li>Schuldhulptraject: {{ d.programme.state }} sinds {{ d.programme.since|nl_date }}</li>{% endif %}
</ul>

<h2>11. Geautomatiseerde stappen (regel en gegevens)</h2>
<table border="1" width="100%">
<thead><tr><th width="14%">Datum</th><th width="18%">Regel</th><th width="68%">Gegevens waarop de regel besliste</th></tr></thead><tbody>
{% for s in d.steps %}<tr><td>{{ s.on|nl_date }}</td><td>{{ s.rule }}{% if s.basis %} ({{ s.basis }}){% endif %}</td><td>{{ s.inputs|inputs }}</td></tr>
{% endfor %}</tbody></table>

{% if d.previous_cases %}<h2>12. Eerdere zaken</h2><ul>
{% for p in d.previous_cases %}<li>{% if p.missing %}zaak {{ p.case_id }}: niet gevonden{% else %}zaak {{ p.case_id }} (periode {{ p.period }}): geopend {{ p.opened_on|nl_date }}, {% if p.closed_on %}gesloten {{ p.closed_on|nl_date }} ({{ p.close_reason }}){% else %}open{% endif %}; {{ p.contacts }} contactpogingen{% if p.signal_on %}; signaal {{ p.signal_on|nl_date }}{% endif %}{% endif %}</li>
{% endfor %}</ul>{% endif %}
<p class="muted">Bron: Vangnet-gebeurtenissen van huurovereenkomst {{ t.tenancy_id }} (versie {{ t.version }}) en zaak {{ c.case_id }} (versie {{ c.version }}). Geen andere persoonsgegevens dan de naam van de huurder.</p>
</body></html>
"""


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.ChainableUndefined, trim_blocks=False
    )
    env.filters.update(nl_date=nl_date, euro=euro, inputs=inputs_text, label=label, nlnum=nlnum)
    return env


_TEMPLATE = _environment().from_string(TEMPLATE)


def render_html(data: dict[str, Any], *, pdf: bool = False) -> str:
    """The dossier as a standalone HTML page (``pdf``: the plain variant fpdf2 reads)."""
    name = data["tenancy"]["tenant_name"]
    shown = {"erased": "gewist (persoonsgegevens verwijderd)", "unknown": "onbekend"}.get(
        name, name
    )
    return _TEMPLATE.render(
        d=data,
        t=data["tenancy"],
        c=data["case"],
        name=shown,
        pdf=pdf,
        TRACK=TRACK,
        STATUS=STATUS,
        CHANNEL=CHANNEL,
        OUTCOME=OUTCOME,
        PARTNER=PARTNER,
        LETTER=LETTER,
        ROLE_NL=ROLE_NL,
        CONDITION=CONDITION,
    )


# --------------------------------------------------------------------------- PDF

_SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_DEJAVU = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
           "BI": "DejaVuSans-BoldOblique.ttf"}  # fmt: skip


def _fonts() -> dict[str, Path] | None:
    try:
        from adapters.letters.render import dejavu_fonts

        found = dejavu_fonts()
        if found:
            return dict(found)
    except Exception:  # noqa: BLE001 - the letters adapter is optional here
        pass
    files = {style: _SYSTEM_DEJAVU / name for style, name in _DEJAVU.items()}
    return files if all(f.is_file() for f in files.values()) else None




_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
_CLASS = re.compile(r'\s+class="[^"]*"')


def render_pdf(data: dict[str, Any]) -> bytes:
    """The dossier as a PDF (A4, DejaVu Sans when available, else Helvetica)."""
    from fpdf import FPDF
    from fpdf.fonts import TextStyle

    html = render_html(data, pdf=True)
    m = _BODY.search(html)
    body = _CLASS.sub("", m.group(1) if m else html)
    generated = date.fromisoformat(data["generated_on"])
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(datetime(generated.year, generated.month, generated.day, tzinfo=UTC))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    fonts = _fonts()
    title = f"Dossier huurachterstand {data['tenancy']['ref']}"
    if fonts:
        family = "DejaVu"
        for style, path in fonts.items():
            pdf.add_font(family, style, str(path))
    else:
        family = "helvetica"
        body, title = latin1(body), latin1(title)
    pdf.set_title(title)
    pdf.set_author("Vangnet")
    pdf.set_lang("nl")
    pdf.add_page()
    pdf.set_font(family, size=8)
    styles = {
        "h1": TextStyle(font_family=family, font_style="B", font_size_pt=13, color="#000000",
                        t_margin=2, b_margin=3),
        "h2": TextStyle(font_family=family, font_style="B", font_size_pt=10, color="#000000",
                        t_margin=5, b_margin=2),
    }  # fmt: skip
    pdf.write_html(body, font_family=family, tag_styles=styles, ul_bullet_char="-",
                   li_prefix_color=(0, 0, 0))  # fmt: skip
    return bytes(pdf.output())
