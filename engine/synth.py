"""Synthetic caseloads drawn from the report's published figures.

`generate(municipality, n, seed)` yields `n` assessment dicts, valid per the Assessment
model, deterministic per seed (one `random.Random(seed)`; nothing else is random). They are
for load tests, statistics and rule diffs, never for tuning rules to.

Where each figure comes from (seed = ../shared/seed/000_2e71180cadf15536.txt):

Tilburg target group, seed:L946-961
    58% aged 50+ (the pilot is for 27+); 63% single with or without children; 42% ten
    years or more on benefit; 74% on ladder rung 1-3 (2% directly placeable, 10% self-
    reliant on the labour market: rung 5-6 here); 24% laaggeletterd, low literacy, which
    is not illiterate (the report keeps 'analfabeet' for that, seed:L1689); the schema has
    only `illiterate`, so drawing it at 24% over-reads the figure (kept: citations only);
    62% non-western migration background (only shapes the language level below).
Leiden target group, seed:L973-987
    44% aged 50+ (27+); 53% migration background; 62% at language level B1 or lower ("minder
    dan A1 tot en met B1", seed:L977-978; drawn below B1 here, which over-reads it); rung 2 58%,
    rung 1 38% (the rest 'bijvangst': rung 3 here); 1.5+ years on benefit, with a few
    'bijvangst' cases under 1.5 years; 37% a health limitation, 52% unknown (-> absent);
    mental health 'poor' 27%, physical health 'poor' 28% (where registered).
Helmond target group, seed:L998-1003 (and wage value 0-30%, seed:L1025, seed:L1363)
    about a third under 27; about two thirds single; almost half receive a Wmo provision
    (-> `current_interventions: [wmo_support]`).
Reach, seed:L2910-2932
    Tilburg 372 approached, 70 dropped out at the start (-> 19% not open to support);
    Leiden 267 approached, 141 no need (-> 53% not open); Helmond 100 approached, 67
    intakes (-> 33% not open); of the 45 Helmond drop-outs after intake a good part already
    participated to capacity or was well supported (-> 30% of Helmond cases self-reliant
    on every domain), a slightly smaller part had too heavy medical or psychological
    problems (-> 22% severe complaints).

Everything else is `practice`: plausible values a coach would recognise, not figures from
the report (domain scores, satisfaction, priorities, wishes, existing support, IGM scores,
debts, conversations held, other circumstances). Gender and migration background are not
part of the Assessment; they are not generated.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from .model import DOMAIN_IDS

# The pilots whose target groups the report describes in figures (above): a synthetic case
# is drawn from one of these. Not the list of municipalities the engine knows (that is the
# rules' social map); a municipality added there has no published figures to draw from.
MUNICIPALITIES = ("leiden", "helmond", "tilburg")

# share of cases not open to support (reach, seed:L2910-2932)
_NOT_OPEN = {"tilburg": 70 / 372, "leiden": 141 / 267, "helmond": 33 / 100}

_WISHES = ("paid_work", "volunteering", "social_contact", "learn_language", "learn_digital",
           "exercise", "structure", "help_others")
_SUPPORT = ("mental_health_care", "fact_team", "outreach_care", "housing_support",
            "ambulatory_support", "financial_administration", "client_support", "disability_care",
            "debt_counselling", "social_work_team", "general_practitioner", "addiction_care", "other")
_IGM = ("physical_barriers", "psychological_barriers", "mental_barriers", "practical_barriers",
        "vocational_capital", "talent", "attitude", "social_pressure", "perceived_control",
        "self_regulation", "social_network", "motivation", "behaviour")


def _chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def _age(rng: random.Random, municipality: str) -> int:
    if municipality == "tilburg":  # 58% aged 50+ (seed:L949), target group 27+
        return rng.randint(50, 66) if _chance(rng, 0.58) else rng.randint(27, 49)
    if municipality == "leiden":  # 44% aged 50+ (seed:L975-976), target group 27+ (seed:L993-995)
        return rng.randint(50, 66) if _chance(rng, 0.44) else rng.randint(27, 49)
    # helmond: about a third under 27 (seed:L1000-1001); bijstand from 18 (practice)
    return rng.randint(18, 26) if _chance(rng, 1 / 3) else rng.randint(27, 66)


def _ladder_rung(rng: random.Random, municipality: str) -> int:
    r = rng.random()
    if municipality == "tilburg":  # 74% rung 1-3, 2% placeable, 10% self-reliant (seed:L958-961)
        if r < 0.74:
            return rng.choice((1, 2, 3))
        if r < 0.88:
            return 4  # practice: the remainder below the labour-market groups
        return 5 if r < 0.98 else 6
    if municipality == "leiden":  # rung 2 58%, rung 1 38% (seed:L980-981); rest 'bijvangst' (seed:L981-983)
        if r < 0.58:
            return 2
        return 1 if r < 0.96 else 3
    # helmond: wage value 0-30% (seed:L1025): mostly low rungs (practice)
    return rng.choices((1, 2, 3, 4), weights=(25, 35, 25, 15))[0]


def _years_on_benefit(rng: random.Random, municipality: str, age: int) -> float:
    if municipality == "tilburg":  # 42% ten years or more (seed:L956)
        years = rng.uniform(10, 25) if _chance(rng, 0.42) else rng.uniform(1, 10)
    elif municipality == "leiden":  # 1.5+ years, a few 'bijvangst' below (seed:L981-983, seed:L995)
        years = rng.uniform(0.5, 1.5) if _chance(rng, 0.05) else rng.uniform(1.5, 20)
    else:  # helmond: new inflow has priority (practice)
        years = rng.uniform(0, 3) if age < 27 else rng.uniform(0, 15)
    return round(min(years, max(age - 18, 0.5)), 1)


def _language_level(rng: random.Random, municipality: str) -> str | None:
    below_b1 = ("below_a1", "a1", "a2")
    if municipality == "leiden":  # 62% at B1 or lower (seed:L977-978), drawn below B1: an over-reading
        return rng.choice(below_b1) if _chance(rng, 0.62) else rng.choice(("b1", "b2_or_higher"))
    if municipality == "tilburg":  # 62% non-western migration background (seed:L949-950); practice: about half of them below B1
        if _chance(rng, 0.62):
            return rng.choice(below_b1) if _chance(rng, 0.5) else rng.choice(("b1", "b2_or_higher"))
        return "b2_or_higher"
    return rng.choice((None, "b1", "b2_or_higher", "b2_or_higher", "a2"))  # practice


def _domains(rng: random.Random, municipality: str, capacity: bool, poor_mental: bool,
             poor_physical: bool) -> dict[str, dict[str, int]]:
    domains: dict[str, dict[str, int]] = {}
    assessed = DOMAIN_IDS if _chance(rng, 0.8) else rng.sample(DOMAIN_IDS, rng.randint(3, 8))  # practice
    for domain in DOMAIN_IDS:
        if domain not in assessed:
            continue
        if capacity:
            score = rng.choice((4, 5))
        else:
            score = rng.choices((1, 2, 3, 4, 5), weights=(5, 20, 35, 28, 12))[0]  # practice
        if domain in ("mental_health", "physical_health"):  # 'poor' health <-> self-reliance 1-2
            poor = poor_mental if domain == "mental_health" else poor_physical
            score = rng.choice((1, 2)) if poor else max(score, 3)
        entry = {"self_reliance": score}
        if _chance(rng, 0.85):  # practice: satisfaction usually asked (OZO, seed:L1944-1956)
            entry["satisfaction"] = max(1, min(5, score + rng.choice((-1, 0, 0, 1))))
        domains[domain] = entry
    if _chance(rng, 0.7):  # practice: the client orders the domains most of the time
        ranked = rng.sample(list(domains), min(len(domains), rng.randint(1, 5)))
        for priority, domain in enumerate(ranked, start=1):
            domains[domain]["priority"] = priority
    return domains


def _assessment(rng: random.Random, municipality: str, index: int, label: str | None = None) -> dict[str, Any]:
    """One assessment drawn from `municipality`'s figures, naming `label` (default: the same)."""
    label = label or municipality
    age = _age(rng, municipality)
    rung = _ladder_rung(rng, municipality)
    capacity = municipality == "helmond" and _chance(rng, 0.30)  # seed:L2926
    heavy = municipality == "helmond" and not capacity and _chance(rng, 0.22 / 0.70)  # seed:L2927
    if municipality == "leiden":
        poor_mental = _chance(rng, 0.27)  # seed:L984-986
        poor_physical = _chance(rng, 0.28)  # seed:L986-987
    else:
        poor_mental = heavy or _chance(rng, 0.15)  # practice
        poor_physical = _chance(rng, 0.15)  # practice
    single_share = {"tilburg": 0.63, "leiden": 0.55, "helmond": 2 / 3}[municipality]  # seed:L953-954, practice, seed:L1001
    single = _chance(rng, single_share)
    children = rng.choices((0, 1, 2, 3, 4), weights=(50, 20, 17, 8, 5))[0]  # practice
    language = _language_level(rng, municipality)

    if municipality == "leiden":  # 37% limitation, 52% unknown (seed:L983-984)
        r = rng.random()
        physical = rng.choice(("mild", "severe")) if r < 0.37 else (None if r < 0.89 else "none")
    else:
        physical = rng.choices(("none", "mild", "severe", None), weights=(45, 25, 10, 20))[0]  # practice
    if heavy:
        psychological = "severe"
    elif poor_mental:
        psychological = rng.choice(("moderate", "severe"))
    else:
        psychological = rng.choices(("none", "mild", None), weights=(50, 30, 20))[0]  # practice
    debt = not capacity and _chance(rng, 0.35)  # practice: debts are common (seed:L1093-1095)
    informal_carer = _chance(rng, 0.12)
    circumstances: dict[str, Any] = {
        "problematic_debt": debt,
        "rent_arrears": debt and _chance(rng, 0.3),
        "under_administration": _chance(rng, 0.08),
        "illiterate": municipality == "tilburg" and _chance(rng, 0.24),  # 24% laaggeletterd (seed:L960-961), not illiterate: an over-reading
        "low_digital_skills": _chance(rng, 0.3),
        "addiction": _chance(rng, 0.06),
        "unmet_care_need": _chance(rng, 0.1),
        "informal_carer": informal_carer,
        "carer_overloaded": informal_carer and _chance(rng, 0.3),
        "intellectual_disability": _chance(rng, 0.05),
        "autism": _chance(rng, 0.03),
        "obesity": _chance(rng, 0.1),
        "detention_history": _chance(rng, 0.04),
        "parenting_concerns": children > 0 and _chance(rng, 0.1),
        "unsafe_at_home": _chance(rng, 0.03),
        "housing_unsuitable": _chance(rng, 0.06),
        "specific_care_question": _chance(rng, 0.3),
    }
    if language is not None:
        circumstances["language_level"] = language
    if psychological is not None:
        circumstances["psychological_complaints"] = psychological
    if physical is not None:
        circumstances["physical_limitation"] = physical
    # keep the output small: leave out false flags, as a coach's file would
    circumstances = {k: v for k, v in circumstances.items() if v is not False}

    case: dict[str, Any] = {
        "schema_version": 1,
        "case_id": f"{label}-{index:06d}",
        "municipality": label,
        "age": age,
        "household": {"single": single, "children_under_18": children,
                      "member_speaks_dutch": _chance(rng, 0.5 if language in ("below_a1", "a1") else 0.9)},
        "ladder_rung": rung,
        "years_on_benefit": _years_on_benefit(rng, municipality, age),
        "conversations_held": rng.randint(0, 8),  # practice: trust takes 3-5 conversations
        "open_to_support": not _chance(rng, _NOT_OPEN[municipality]),
        "consent_to_share": _chance(rng, 0.6),
        "domains": _domains(rng, municipality, capacity, poor_mental, poor_physical),
        "circumstances": circumstances,
        "wishes": sorted(rng.sample(_WISHES, rng.choices((0, 1, 2, 3), weights=(20, 40, 30, 10))[0])),
    }
    if municipality == "helmond":
        case["wage_value_pct"] = rng.randint(0, 30) if _chance(rng, 0.9) else rng.randint(31, 60)  # seed:L1025; practice
    support = []
    for kind in rng.sample(_SUPPORT, rng.choices((0, 1, 2), weights=(55, 35, 10))[0]):  # practice
        support.append({"kind": kind, "trusted": _chance(rng, 0.4)})
    if capacity and not support:  # 'well supported' (seed:L2926)
        support.append({"kind": rng.choice(_SUPPORT[:-1]), "trusted": True})
    if support:
        case["existing_support"] = support
    if municipality == "helmond" and _chance(rng, 0.48):  # almost half a Wmo provision (seed:L1001-1003)
        case["current_interventions"] = ["wmo_support"]
    if municipality == "tilburg" and _chance(rng, 0.8):  # IGM scores (seed:L2937-2961); values practice
        case["igm"] = {factor: rng.randint(1, 10) for factor in _IGM}
    return case


def generate(municipality: str, n: int, seed: int = 0, figures_of: str | None = None) -> Iterator[dict[str, Any]]:
    """`n` synthetic assessments for one municipality; the same seed gives the same cases.
    `figures_of`: the pilot whose published figures a municipality without its own draws from
    (its cases still name `municipality`)."""
    figures = figures_of or municipality
    if figures not in MUNICIPALITIES:
        from .errors import InputError

        raise InputError([("municipality", f"unknown municipality '{figures}'; one of {list(MUNICIPALITIES)}")])
    if n < 0:
        from .errors import InputError

        raise InputError([("n", "must be 0 or more")])
    rng = random.Random(seed)
    for index in range(1, n + 1):
        yield _assessment(rng, figures, index, municipality)
