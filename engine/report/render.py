"""Case + recommendation -> the report's context -> HTML or Markdown (Jinja2)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ..case import as_of
from ..model import DOMAIN_IDS, DOMAIN_LABELS_NL, Case, Recommendation
from .radar import radar_svg

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("html", "markdown")

# Participatieladder rungs (the scale Leiden fills in, seed:L3000-3004)
LADDER_NL = {1: "geïsoleerd", 2: "sociale contacten buiten de deur", 3: "deelname georganiseerde activiteiten",
             4: "onbetaald werk", 5: "betaald werk met ondersteuning", 6: "betaald werk"}
# Integratief Gedragsmodel factors as Tilburg's format names them (seed:L2941-2958)
IGM_NL = {"physical_barriers": "Fysieke belemmeringen", "psychological_barriers": "Psychische belemmeringen",
          "mental_barriers": "Mentale belemmeringen", "practical_barriers": "Praktische belemmeringen",
          "vocational_capital": "Menselijk kapitaal: vakgericht", "talent": "Talent", "attitude": "Attitude",
          "social_pressure": "Sociale druk", "perceived_control": "Ervaren controle",
          "self_regulation": "Zelfregulering", "social_network": "Sociaal netwerk", "motivation": "Motivatie",
          "behaviour": "Gedrag"}
# Goal Attainment Scaling, -2..+2; 0 or higher is the goal reached (seed:L2982-2998)
GAS_NL = {-2: "uitgangspositie", -1: "minder dan verwacht", 0: "doel behaald", 1: "meer dan verwacht",
          2: "veel meer dan verwacht"}
STATUS_NL = {"running": "loopt", "completed": "afgerond", "stopped": "gestopt", "declined": "afgewezen",
             "waiting_list": "op de wachtlijst"}
RESULT_NL = {"improved": "verbeterd", "no_change": "geen verandering", "worse": "verslechterd"}
CONTACT_NL = {"phone": "gebeld", "letter": "brief", "home_visit": "huisbezoek", "meeting": "gesprek"}
DUE_NL = {"reapproach": "Opnieuw benaderen", "recalibrate_profile": "Klantprofiel herijken",
          "review_goals": "Doelen scoren (GAS)"}
PHASE_NL = {"now": "Nu", "next": "Daarna", "later": "Later"}
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
             "oktober", "november", "december")


def dutch_date(value: Any) -> str:
    return f"{value.day} {MONTHS_NL[value.month - 1]} {value.year}" if value is not None else "–"


def _domain(domain: str | None) -> str:
    label = DOMAIN_LABELS_NL.get(domain or "", domain or "algemeen")
    return label[0].upper() + label[1:]


def report_context(engine: Any, case: Case, rec: Recommendation) -> dict[str, Any]:
    """Everything the templates show, already in Dutch words; the templates only lay it out."""
    book = engine.book
    from ..history import trajectory_of

    labels = trajectory_of(book).labels

    def label(iid: str) -> str:
        found = labels.get(iid)
        return found.label_nl if found else iid

    def profile_label(pid: str | None) -> str:
        found = book.profile_labels.get(pid) if pid else None
        return found.label_nl if found else (pid or "–")

    first, latest = case.assessments[0], case.assessments[-1]
    progress = rec.progress
    domains = []
    for domain in DOMAIN_IDS:
        pair = progress.domains.get(domain)
        if pair is None:
            continue
        change = (pair.to - pair.from_) if isinstance(pair.to, int) and isinstance(pair.from_, int) else None
        domains.append({"label": _domain(domain), "from": pair.from_, "to": pair.to, "change": change})
    ladder_steps = [{"date": dutch_date(a.date), "rung": a.ladder_rung, "label": LADDER_NL[a.ladder_rung]}
                    for a in case.assessments if a.ladder_rung is not None]
    igm = [{"label": IGM_NL.get(f, f), "from": p.from_, "to": p.to,
            "change": p.to - p.from_ if isinstance(p.to, int) and isinstance(p.from_, int) else None}
           for f, p in progress.igm.items()]
    igm_dates = [a.date for a in case.assessments if a.igm]
    goals = [{"id": g.id, "domain": _domain(g.domain), "set_on": dutch_date(g.set_on),
              "review_on": dutch_date(g.review_on) if g.review_on else "–",
              "score": g.gas_score, "score_nl": GAS_NL[g.gas_score] if g.gas_score is not None else "nog niet gescoord",
              "achieved": g.gas_score is not None and g.gas_score >= 0}
             for g in case.goals]

    events: list[tuple[Any, int, str, str]] = []  # (date, order, kind, text)
    for number, a in enumerate(case.assessments, 1):
        rung = f", trede {a.ladder_rung}" if a.ladder_rung is not None else ""
        events.append((a.date, 0, "assessment", f"Meting {number}{rung}"))
    for entry in case.interventions_log:
        events.append((entry.started, 1, "declined" if entry.status == "declined" else "started",
                       f"{label(entry.id)}: " + ("afgewezen" if entry.status == "declined" else
                                                 "op de wachtlijst" if entry.status == "waiting_list" else "gestart")))
        if entry.ended is not None and entry.status != "declined":
            result = f" — resultaat: {RESULT_NL[entry.result]}" if entry.result else ""
            events.append((entry.ended, 2, entry.status, f"{label(entry.id)}: {STATUS_NL[entry.status]}{result}"))
    for g in case.goals:
        events.append((g.set_on, 3, "goal", f"Doel '{g.id}' gesteld ({_domain(g.domain).lower()})"))
        if g.gas_score is not None and g.review_on is not None:
            events.append((g.review_on, 4, "goal", f"Doel '{g.id}' geëvalueerd: GAS {g.gas_score:+d} ({GAS_NL[g.gas_score]})"))
    for p in case.profile_history:
        events.append((p.date, 5, "profile", f"Klantprofiel: {profile_label(p.id)}"))
    for c in case.contacts:
        if not c.reached:
            events.append((c.date, 6, "contact", f"{CONTACT_NL[c.kind].capitalize()}, geen gehoor"))
    events.sort(key=lambda e: (e[0], e[1]))
    timeline = [{"date": dutch_date(d), "kind": kind, "text": text} for d, _, kind, text in events]

    log = [{"label": label(e.id), "started": dutch_date(e.started), "ended": dutch_date(e.ended) if e.ended else "–",
            "status": STATUS_NL[e.status], "status_id": e.status, "result": RESULT_NL.get(e.result or "", "–")}
           for e in case.interventions_log]
    plan = {phase: [] for phase in PHASE_NL}
    for item in rec.interventions:
        plan.setdefault(item.phase, []).append({
            "label": item.label_nl, "rationale": item.rationale, "urgent": item.urgent,
            "waits_for": ["meer gesprekken (vertrouwen)" if w == "trust" else label(w) for w in item.waits_for],
            "referral": next((r.name for r in rec.referrals if item.id in r.for_), None),
            "from_history": item.rule.startswith("trajectory/")})
    history_steps = [s for s in rec.trace if s.kind == "history"]
    return {
        "case_id": case.case_id or "(geen casusnummer)",
        "municipality": book.municipalities[case.municipality].name,  # the social map's name (the engine checked the id)
        "as_of": dutch_date(as_of(case)),
        "since": dutch_date(progress.since), "until": dutch_date(progress.until),
        "assessments": len(case.assessments),
        "lead": rec.lead_coordinator.label_nl + (f", {rec.lead_coordinator.organisation_name}"
                                                 if rec.lead_coordinator.organisation_name else ""),
        "profile_now": rec.client_profile.label_nl,
        "profile_from": profile_label(progress.profile.from_) if progress.profile else None,
        "radar": radar_svg({d: s.self_reliance for d, s in first.domains.items()},
                           {d: s.self_reliance for d, s in latest.domains.items()},
                           f"Eerste meting ({dutch_date(first.date)})", f"Laatste meting ({dutch_date(latest.date)})"),
        "single": len(case.assessments) == 1,
        "domains": domains,
        "ladder": {"from": progress.ladder.from_, "to": progress.ladder.to,
                   "from_label": LADDER_NL[progress.ladder.from_], "to_label": LADDER_NL[progress.ladder.to]}
                  if progress.ladder else None,
        "ladder_steps": ladder_steps,
        "igm": igm, "igm_from": dutch_date(igm_dates[0]) if igm_dates else None,
        "igm_to": dutch_date(igm_dates[-1]) if igm_dates else None,
        "goals": goals, "goal_counts": progress.goals,
        "log": log, "timeline": timeline,
        "due": [{"label": DUE_NL.get(d.id, d.id), "reason": d.reason_nl, "due_on": dutch_date(d.due_on)} for d in rec.due],
        "plan": [{"phase": PHASE_NL[p], "phase_id": p, "items": items} for p, items in plan.items()],
        "advice": [a.text_nl for a in rec.advice],
        "warnings": [w.message_nl for w in rec.warnings],
        "history": [{"rule": s.rule, "outcome": s.outcome, "source": s.source} for s in history_steps],
        "rules_version": rec.rules_version,
        "css": _css(),
    }


@lru_cache(maxsize=1)
def _css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


@lru_cache(maxsize=2)
def _environment(markdown: bool = False) -> Any:
    """HTML: autoescaped, and no control character in a value. Markdown: every value escaped
    (engine.safetext), so that a name never becomes a link, an image or raw HTML."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    from ..safetext import markdown_text, printable

    def finalize(value: Any) -> Any:
        if isinstance(value, Markup) or not isinstance(value, str):
            return value  # our own markup (the radar, the css), numbers
        return markdown_text(value) if markdown else printable(value)

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=finalize)


def render_report(engine: Any, data: Any, fmt: str = "html", source: str | None = None) -> str:
    """The report of one case (a Case, or a plain Assessment as a case of one assessment)."""
    from markupsafe import Markup

    from ..case import is_case

    if fmt not in FORMATS:
        from ..errors import InputError

        raise InputError([("--format", f"unknown format '{fmt}'; one of {list(FORMATS)}")], source)
    if not is_case(data):
        from ..errors import InputError

        raise InputError([("assessments", "a progress report needs a case: a document with 'assessments' (dated)")], source)
    case = engine.validate_case(data, source)  # as `recommend` does: a CBS code names the municipality too
    rec = engine.recommend_case(case, source)
    context = report_context(engine, case, rec)
    if fmt == "html":
        context["radar"] = Markup(context["radar"])  # built here, every text in it escaped
        context["css"] = Markup(context["css"])  # our own file
        return _environment().get_template("report.html.j2").render(**context)
    return _environment(markdown=True).get_template("report.md.j2").render(**context)
