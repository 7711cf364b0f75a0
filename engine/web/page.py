"""The coach's pages as server-rendered HTML (Dutch). Every value goes through `h` (html.escape)."""
from __future__ import annotations

from html import escape
from typing import Any

from ..model import DOMAIN_IDS, Recommendation
from ..rulebook import Rulebook
from . import labels as L
from .form import SUPPORT_ROWS, Values, first, input_id
from .radar import radar_svg


def h(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


CSS = """
:root{--ink:#1b1b1b;--muted:#555;--accent:#0b5cad;--warn:#8a1c00;--warnbg:#fff1ec;--line:#c9c9c9}
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#fafafa}
header,main,footer{max-width:62rem;margin:0 auto;padding:0 1rem}
header{border-bottom:3px solid var(--accent);margin-bottom:1rem}
nav a{margin-right:1rem}
a{color:var(--accent)}
fieldset{border:1px solid var(--line);border-radius:6px;margin:0 0 1rem;padding:.5rem 1rem 1rem;background:#fff}
legend{font-weight:600;padding:0 .3rem}
label{display:inline-block;margin:.2rem 0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.3rem 1rem}
.field{display:flex;flex-direction:column;margin:.3rem 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.25rem .4rem;border-bottom:1px solid var(--line);vertical-align:top}
select,input[type=text],input[type=number]{font:inherit;padding:.2rem;max-width:100%}
:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
button{font:inherit;padding:.5rem 1.2rem;background:var(--accent);color:#fff;border:0;border-radius:4px;cursor:pointer}
.errors{border:2px solid var(--warn);background:var(--warnbg);padding:.5rem 1rem;border-radius:6px}
.invalid{border:2px solid var(--warn)}
.consent{color:var(--warn);font-weight:700}
.urgent{background:var(--warn);color:#fff;border-radius:3px;padding:0 .3rem;font-size:.85em}
.muted{color:var(--muted);font-size:.9em}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.5rem 1rem;margin-bottom:1rem}
ol.interventions li{margin-bottom:.6rem}
.radar{max-width:100%;height:auto}
.radar .grid{fill:none;stroke:#ddd}.radar .axis{stroke:#bbb}
.radar text{font-size:13px;fill:#333}.radar .tick{font-size:10px;fill:#888}
.radar polygon.self-reliance{fill:rgba(11,92,173,.25);stroke:#0b5cad;stroke-width:2}
.radar circle.self-reliance{fill:#0b5cad}
.radar polygon.satisfaction{fill:none;stroke:#c05a00;stroke-width:2;stroke-dasharray:6 4}
.legend span{margin-right:1rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@media print{
  nav,form,.no-print,footer{display:none !important}
  body{background:#fff;font-size:11pt}
  .card,fieldset{border:0;padding:0}
  a{color:inherit;text-decoration:none}
}
"""


def layout(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{h(title)} — Wegwijzer</title><style>{CSS}</style></head><body>"
        '<header><p><strong>Wegwijzer</strong> — advies voor langdurig bijstandsgerechtigden</p>'
        '<nav aria-label="Hoofdmenu"><a href="/">Nieuw advies</a><a href="/docs">API</a></nav></header>'
        f'<main id="inhoud">{body}</main>'
        '<footer><p class="muted">Vul nooit een naam of BSN in. Het advies ondersteunt de professional; '
        "het besluit blijft bij u en de deelnemer.</p></footer></body></html>"
    )


# ---------------------------------------------------------------- the form


def _options(choices: dict[Any, str], selected: str, blank: str | None = "— niet ingevuld —") -> str:
    out = [f'<option value="">{h(blank)}</option>'] if blank is not None else []
    for value, label in choices.items():
        mark = " selected" if str(value) == selected else ""
        out.append(f'<option value="{h(value)}"{mark}>{h(label)}</option>')
    return "".join(out)


class _Form:
    def __init__(self, values: Values, errors: dict[str, str]):
        self.values, self.errors = values, errors

    def _attrs(self, name: str) -> str:
        ident = input_id(name)
        if name in self.errors:
            return f'id="{ident}" name="{h(name)}" class="invalid" aria-invalid="true" aria-describedby="{ident}-error"'
        return f'id="{ident}" name="{h(name)}"'

    def _error(self, name: str) -> str:
        if name not in self.errors:
            return ""
        return f'<span class="consent" id="{input_id(name)}-error">{h(self.errors[name])}</span>'

    def select(self, name: str, label: str, choices: dict[Any, str], blank: str | None = "— niet ingevuld —",
               required: bool = False) -> str:
        req = " required" if required else ""
        return (f'<div class="field"><label for="{input_id(name)}">{h(label)}</label>'
                f"<select {self._attrs(name)}{req}>{_options(choices, first(self.values, name), blank)}</select>"
                f"{self._error(name)}</div>")

    def number(self, name: str, label: str, low: int, high: int | None = None, step: str = "1") -> str:
        top = f' max="{high}"' if high is not None else ""
        return (f'<div class="field"><label for="{input_id(name)}">{h(label)}</label>'
                f'<input type="text" inputmode="decimal" {self._attrs(name)} value="{h(first(self.values, name))}" '
                f'data-min="{low}"{top} size="6">{self._error(name)}</div>')

    def text(self, name: str, label: str, hint: str = "", maxlength: int = 64) -> str:
        hint_html = f' <span class="muted">{h(hint)}</span>' if hint else ""
        return (f'<div class="field"><label for="{input_id(name)}">{h(label)}{hint_html}</label>'
                f'<input type="text" {self._attrs(name)} value="{h(first(self.values, name))}" maxlength="{maxlength}">'
                f"{self._error(name)}</div>")

    def checkbox(self, name: str, label: str, value: str = "on") -> str:
        ident = input_id(f"{name}-{value}") if name in ("wishes", "current_interventions") else input_id(name)
        mark = " checked" if value in self.values.get(name, []) else ""
        return (f'<div><input type="checkbox" id="{ident}" name="{h(name)}" value="{h(value)}"{mark}> '
                f'<label for="{ident}">{h(label)}</label>{self._error(name) if value == "on" else ""}</div>')


def form_html(book: Rulebook, values: Values, errors: dict[str, str] | None = None) -> str:
    errors = errors or {}
    f = _Form(values, errors)
    parts = ['<form method="post" action="/advies" novalidate>']
    if errors:
        items = "".join(f'<li><a href="#{input_id(name)}">{h(L.field_label(name))}</a>: {h(msg)}</li>'
                        for name, msg in errors.items())
        parts.append(f'<div class="errors" role="alert" id="fouten"><h2>Controleer het formulier</h2><ul>{items}</ul></div>')

    parts.append('<fieldset><legend>Casus</legend><div class="grid">')
    parts.append(f.select("municipality", "Gemeente", L.MUNICIPALITIES, blank="— kies een gemeente —", required=True))
    parts.append(f.text("case_id", "Casusnummer", "(pseudoniem; geen naam of BSN)"))
    parts.append(f.number("age", "Leeftijd", 16, 120))
    parts.append(f.select("ladder_rung", "Trede participatieladder", L.LADDER))
    parts.append(f.number("years_on_benefit", "Jaren in de uitkering", 0, step="0.5"))
    parts.append(f.number("conversations_held", "Gesprekken gevoerd", 0))
    parts.append(f.number("wage_value_pct", "Loonwaarde in % (Helmond)", 0, 100))
    parts.append("</div></fieldset>")

    parts.append('<fieldset><legend>Huishouden</legend><div class="grid">')
    parts.append(f.select("household.single", "Alleenstaand", L.YES_NO))
    parts.append(f.number("household.children_under_18", "Kinderen onder de 18", 0))
    parts.append(f.select("household.member_speaks_dutch", "Iemand in het huishouden spreekt Nederlands", L.YES_NO))
    parts.append("</div></fieldset>")

    parts.append('<fieldset><legend>Leefgebieden</legend>'
                 '<p class="muted">Zelfredzaamheid 1 (acuut) tot 5 (volledig zelfredzaam); tevredenheid 1 tot 5; '
                 "belangrijkheid: de volgorde van de deelnemer, 1 = het belangrijkst, elk nummer één keer.</p>"
                 '<table><thead><tr><th scope="col">Leefgebied</th><th scope="col">Zelfredzaamheid</th>'
                 '<th scope="col">Tevredenheid</th><th scope="col">Belangrijkheid</th></tr></thead><tbody>')
    priorities = {i: str(i) for i in range(1, 10)}
    for domain in DOMAIN_IDS:
        name = L.DOMAINS[domain]
        cells = []
        for part, choices, word in (("self_reliance", L.SELF_RELIANCE, "zelfredzaamheid"),
                                    ("satisfaction", L.SATISFACTION, "tevredenheid"),
                                    ("priority", priorities, "belangrijkheid")):
            field = f"domains.{domain}.{part}"
            cells.append(f'<td><label class="sr-only" for="{input_id(field)}">{h(name)}: {word}</label>'
                         f'<select {f._attrs(field)}>{_options(choices, first(values, field), "–")}</select>'
                         f"{f._error(field)}</td>")
        parts.append(f'<tr><th scope="row">{h(name)}</th>{"".join(cells)}</tr>')
    parts.append("</tbody></table>")
    if "domains" in errors:
        parts.append(f._error("domains"))
    parts.append("</fieldset>")

    parts.append('<fieldset><legend>Omstandigheden</legend><div class="grid">')
    for flag, label in L.CIRCUMSTANCE_FLAGS.items():
        parts.append(f.checkbox(f"circumstances.{flag}", label))
    for name, (label, choices) in L.CIRCUMSTANCE_CHOICES.items():
        parts.append(f.select(f"circumstances.{name}", label, choices))
    parts.append("</div></fieldset>")

    parts.append('<fieldset><legend>Wensen van de deelnemer</legend><div class="grid">')
    parts.extend(f.checkbox("wishes", label, wish) for wish, label in L.WISHES.items())
    parts.append(f"</div>{f._error('wishes')}</fieldset>")

    parts.append('<fieldset><legend>Betrokken professionals</legend><table><thead><tr><th scope="col">Soort</th>'
                 '<th scope="col">Organisatie (optioneel)</th><th scope="col">Vertrouwd</th></tr></thead><tbody>')
    for row in range(SUPPORT_ROWS):
        kind, org, trusted = (f"existing_support[{row}].{p}" for p in ("kind", "organisation", "trusted"))
        mark = " checked" if values.get(trusted) else ""
        parts.append(
            f'<tr><td><label class="sr-only" for="{input_id(kind)}">Professional {row + 1}: soort</label>'
            f'<select {f._attrs(kind)}>{_options(L.SUPPORT_KINDS, first(values, kind), "– geen –")}</select>{f._error(kind)}</td>'
            f'<td><label class="sr-only" for="{input_id(org)}">Professional {row + 1}: organisatie</label>'
            f'<input type="text" {f._attrs(org)} value="{h(first(values, org))}" maxlength="120">{f._error(org)}</td>'
            f'<td><input type="checkbox" id="{input_id(trusted)}" name="{h(trusted)}" value="on"{mark}> '
            f'<label for="{input_id(trusted)}">vertrouwd<span class="sr-only"> (professional {row + 1})</span></label></td></tr>')
    parts.append("</tbody></table></fieldset>")

    parts.append('<fieldset><legend>Loopt al</legend><details><summary>Interventies die al lopen '
                 '(worden niet opnieuw voorgesteld)</summary><div class="grid">')
    for iid, item in sorted(book.interventions.items(), key=lambda kv: kv[1].label_nl):
        parts.append(f.checkbox("current_interventions", item.label_nl, iid))
    parts.append(f"</div></details>{f._error('current_interventions')}</fieldset>")

    parts.append('<fieldset><legend>Afspraken</legend>')
    parts.append(f.checkbox("open_to_support", "De deelnemer staat open voor ondersteuning"))
    parts.append(f.checkbox("consent_to_share", "De deelnemer geeft toestemming om gegevens te delen met andere organisaties"))
    parts.append("</fieldset>")
    parts.append('<p><button type="submit">Advies opstellen</button></p></form>')
    return "".join(parts)


def form_page(book: Rulebook, values: Values, errors: dict[str, str] | None = None) -> str:
    intro = ("<h1>Advies voor een deelnemer</h1><p>Vul de leefgebieden en omstandigheden in. "
             "Wegwijzer stelt het klantprofiel, de regievoerder en de volgende stappen voor, elk met de reden en de regel.</p>")
    return layout("Foutje in het formulier" if errors else "Advies opstellen", intro + form_html(book, values, errors))


# ---------------------------------------------------------------- the result


def result_html(rec: Recommendation, domains: dict[str, dict[str, Any]]) -> str:
    p, lead = rec.client_profile, rec.lead_coordinator
    names = {r.organisation: r.name for r in rec.referrals}
    labels = {i.id: i.label_nl for i in rec.interventions}
    case = f" — casus {h(rec.case_id)}" if rec.case_id else ""
    out = [f'<h1>Advies{case} <span class="muted">(gemeente {h(rec.municipality.capitalize())})</span></h1>']

    out.append('<section class="card" aria-labelledby="kop-profiel"><h2 id="kop-profiel">Klantprofiel</h2>'
               f"<p><strong>{h(p.label_nl)}</strong></p><p>{h(p.rationale)} <span class=\"muted\">[regel {h(p.rule)}]</span></p></section>")
    org = f" ({h(lead.organisation)})" if lead.organisation else ""
    out.append('<section class="card" aria-labelledby="kop-regie"><h2 id="kop-regie">Regievoerder en samenwerking</h2>'
               f"<p><strong>{h(lead.label_nl)}</strong>{org}; samenwerking: <strong>{h(lead.collaboration_nl or lead.collaboration)}</strong></p>"
               f"<p>{h(lead.rationale)} <span class=\"muted\">[regel {h(lead.rule)}]</span></p></section>")

    out.append('<section class="card" aria-labelledby="kop-wat"><h2 id="kop-wat">Wat nu? (eerst bovenaan)</h2>')
    if rec.interventions:
        out.append('<ol class="interventions">')
        for item in rec.interventions:
            urgent = ' <span class="urgent">urgent</span>' if item.urgent else ""
            refer = (f"<br>Verwijzen naar: {h(names.get(item.referral_to, item.referral_to))}" if item.referral_to else "")
            out.append(f"<li><strong>{h(item.label_nl)}</strong>{urgent}<br>Waarom: {h(item.rationale)}{refer}"
                       f'<br><span class="muted">regel {h(item.rule)}; bron {h(item.source)}</span></li>')
        out.append("</ol>")
    else:
        out.append("<p>Geen nieuwe interventie.</p>")
    out.append("</section>")

    if rec.referrals:
        out.append('<section class="card" aria-labelledby="kop-verwijzing"><h2 id="kop-verwijzing">Verwijzingen</h2><ul>')
        for ref in rec.referrals:
            notes = ["warme overdracht"] if ref.warm_handover else []
            if ref.consent_required and not ref.consent_given:
                notes.append('<span class="consent">⚠ Toestemming nodig: de deelnemer heeft nog geen toestemming '
                             "gegeven om gegevens te delen</span>")
            elif ref.consent_required:
                notes.append("toestemming gegeven")
            else:
                notes.append("er worden geen gegevens gedeeld")
            out.append(f"<li><strong>{h(ref.name)}</strong> voor: {h(', '.join(labels.get(i, i) for i in ref.for_))} — {'; '.join(notes)}</li>")
        out.append("</ul></section>")

    if rec.advice:
        out.append('<section class="card" aria-labelledby="kop-proces"><h2 id="kop-proces">Procesadvies</h2><ul>')
        out.extend(f"<li>{h(item.text_nl)}</li>" for item in rec.advice)
        out.append("</ul></section>")
    if rec.warnings:
        out.append('<section class="card" aria-labelledby="kop-let"><h2 id="kop-let">Aandachtspunten</h2><ul>')
        out.extend(f"<li>{h(w.message_nl)}</li>" for w in rec.warnings)
        out.append("</ul></section>")

    self_reliance = {d: int(s["self_reliance"]) for d, s in domains.items() if s.get("self_reliance") is not None}
    satisfaction = {d: int(s["satisfaction"]) for d, s in domains.items() if s.get("satisfaction") is not None}
    legend = '<p class="legend"><span>━ zelfredzaamheid</span>' + ("<span>┅ tevredenheid</span>" if satisfaction else "") + "</p>"
    out.append('<section class="card" aria-labelledby="kop-radar"><h2 id="kop-radar">Leefgebieden</h2>'
               f"{radar_svg(self_reliance, satisfaction)}{legend}</section>")
    out.append(f'<p class="muted">Regels: {h(rec.rules_version)}</p>')
    return "".join(out)


def result_page(book: Rulebook, rec: Recommendation, domains: dict[str, dict[str, Any]], values: Values) -> str:
    body = (result_html(rec, domains)
            + '<section class="no-print" aria-labelledby="kop-aanpassen"><h2 id="kop-aanpassen">Gegevens aanpassen</h2>'
            + form_html(book, values) + "</section>")
    return layout("Advies", body)
