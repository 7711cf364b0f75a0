"""The promises of CONTRACT.md as properties over generated valid assessments (hypothesis)."""
from __future__ import annotations

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Engine
from engine.conditions import holds
from engine.errors import InputError
from engine.facts import build_fact
from engine.rulebook import load

from strategies import assessments

BOOK = load()
ENGINE = Engine(BOOK)
OTHER_ENGINE = Engine.load()  # a second, independently loaded and compiled engine
PROFILE_IDS = set(BOOK.profile_labels)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(assessments())
def test_exactly_one_profile_and_one_lead_coordinator(data: dict) -> None:
    rec = ENGINE.recommend(data)
    kinds = [step.kind for step in rec.trace]
    assert kinds.count("profile") == 1
    assert kinds.count("lead_coordinator") == 1
    assert rec.client_profile.id in PROFILE_IDS
    assert rec.lead_coordinator.role in BOOK.roles
    assert rec.lead_coordinator.collaboration in BOOK.collaborations


@SETTINGS
@given(assessments())
def test_deterministic_across_calls_and_engines(data: dict) -> None:
    first = ENGINE.recommend(data).to_json()
    assert ENGINE.recommend(data).to_json() == first
    assert OTHER_ENGINE.recommend(data).to_json() == first


@SETTINGS
@given(assessments())
def test_running_interventions_are_not_suggested_again(data: dict) -> None:
    rec = ENGINE.recommend(data)
    suggested = [item.id for item in rec.interventions]
    assert not set(suggested) & set(data.get("current_interventions", []))
    assert len(suggested) == len(set(suggested))


@SETTINGS
@given(assessments())
def test_every_id_is_known_and_every_referral_is_on_the_social_map(data: dict) -> None:
    rec = ENGINE.recommend(data)
    organisations = BOOK.municipalities[data["municipality"]].organisations
    for item in rec.interventions:
        assert item.id in BOOK.interventions
        assert item.referral_to is None or item.referral_to in organisations
    assert rec.client_profile.id in BOOK.profile_labels
    suggested = {item.id for item in rec.interventions}
    for ref in rec.referrals:
        assert ref.organisation in organisations, (ref.organisation, data["municipality"])
        assert set(ref.for_) <= suggested
        assert ref.consent_given == data.get("consent_to_share", False)


def _tier(iid: str, domain: str | None, domains: dict) -> int:
    """The ranking tier as resolution.yaml states it: the first tier the intervention fits."""
    tiers = BOOK.resolution.ranking.tiers
    for index, tier in enumerate(tiers):
        if iid in tier.interventions:
            return index
        at_most = tier.domain_self_reliance_at_most
        if at_most is not None and domain in domains and domains[domain]["self_reliance"] <= at_most:
            return index
        if not tier.interventions and at_most is None:
            return index
    return len(tiers)


@SETTINGS
@given(assessments())
def test_within_a_tier_the_domain_the_client_ranked_higher_comes_first(data: dict) -> None:
    rec = ENGINE.recommend(data)
    domains = data["domains"]

    def priority(domain: str) -> int:
        return domains.get(domain, {}).get("priority") or 10  # unranked domains come last

    items = [(item.id, item.domain) for item in rec.interventions if item.domain]
    for i, (first_id, first_domain) in enumerate(items):
        for later_id, later_domain in items[i + 1:]:
            if _tier(first_id, first_domain, domains) != _tier(later_id, later_domain, domains):
                continue
            assert priority(first_domain) <= priority(later_domain), (
                f"{first_id} ({first_domain}) before {later_id} ({later_domain})")


@SETTINGS
@given(assessments(), st.data())
def test_declining_gets_only_reapproach_later(data: dict, more) -> None:
    data = {**data, "open_to_support": False}
    rec = ENGINE.recommend(data)
    ids = [item.id for item in rec.interventions]
    expected = ["reapproach_later"]
    circumstances = data.get("circumstances", {})
    unsafe = circumstances.get("unsafe_at_home") or data["domains"].get("safety", {}).get("self_reliance") == 1
    if unsafe:
        expected = ["domestic_safety", *expected]  # safety at home is flagged even when the client declines
    running = set(data.get("current_interventions", []))
    assert ids == [i for i in expected if i not in running]  # already running is never suggested again
    assert "nothing_needed" not in {a.id for a in rec.advice}


@SETTINGS
@given(assessments())
def test_durable_rules_agrees_with_the_reference_evaluator(data: dict) -> None:
    assessment, fact, fired = ENGINE.evaluate(data)
    assert fact == build_fact(assessment)
    assert ENGINE._matcher.match_assessment(assessment) == fired  # the path recommend takes
    decisions = {n.id for n in BOOK.flowchart.nodes.values() if n.type == "decision" and holds(n.when, fact)}
    assert fired["flowchart"] == decisions
    assert fired["profiles"] == {r.id for r in BOOK.profile_rules if holds(r.when, fact)}
    assert fired["lead"] == {r.id for r in BOOK.lead_rules if holds(r.when, fact)}


@pytest.mark.parametrize("years", [1e-05, 5e-324, 0.00005, 12.123456789, 104.99999])
def test_years_on_benefit_any_small_or_fractional_number(years) -> None:
    """durable-rules' JSON parser refuses exponents (1e-05); the fact builder writes plain numbers."""
    rec = ENGINE.recommend({"municipality": "leiden", "years_on_benefit": years, "domains": {"finances": {"self_reliance": 3}}})
    assert rec.client_profile.id in PROFILE_IDS


@pytest.mark.parametrize("years", [1e16, 10**20, 106])
def test_years_on_benefit_beyond_a_lifetime_is_refused(years) -> None:
    with pytest.raises(InputError) as err:
        ENGINE.recommend({"municipality": "leiden", "years_on_benefit": years, "domains": {"finances": {"self_reliance": 3}}})
    assert err.value.fields == ["years_on_benefit"]
