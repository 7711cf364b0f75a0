"""The decision log in the store: advice shown, the coach's decision per suggestion, erasure
with the case, retention, and the rules kept for replay (SQLite and PostgreSQL)."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from engine.errors import InputError
from engine.store import LOCAL, NotFound, Store
from engine.store.advise import advise
from engine.store.decisions import MIN_LOG_RETENTION_DAYS, log_retention_days
from engine.store.schema import advice_log, decisions
from store_cases import case_doc
from store_db import db_url, pg_server  # noqa: F401  (fixtures)

TODAY = date(2026, 3, 1)


@pytest.fixture
def store(db_url):  # noqa: F811
    s = Store(db_url)
    yield s
    s.close()


def _advised(store, case_id="c-1"):
    store.import_case(LOCAL, case_doc(case_id))
    rec = advise(store.get(LOCAL, case_id), today=TODAY)
    return rec, store.log_advice(LOCAL, case_id, rec)


def test_an_advice_is_logged_with_its_receipt_and_never_the_case(store):
    rec, advice_id = _advised(store)
    [entry] = store.logged_advice(LOCAL, "c-1")
    assert entry["advice_id"] == advice_id
    assert entry["receipt"] == rec.receipt.model_dump(mode="json")
    assert [s["id"] for s in entry["shown"]] == [i.id for i in rec.interventions]
    assert entry["case_ref"].startswith("m-") and "c-1" not in entry["case_ref"]
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(advice_log)).one()
    stored = json.dumps([row.receipt, row.shown])
    for content in ("self_reliance", "problematic_debt", "social_contact", "igm"):  # what the case holds
        assert content not in stored
    # the same case keeps one masked id over its advice
    store.log_advice(LOCAL, "c-1", rec)
    assert len({e["case_ref"] for e in store.logged_advice(LOCAL, "c-1")}) == 1
    assert store.rules_versions() == [rec.receipt.rules_version]


def test_decisions_are_kept_against_the_advice(store):
    rec, advice_id = _advised(store)
    first, second = rec.interventions[0].id, rec.interventions[1].id
    store.record_decision(LOCAL, "c-1", advice_id, first, "accepted")
    store.record_decision(LOCAL, "c-1", advice_id, second, "not_now", reason="waiting_list", comment="na de zomer")
    got = store.decisions(LOCAL, "c-1")
    assert [(d["intervention_id"], d["decision"], d["reason"], d["comment"]) for d in got] == [
        (first, "accepted", None, None), (second, "not_now", "waiting_list", "na de zomer")]
    assert got[1]["rule"] == rec.interventions[1].rule
    assert got[1]["rules_version"] == rec.receipt.rules_version
    actions = [r["action"] for r in store.audit_trail("c-1")]
    assert actions.count("decide") == 2 and "log_advice" in actions


@pytest.mark.parametrize("decision, reason, field", [
    ("not_now", None, "reason"),             # setting aside says why
    ("other", None, "reason"),
    ("accepted", "waiting_list", "reason"),  # accepting takes no reason
    ("not_now", "no_such_reason", "reason"),
    ("maybe", None, "decision"),
])
def test_a_decision_needs_a_known_answer_and_a_reason_when_set_aside(store, decision, reason, field):
    rec, advice_id = _advised(store)
    with pytest.raises(InputError) as caught:
        store.record_decision(LOCAL, "c-1", advice_id, rec.interventions[0].id, decision, reason=reason)
    assert field in caught.value.fields
    assert store.decisions(LOCAL, "c-1") == []


def test_a_decision_is_for_a_suggestion_of_that_advice_of_that_case(store):
    rec, advice_id = _advised(store)
    _advised(store, "c-2")
    with pytest.raises(InputError) as caught:
        store.record_decision(LOCAL, "c-1", advice_id, "no_such_step", "accepted")
    assert caught.value.fields == ["intervention_id"]
    with pytest.raises(InputError) as caught:
        store.record_decision(LOCAL, "c-2", advice_id, rec.interventions[0].id, "accepted")
    assert caught.value.fields == ["advice_id"]
    with pytest.raises(InputError) as caught:  # a case not in the store: no such advice for it either
        store.record_decision(LOCAL, "c-9", advice_id, rec.interventions[0].id, "accepted")
    assert caught.value.fields == ["advice_id"]


def test_a_coach_cannot_log_or_decide_on_a_stored_case_of_someone_else(store):
    from engine.store import Actor

    store.import_case(LOCAL, case_doc("c-1"))  # held by 'local'
    rec = advise(store.get(LOCAL, "c-1"), today=TODAY)
    advice_id = store.log_advice(LOCAL, "c-1", rec)
    coach = Actor("coach1", "coach")
    with pytest.raises(NotFound):
        store.log_advice(coach, "c-1", rec)
    with pytest.raises(NotFound):
        store.record_decision(coach, "c-1", advice_id, rec.interventions[0].id, "accepted")
    with pytest.raises(NotFound):
        store.decisions(coach, "c-1")


def test_a_comment_holds_no_contact_details_and_stays_short(store):
    rec, advice_id = _advised(store)
    step = rec.interventions[0].id
    for comment in ("bel 0612345678", "mail jan@example.nl", "x" * 501):
        with pytest.raises(InputError) as caught:
            store.record_decision(LOCAL, "c-1", advice_id, step, "other", reason="other", comment=comment)
        assert caught.value.fields == ["comment"]
    store.record_decision(LOCAL, "c-1", advice_id, step, "other", reason="other", comment="x" * 500)


def test_the_log_goes_with_the_case_forget_and_purge(store):
    rec, advice_id = _advised(store)
    store.record_decision(LOCAL, "c-1", advice_id, rec.interventions[0].id, "accepted")
    rec2, advice2 = _advised(store, "c-2")
    store.record_decision(LOCAL, "c-2", advice2, rec2.interventions[0].id, "accepted")
    store.forget(LOCAL, "c-1")
    store.close_case(LOCAL, "c-2", TODAY - timedelta(days=40))
    assert store.purge(LOCAL, 30, TODAY) == ["c-2"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(advice_log)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(decisions)).scalar() == 0
    assert store.rules_versions() == [rec.receipt.rules_version]  # rules are no case content: kept for replay


def test_entries_older_than_the_log_retention_are_purged(store):
    rec, advice_id = _advised(store)
    store.record_decision(LOCAL, "c-1", advice_id, rec.interventions[0].id, "accepted")
    _, kept = _advised(store, "c-2")
    old = datetime.combine(TODAY - timedelta(days=MIN_LOG_RETENTION_DAYS + 1), datetime.min.time(), timezone.utc)
    edge = datetime.combine(TODAY - timedelta(days=MIN_LOG_RETENTION_DAYS), datetime.min.time(), timezone.utc)
    with store.engine.begin() as conn:
        conn.execute(advice_log.update().where(advice_log.c.advice_id == advice_id).values(at=old))
        conn.execute(advice_log.update().where(advice_log.c.advice_id == kept).values(at=edge))
    assert store.purge_log(LOCAL, TODAY) == 1
    assert store.logged_advice(LOCAL, "c-1") == [] and store.decisions(LOCAL, "c-1") == []
    assert [e["advice_id"] for e in store.logged_advice(LOCAL, "c-2")] == [kept]


def test_the_log_retention_is_at_least_six_months(monkeypatch):
    assert log_retention_days() == MIN_LOG_RETENTION_DAYS
    assert log_retention_days(400) == 400
    with pytest.raises(InputError):
        log_retention_days(MIN_LOG_RETENTION_DAYS - 1)
    monkeypatch.setenv("WEGWIJZER_LOG_RETENTION_DAYS", "365")
    assert log_retention_days() == 365
    monkeypatch.setenv("WEGWIJZER_LOG_RETENTION_DAYS", "half a year")
    with pytest.raises(InputError) as caught:
        log_retention_days()
    assert caught.value.fields == ["WEGWIJZER_LOG_RETENTION_DAYS"]


def test_advice_made_with_other_rules_than_given_is_refused(store, tmp_path):
    import shutil

    from engine.api import Engine
    from engine.rulebook import default_rules_dir

    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    path = rules / "override_reasons.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("label_nl: wachtlijst", "label_nl: op de wachtlijst"),
                    encoding="utf-8")
    store.import_case(LOCAL, case_doc())
    rec = advise(store.get(LOCAL, "c-1"), engine=Engine.load(rules), today=TODAY)
    with pytest.raises(InputError) as caught:
        store.log_advice(LOCAL, "c-1", rec)  # the shipped rules are another version
    assert caught.value.fields == ["rules_version"]
    store.log_advice(LOCAL, "c-1", rec, rules=rules)
    assert store.rule_snapshot(rec.receipt.rules_version)["override_reasons.yaml"] == path.read_text(encoding="utf-8")


def test_a_case_another_system_holds_is_logged_for_its_coach_and_can_be_erased(store):
    from engine.api import Engine
    from engine.store import Actor, Forbidden

    rec = Engine.load().recommend(case_doc("elders-1"))  # not in this store (CDS Hooks)
    coach, other = Actor("coach1", "coach"), Actor("coach2", "coach")
    advice_id = store.log_advice(coach, "elders-1", rec)
    store.record_decision(coach, "elders-1", advice_id, rec.interventions[0].id, "accepted")
    assert len(store.decisions(coach, "elders-1")) == 1
    assert store.decisions(other, "elders-1") == [] and store.logged_advice(other, "elders-1") == []
    with pytest.raises(InputError):
        store.record_decision(other, "elders-1", advice_id, rec.interventions[0].id, "accepted")
    with pytest.raises(Forbidden):
        store.log_advice(Actor("lead", "team_lead", "t"), "elders-1", rec)
    with pytest.raises(InputError) as caught:
        store.log_advice(coach, "x-123456782", rec.model_copy(update={"case_id": None}))  # a BSN in the id
    assert caught.value.fields == ["case_id"]
    assert store.forget_log(other, "elders-1") == 0
    assert store.forget_log(coach, "elders-1") == 1
    assert store.decisions(coach, "elders-1") == []


def test_a_comment_is_sealed_with_the_case_s_key_and_unreadable_once_forgotten(store):
    rec, advice_id = _advised(store)
    step = rec.interventions[0].id
    store.record_decision(LOCAL, "c-1", advice_id, step, "other", reason="other", comment="kanarie-opmerking")
    with store.engine.connect() as conn:
        held = conn.execute(sa.select(decisions.c.comment)).scalar()
    assert held.startswith("sealed:") and "kanarie" not in held  # the column holds no text in clear
    assert [d["comment"] for d in store.decisions(LOCAL, "c-1")] == ["kanarie-opmerking"]
    store.forget(LOCAL, "c-1")
    from engine.store.schema import case_keys

    with store.engine.connect() as conn:
        assert conn.execute(sa.select(case_keys.c.case_id).where(case_keys.c.case_id == "c-1")).first() is None


def test_a_comment_on_a_case_another_system_holds_has_a_key_of_its_own(store):
    from engine.api import Engine
    from engine.store.schema import case_keys

    rec = Engine.load().recommend(case_doc("elders-2"))  # not in this store (CDS Hooks)
    advice_id = store.log_advice(LOCAL, "elders-2", rec)
    store.record_decision(LOCAL, "elders-2", advice_id, rec.interventions[0].id, "not_now", reason="waiting_list",
                          comment="na de zomer")
    assert [d["comment"] for d in store.decisions(LOCAL, "elders-2")] == ["na de zomer"]

    def keys():
        with store.engine.connect() as conn:
            return [r.case_id for r in conn.execute(sa.select(case_keys.c.case_id).where(case_keys.c.case_id == "elders-2"))]
    assert keys() == ["elders-2"]
    # imported later, the case takes that key over: its log's comments stay readable
    store.import_case(LOCAL, case_doc("elders-2"))
    assert [d["comment"] for d in store.decisions(LOCAL, "elders-2")] == ["na de zomer"]
    store.forget(LOCAL, "elders-2")
    assert keys() == []
    # and erased with its log when the case stays elsewhere
    rec = Engine.load().recommend(case_doc("elders-3"))
    advice_id = store.log_advice(LOCAL, "elders-3", rec)
    store.record_decision(LOCAL, "elders-3", advice_id, rec.interventions[0].id, "other", reason="other", comment="x")
    assert store.forget_log(LOCAL, "elders-3") == 1
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(case_keys.c.case_id).where(case_keys.c.case_id == "elders-3")).first() is None
