"""The Zelfredzaamheid-Matrix (ZRM 2017) as input: rules/zrm.yaml's crosswalk, both ways."""
import shutil

import pytest
import yaml

from engine import Engine
from engine.errors import InputError, RuleError
from engine.model import DOMAIN_IDS, ZRM_DOMAIN_IDS
from engine.rulebook import default_rules_dir, load
from engine.zrm import load_crosswalk

ENGINE = Engine.load()
CROSSWALK = load_crosswalk(ENGINE.book)
FILE = yaml.safe_load((default_rules_dir() / "zrm.yaml").read_text(encoding="utf-8"))


def zrm_case(zrm, **extra):
    return {"schema_version": 1, "municipality": "tilburg", "conversations_held": 5, "zrm": zrm, **extra}


def domains_of(data):
    from engine.api import parse_assessment

    return {d: s.self_reliance for d, s in ENGINE._parsed(lambda x, _: parse_assessment(x), data, None).domains.items()}


def test_the_file_names_every_zrm_domain_and_every_life_domain():
    assert set(FILE["zrm_domains"]) == set(ZRM_DOMAIN_IDS)
    assert set(FILE["crosswalk"]) == set(DOMAIN_IDS)
    assert all(entry["source"] == "practice" for entry in FILE["crosswalk"].values())  # the report has no crosswalk


@pytest.mark.parametrize("zrm_domain", ZRM_DOMAIN_IDS)
def test_a_zrm_domain_feeds_exactly_the_life_domains_the_crosswalk_lists(zrm_domain):
    # ZRM -> life domains: one ZRM domain at 1, the rest at 5; the 1 lands where the file says, nowhere else
    scores = {z: 5 for z in ZRM_DOMAIN_IDS} | {zrm_domain: 1}
    got = domains_of(zrm_case(scores))
    fed = {d for d, entry in FILE["crosswalk"].items() if zrm_domain in entry["from"]}
    assert fed, f"{zrm_domain} feeds no life domain"
    assert {d for d, score in got.items() if score == 1} == fed
    assert set(got) == set(DOMAIN_IDS)


@pytest.mark.parametrize("domain", DOMAIN_IDS)
def test_a_life_domain_is_the_lowest_of_its_zrm_domains_and_of_no_other(domain):
    # life domain -> ZRM: lowering one of its sources lowers it; lowering any other ZRM domain does not
    sources = FILE["crosswalk"][domain]["from"]
    for zrm_domain in ZRM_DOMAIN_IDS:
        scores = {z: 4 for z in ZRM_DOMAIN_IDS} | {zrm_domain: 2}
        assert domains_of(zrm_case(scores))[domain] == (2 if zrm_domain in sources else 4)


def test_several_sources_combine_to_the_minimum_whichever_is_lower():
    # daytime_activities <- work_and_education, time_use: each side of the minimum
    assert domains_of(zrm_case({"work_and_education": 2, "time_use": 4}))["daytime_activities"] == 2
    assert domains_of(zrm_case({"work_and_education": 4, "time_use": 2}))["daytime_activities"] == 2
    assert domains_of(zrm_case({"work_and_education": 3, "time_use": 3}))["daytime_activities"] == 3


def test_a_life_domain_with_no_zrm_score_stays_unasked():
    got = domains_of(zrm_case({"finances": 2}))
    assert got == {"finances": 2}


def test_the_coach_s_own_domain_score_wins_and_the_note_says_where_it_differs():
    data = zrm_case({"finances": 1, "housing": 3}, domains={"finances": {"self_reliance": 4}})
    assert domains_of(data) == {"finances": 4, "housing": 3}
    note = next(w for w in ENGINE.recommend(data).warnings if w.code == "domains_from_zrm")
    assert "financiën 4 (eigen score; de ZRM geeft 1: Financiën 1)" in note.message_nl
    assert "wonen 3 (uit Huisvesting 3)" in note.message_nl


def test_the_advice_for_zrm_scores_is_the_advice_for_the_life_domains_they_give():
    zrm = {"finances": 1, "work_and_education": 2, "time_use": 3, "housing": 4, "domestic_relations": 2,
           "mental_health": 2, "physical_health": 3, "substance_use": 4, "basic_adl": 5, "instrumental_adl": 4,
           "social_network": 2, "community_participation": 3, "justice": 5}
    by_zrm = ENGINE.recommend(zrm_case(zrm))
    by_domains = ENGINE.recommend({**{k: v for k, v in zrm_case(zrm).items() if k != "zrm"},
                                   "domains": {d: {"self_reliance": s} for d, s in domains_of(zrm_case(zrm)).items()}})
    assert [w for w in by_zrm.warnings if w.code != "domains_from_zrm"] == by_domains.warnings
    # the same advice; only the receipt's input hash tells the two inputs apart (as it should)
    assert by_zrm.receipt.input_hash != by_domains.receipt.input_hash
    assert by_zrm.receipt.fired == by_domains.receipt.fired
    assert (by_zrm.model_copy(update={"warnings": by_domains.warnings, "receipt": by_domains.receipt})
            == by_domains)
    assert any(w.code == "domains_from_zrm" for w in by_zrm.warnings)
    assert not any(w.code == "domains_from_zrm" for w in by_domains.warnings)


def test_a_case_s_assessments_take_zrm_scores_too():
    case = {"schema_version": 1, "municipality": "leiden", "assessments": [
        {"date": "2026-01-10", "conversations_held": 2, "zrm": {"finances": 2, "social_network": 2}},
        {"date": "2026-06-10", "conversations_held": 6, "zrm": {"finances": 4, "social_network": 3}},
    ]}
    rec = ENGINE.recommend(case)
    assert rec.progress.domains["finances"].to == 4 and rec.progress.domains["finances"].from_ == 2
    note = next(w for w in rec.warnings if w.code == "domains_from_zrm")
    assert "financiën 4 (uit Financiën 4)" in note.message_nl  # the current (latest) assessment's


def test_a_bad_zrm_score_or_domain_is_an_input_error_naming_it():
    with pytest.raises(InputError) as exc:
        ENGINE.recommend(zrm_case({"finances": 6, "housing": 3}))
    assert "zrm.finances" in exc.value.fields
    with pytest.raises(InputError) as exc:
        ENGINE.recommend(zrm_case({"finance": 2, "housing": 3}))
    assert any(f.startswith("zrm") for f in exc.value.fields)


def test_without_zrm_and_without_domains_the_domains_are_still_required():
    with pytest.raises(InputError) as exc:
        ENGINE.recommend({"schema_version": 1, "municipality": "tilburg", "zrm": {}})
    assert "domains" in exc.value.fields


def _broken_copy(tmp_path, edit):
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    path = rules / "zrm.yaml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return rules


def test_the_loader_refuses_an_unknown_zrm_domain_in_the_crosswalk_with_its_line(tmp_path):
    rules = _broken_copy(tmp_path, lambda t: t.replace("from: [finances]", "from: [finanses]"))
    with pytest.raises(RuleError) as exc:
        load_crosswalk(load(rules))
    assert "finanses" in str(exc.value) and "finances" in str(exc.value)  # did you mean
    assert exc.value.line is not None and "zrm.yaml" in str(exc.value)


def test_the_loader_refuses_a_zrm_domain_that_feeds_no_life_domain(tmp_path):
    rules = _broken_copy(tmp_path, lambda t: t.replace("from: [domestic_relations, justice]", "from: [domestic_relations]"))
    with pytest.raises(RuleError) as exc:
        load_crosswalk(load(rules))
    assert "justice" in str(exc.value)


def test_check_reports_a_broken_crosswalk(tmp_path):
    from engine.workbench.check import check_rules

    rules = _broken_copy(tmp_path, lambda t: t.replace("from: [finances]", "from: [finanses]"))
    findings = check_rules(rules)
    assert any(f.severity == "error" and f.file.endswith("zrm.yaml") and "finanses" in f.message for f in findings)
