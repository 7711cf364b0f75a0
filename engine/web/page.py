"""The coach's pages, rendered from Jinja2 templates (engine/web/templates, autoescaped).

Python prepares the data (the step plan grouped by phase, the radar's geometry, labels);
the templates hold all HTML. The stylesheet is engine/web/static/wegwijzer.css.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..model import DOMAIN_IDS, MAX_SUPPORT, Recommendation
from ..rulebook import Rulebook
from . import labels as L
from .dates import dutch_date, dutch_dates_in
from .dutch import field_nl
from .form import Values, first, input_id, support_rows
from .radar import geometry

TEMPLATES = Path(__file__).parent / "templates"

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"], default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.globals.update(L=L, input_id=input_id, first=first, field_label=L.field_label, domain_ids=DOMAIN_IDS,
                    support_rows=lambda values: support_rows(values, MAX_SUPPORT))
_env.filters["field_nl"] = field_nl
_env.filters["datum"] = dutch_date
_env.filters["datums"] = dutch_dates_in
_env.filters["label_of"] = lambda iid, labels: labels.get(iid, iid)


def _number(value: object) -> str:
    """A progress value as a coach writes it: 3 not 3.0, 2,5 not 2.5, – for none."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}".replace(".", ",")
    return str(value)


_env.filters["num"] = _number

SCORE_PARTS = (("self_reliance", L.SELF_RELIANCE, "Zelfredzaamheid"),
               ("satisfaction", L.SATISFACTION, "Tevredenheid"),
               ("priority", {i: str(i) for i in range(1, 10)}, "Belangrijkheid"))


class _FormState:
    def __init__(self, values: Values, errors: dict[str, str] | None):
        self.values, self.errors = values, errors or {}


def _form_context(book: Rulebook, values: Values, errors: dict[str, str] | None, csrf_token: str) -> dict[str, Any]:
    return {
        "f": _FormState(values, errors), "csrf_token": csrf_token, "score_parts": SCORE_PARTS,
        "interventions": [(iid, item.label_nl) for iid, item in sorted(book.interventions.items(),
                                                                      key=lambda kv: kv[1].label_nl)],
        "social_map": social_map(book, first(values, "municipality")),
        "municipality_names": municipality_names(book),
        "igm_open": any(name.startswith("igm.") and value != [""] for name, value in values.items()),
    }


def social_map(book: Rulebook, municipality: str = "") -> list[tuple[str, list[tuple[str, str]]]]:
    """(municipality, its organisations by name) for the consent list: only the case's
    municipality once it is known, every municipality before."""
    chosen = [municipality] if municipality in book.municipalities else sorted(book.municipalities)
    return [(mid, sorted(book.municipalities[mid].organisations.items(), key=lambda kv: kv[1])) for mid in chosen]


def municipality_names(book: Rulebook) -> dict[str, str]:
    """id -> display name (the social map's `name`), in the social map's order."""
    return {mid: m.name for mid, m in book.municipalities.items()}


def render(template: str, **context: Any) -> str:
    return _env.get_template(template).render(**context)


def form_page(book: Rulebook, values: Values, errors: dict[str, str] | None = None, csrf_token: str = "",
              extra: dict[str, Any] | None = None) -> str:
    """`extra`: the signed-in coach's menu (engine.web.auth.menu_of), which adds "Opslaan als nieuwe deelnemer"."""
    return render("form_page.html", title="Foutje in het formulier" if errors else "Advies opstellen",
                  **_form_context(book, values, errors, csrf_token), **(extra or {}))


def error_page(status: int, message: str) -> str:
    return render("error_page.html", title="Fout", status=status, message=message)


def plan_groups(rec: Recommendation, book: Rulebook) -> list[dict[str, Any]]:
    """The step plan as groups 'Nu' / 'Daarna' / 'Later' by each item's `phase`, in the plan's order.

    What a later step waits for is said in Dutch: 'trust' is building trust first; an
    intervention id is that intervention's label.
    """
    labels = {iid: item.label_nl for iid, item in book.interventions.items()}
    labels.update({item.id: item.label_nl for item in rec.interventions})
    groups: list[dict[str, Any]] = []
    number = 1
    for phase, label in L.PHASES.items():
        items = []
        for item in rec.interventions:
            if item.phase != phase:
                continue
            waits = [L.WAITS_FOR_TRUST if w == "trust" else labels.get(w, w) for w in item.waits_for]
            items.append({**item.model_dump(), "waits_for_nl": waits})
        if items:
            groups.append({"phase": phase, "label": label, "items": items, "start": number})
            number += len(items)
    return groups


def advice_context(book: Rulebook, rec: Recommendation, domains: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What templates/advice.html reads: the plan by phase, labels, names and the radar of `domains`."""
    labels = {iid: item.label_nl for iid, item in book.interventions.items()}
    labels.update({item.id: item.label_nl for item in rec.interventions})
    self_reliance = {d: int(s["self_reliance"]) for d, s in domains.items() if s.get("self_reliance") is not None}
    satisfaction = {d: int(s["satisfaction"]) for d, s in domains.items() if s.get("satisfaction") is not None}
    return {"rec": rec, "plan": plan_groups(rec, book), "intervention_labels": labels,
            "municipality_names": municipality_names(book),
            "referral_names": {r.organisation: r.name for r in rec.referrals},
            "organisation_names": dict(book.municipalities[rec.municipality].organisations)
            if rec.municipality in book.municipalities else {},
            "radar": geometry(self_reliance, satisfaction)}


def result_page(book: Rulebook, rec: Recommendation, domains: dict[str, dict[str, Any]], values: Values,
                csrf_token: str = "", extra: dict[str, Any] | None = None) -> str:
    return render("result_page.html", title="Advies",
                  **{**advice_context(book, rec, domains), **_form_context(book, values, None, csrf_token),
                     **(extra or {})})
