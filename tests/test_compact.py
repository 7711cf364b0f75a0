"""The compact form (`batch --compact`, engine.render.to_compact): at most 3 KB a case, and
nothing it promises lost (every step's id, phase, urgency, what it waits for and where it
is referred; the referrals, advice ids, warning codes and what is due)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.api import Engine
from engine.model import DOMAIN_IDS, Circumstances
from engine.render import to_compact
from engine.rulebook import load
from engine.synth import MUNICIPALITIES, generate

MAX_BYTES = 3000
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def engine():
    return Engine.load()


def from_compact(compact: dict) -> dict:
    """What the compact form says, rebuilt in the full form's terms (see to_compact)."""
    waits: dict[str, set[str]] = {}
    for prerequisite, ids in compact.get("waiting_for", {}).items():
        for iid in ids:
            waits.setdefault(iid, set()).add(prerequisite)
    listed = {iid: organisation for organisation, ids in compact["referrals"].items() for iid in ids}
    listed.update(compact.get("referral_to", {}))
    urgent = set(compact.get("urgent", []))
    steps = [(iid, phase, iid in urgent, frozenset(waits.get(iid, ())), listed.get(iid))
             for phase in ("now", "next", "later") for iid in compact["interventions"].get(phase, [])]
    due = sorted(((iid, rule, when) for iid, rules in compact.get("due", {}).items()
                  for rule, dates in rules.items() for when in dates), key=str)
    return {"steps": steps, "referrals": compact["referrals"], "advice": compact["advice"],
            "warnings": compact["warnings"], "due": due,
            "head": (compact["case_id"], compact["municipality"], compact["rules_version"], compact["client_profile"],
                     compact["profile_rule"], compact["lead_coordinator"])}


def from_full(rec) -> dict:
    warnings: dict[str, int] = {}
    for warning in rec.warnings:
        warnings[warning.code] = warnings.get(warning.code, 0) + 1
    lead = rec.lead_coordinator
    return {"steps": [(i.id, i.phase, i.urgent, frozenset(i.waits_for), i.referral_to) for i in rec.interventions],
            "referrals": {r.organisation: list(r.for_) for r in rec.referrals},
            "advice": [a.id for a in rec.advice], "warnings": warnings,
            "due": sorted(((d.id, d.rule, d.due_on.isoformat() if d.due_on else None) for d in rec.due), key=str),
            "head": (rec.case_id, rec.municipality, rec.rules_version, rec.client_profile.id, rec.client_profile.rule,
                     {"role": lead.role, "organisation": lead.organisation, "collaboration": lead.collaboration,
                      "rule": lead.rule})}


def check(engine, case) -> int:
    """The case's compact size in bytes, after checking it says all the full form promises."""
    rec = engine.recommend(case)
    text = to_compact(rec)
    assert "\n" not in text
    assert from_compact(json.loads(text)) == from_full(rec)
    return len(text.encode("utf-8"))


def test_a_wide_synthetic_caseload_stays_within_3_kb_and_loses_nothing(engine):
    sizes = [check(engine, case) for municipality in MUNICIPALITIES for seed in (1, 11)
             for case in generate(municipality, 700, seed=seed)]
    assert max(sizes) <= MAX_BYTES
    assert sum(sizes) / len(sizes) <= 1200  # 0.9 KB on average today (the full form: 15 KB)


def test_the_example_cases_and_histories_stay_within_3_kb(engine):
    from engine.caseload import read_case

    files = sorted(EXAMPLES.glob("*.yaml")) + sorted((EXAMPLES / "cases").glob("*.yaml"))
    assert len(files) > 20
    for path in files:
        assert check(engine, read_case(str(path))) <= MAX_BYTES, path.name
    # a closing warm handover is a referral like the others; in Tilburg with nothing running the
    # coach names who receives (the sociaal wijkteam is no default there), in Helmond the sociaal wijkteam
    closing = read_case(str(EXAMPLES / "cases" / "tilburg_warme_overdracht.yaml"))
    handover = json.loads(to_compact(engine.recommend(closing)))
    assert "warm_handover" in handover["interventions"]["now"] and "referral_to" not in handover
    assert "warm_handover" not in {iid for iids in handover["referrals"].values() for iid in iids}
    handover = json.loads(to_compact(engine.recommend({**closing, "municipality": "helmond"})))
    assert handover["referrals"]["sociaal_wijkteam_helmond"] == ["warm_handover"] and "referral_to" not in handover
    # a step sent to an organisation no referral lists for it is said by `referral_to`
    rec = engine.recommend(closing)
    items = [i.model_copy(update={"referral_to": "elders"}) if i.id == "warm_handover" else i for i in rec.interventions]
    assert json.loads(to_compact(rec.model_copy(update={"interventions": items})))["referral_to"] == {"warm_handover": "elders"}
    stagnating = json.loads(to_compact(engine.recommend(read_case(str(EXAMPLES / "cases" / "tilburg_stagnatie.yaml")))))
    assert stagnating["due"] == {"review_goals": {"trajectory/review_goals": ["2025-09-01"]}}


def _everything(municipality: str, **changes) -> dict:
    """An assessment at the model's extremes: a 64-character case id, every domain in acute
    trouble, every circumstance true, every wish, consent named for every organisation on
    the social map (the ones of other municipalities each warned about)."""
    organisations = sorted({o for m in load(None).municipalities.values() for o in m.organisations})
    case = {"municipality": municipality, "case_id": "x" * 64, "age": 30, "ladder_rung": 1, "years_on_benefit": 5,
            "domains": {d: {"self_reliance": 1} for d in DOMAIN_IDS},
            "circumstances": {name: True for name, field in Circumstances.model_fields.items() if field.annotation is bool},
            "wishes": ["paid_work", "volunteering", "social_contact", "learn_language", "learn_digital", "exercise",
                       "structure", "help_others"],
            "consent_to_share_with": organisations[:50]}
    case["circumstances"].update(bounded_request=False, language_level="below_a1", psychological_complaints="severe",
                                 physical_limitation="severe")
    for key, value in changes.items():
        if key in Circumstances.model_fields:
            case["circumstances"][key] = value
        else:
            case[key] = value
    return case


# The largest compact advice a search found (hill-climbing over circumstances, scores,
# wishes, conversations, age and ladder from `_everything`, 2,400 tries per municipality):
# 29 steps, 14 referrals, 14 consent advices, 2,933 bytes with the rules of 2026-12-03.
WORST = dict(
    ladder_rung=3, wishes=["exercise", "learn_digital", "structure", "help_others", "volunteering",
                                                   "paid_work"],
    domains={"daytime_activities": {"self_reliance": 4}, "finances": {"self_reliance": 1}, "housing": {"self_reliance": 1},
             "leisure": {"self_reliance": 1}, "mental_health": {"self_reliance": 3}, "physical_health": {"self_reliance": 1},
             "safety": {"self_reliance": 5}, "social_contacts": {"self_reliance": 4}, "social_network": {"self_reliance": 1}},
    autism=False, housing_unsuitable=False, informal_carer=False, under_administration=False)


@pytest.mark.parametrize("municipality", MUNICIPALITIES)
def test_an_assessment_at_the_models_extremes_stays_within_3_kb(engine, municipality):
    rec = engine.recommend(_everything(municipality))
    assert len(rec.interventions) >= 20 and len(rec.referrals) >= 10  # it is extreme: most of the plan fires
    assert check(engine, _everything(municipality)) <= MAX_BYTES
    assert check(engine, _everything(municipality, consent_to_share_with=[], conversations_held=0)) <= MAX_BYTES


def test_the_largest_advice_found_stays_within_3_kb(engine):
    worst = _everything("helmond", **WORST)
    rec = engine.recommend(worst)
    assert len(rec.interventions) >= 25 and len(rec.referrals) >= 12
    assert check(engine, worst) <= MAX_BYTES


def test_a_case_history_adds_one_date_for_each_thing_due(engine):
    """A Case's `due` grows with its history (a re-approach for each declined intervention),
    by one date each: the advice with every rule firing and all interventions declined is
    3.3 KB, the one case over 3 KB that could be constructed (benchmarks/RESULTS.md). In Tilburg:
    in Helmond the working group, not a re-approach, follows up a decline (seed:L1586-1596)."""
    assessment = {k: v for k, v in _everything("tilburg", **WORST).items() if k not in ("municipality", "case_id")}
    interventions = sorted(load(None).interventions)

    def case(declined: int) -> dict:
        return {"municipality": "tilburg", "case_id": "x" * 64, "as_of": "2026-12-01",
                "assessments": [dict(assessment, date="2026-06-01")],
                "interventions_log": [{"id": iid, "started": f"2026-06-{2 + k % 20:02d}", "status": "declined"}
                                      for k, iid in enumerate(interventions[:declined])]}

    none, one, every = check(engine, case(0)), check(engine, case(1)), check(engine, case(len(interventions)))
    assert none <= MAX_BYTES
    assert len(engine.recommend(case(len(interventions))).due) == len(interventions)
    assert every - one <= (len(interventions) - 1) * len('"2026-07-01",')
    assert every <= 3400


def test_recommend_compact_is_the_compact_form_of_recommend_and_fails_alike(engine):
    """batch --compact makes an assessment's advice without the receipt (Engine.recommend_compact):
    the same text as to_compact(recommend(...)), for assessments, histories and bad input."""
    from engine.caseload import read_case
    from engine.errors import WegwijzerError

    cases = [case for municipality in MUNICIPALITIES for case in generate(municipality, 150, seed=3)]
    cases += [_everything(m) for m in MUNICIPALITIES] + [_everything("helmond", **WORST)]
    cases += [read_case(str(p)) for p in sorted(EXAMPLES.glob("*.yaml")) + sorted((EXAMPLES / "cases").glob("*.yaml"))]
    assert any("assessments" in case for case in cases)
    for case in cases:
        assert engine.recommend_compact(case) == to_compact(engine.recommend(case))
    for bad in ({"municipality": "leiden"}, {"municipality": "nowhere", "domains": {"housing": {"self_reliance": 9}}},
                {"municipality": "leiden", "domains": {"housing": {"self_reliance": 2}}, "current_interventions": ["x"]},
                [], {"municipality": "leiden", "assessments": []}):
        with pytest.raises(WegwijzerError) as full:
            engine.recommend(bad)
        with pytest.raises(WegwijzerError) as compact:
            engine.recommend_compact(bad)
        assert str(compact.value) == str(full.value)


def test_the_compact_writer_gives_the_json_encoders_text(engine, monkeypatch):
    """to_compact writes with pydantic_core's to_json (speed): byte for byte the text of the
    json encoder it replaced, which it falls back on for text to_json refuses (a lone surrogate)."""
    import engine.render as render
    from pydantic_core import PydanticSerializationError

    recs = [engine.recommend(case) for municipality in MUNICIPALITIES for case in generate(municipality, 60, seed=5)]
    recs += [engine.recommend(case) for case in (_everything(m) for m in MUNICIPALITIES)]
    lead = recs[0].lead_coordinator
    # the lead's organisation can be a case's own free text: quotes, backslash, control and non-ASCII characters
    for odd in ('Zorg "Oost" \\ \x01\x1f\t\n\x7f\u2028 é 😀', "\ud800 alleen"):
        recs.append(recs[0].model_copy(update={"lead_coordinator": lead.model_copy(update={"organisation": odd})}))
    fast = [to_compact(rec) for rec in recs]

    def refuse(_value):
        raise PydanticSerializationError("refused")

    monkeypatch.setattr(render, "_to_json", refuse)
    assert fast == [to_compact(rec) for rec in recs]
    assert fast[-1] == render._COMPACT_JSON.encode(json.loads(fast[-1]))  # the surrogate: json's own way
