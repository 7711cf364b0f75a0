"""The case store's repository API, on SQLite and on PostgreSQL (every test runs on both)."""
from __future__ import annotations

from datetime import date

import pytest

from engine.errors import InputError
from engine.model import Case
from engine.store import LOCAL, Conflict, NotFound, Store
from engine.store.advise import advise, report
from engine.store.privacy import passes_bsn_eleven_test
from store_cases import CONTACT, FOLLOW_UP, GOAL, GOAL_REVIEW, LOG_ENTRY, case_doc
from store_db import db_url, pg_server  # noqa: F401  (fixtures)


@pytest.fixture
def store(db_url):  # noqa: F811
    s = Store(db_url)
    yield s
    s.close()


def test_import_then_export_gives_the_same_case(store):
    doc = case_doc()
    assert store.import_case(LOCAL, doc) == "c-1"
    exported = store.export(LOCAL, "c-1")
    assert Case.model_validate(exported) == Case.model_validate(doc)
    assert [s.case_id for s in store.list_cases(LOCAL)] == ["c-1"]


def test_a_plain_assessment_is_a_case_with_one_assessment_today(store):
    store.import_case(LOCAL, {"case_id": "a-1", "municipality": "tilburg", "domains": {"housing": {"self_reliance": 3}}})
    case = store.get(LOCAL, "a-1")
    assert len(case.assessments) == 1 and case.assessments[0].date == date.today()


def test_add_tells_the_kinds_apart_and_keeps_them(store):
    store.import_case(LOCAL, case_doc())
    assert store.add(LOCAL, "c-1", FOLLOW_UP) == "assessment"
    assert store.add(LOCAL, "c-1", LOG_ENTRY) == "intervention"
    assert store.add(LOCAL, "c-1", CONTACT) == "contact"
    assert store.add(LOCAL, "c-1", GOAL) == "goal"
    assert store.add(LOCAL, "c-1", GOAL_REVIEW) == "goal"  # the review replaces the goal
    assert store.add(LOCAL, "c-1", {"date": "2026-01-05", "id": "social_activation"}) == "profile"
    assert store.add(LOCAL, "c-1", {**LOG_ENTRY, "status": "completed", "ended": "2026-05-01",
                                    "result": "improved"}) == "intervention"
    case = store.get(LOCAL, "c-1")
    assert [a.date.isoformat() for a in case.assessments] == ["2026-01-05", "2026-07-01"]
    assert [(e.id, e.status, e.result) for e in case.interventions_log] == [
        ("neighbourhood_meeting_place", "completed", "improved")]
    assert [(g.id, g.gas_score) for g in case.goals] == [("g1", 1)]
    assert len(case.contacts) == 1 and len(case.profile_history) == 1


def test_add_refuses_what_it_cannot_tell_and_names_the_field(store):
    store.import_case(LOCAL, case_doc())
    with pytest.raises(InputError, match="cannot tell what this entry is"):
        store.add(LOCAL, "c-1", {"note": "x"})
    with pytest.raises(InputError) as exc:
        store.add(LOCAL, "c-1", {**LOG_ENTRY, "status": "paused"})
    assert exc.value.fields == ["intervention.status"]
    with pytest.raises(InputError) as exc:  # an assessment before the first is fine, a bad score is not
        store.add(LOCAL, "c-1", {**FOLLOW_UP, "domains": {"finances": {"self_reliance": 9}}})
    assert exc.value.fields == ["assessment.domains.finances.self_reliance"]
    assert len(store.get(LOCAL, "c-1").assessments) == 1


def test_unknown_case_is_not_found(store):
    for call in (lambda: store.get(LOCAL, "nope"), lambda: store.add(LOCAL, "nope", CONTACT),
                 lambda: store.forget(LOCAL, "nope"), lambda: store.export(LOCAL, "nope")):
        with pytest.raises(NotFound, match="'nope' not found"):
            call()


def test_importing_again_is_unchanged_but_other_content_is_a_conflict(store):
    store.import_case(LOCAL, case_doc())
    result = store.import_many(LOCAL, [("again", case_doc())])
    assert (result.stored, result.unchanged, result.failed) == (0, 1, [])
    with pytest.raises(Conflict, match="stored already with other content"):
        store.import_case(LOCAL, case_doc(rung=4))
    assert store.get(LOCAL, "c-1").assessments[0].ladder_rung == 2


def test_a_bad_case_in_a_batch_is_reported_and_the_rest_stored(store):
    items = [("l1", case_doc("a")), ("l2", {"case_id": "b", "municipality": "leiden", "assessments": []}),
             ("l3", case_doc("c"))]
    result = store.import_many(LOCAL, items)
    assert result.stored == 2 and [ref for ref, _ in result.failed] == ["l2"]
    assert "assessments" in result.failed[0][1]


def test_a_case_without_id_gets_a_pseudonym(store):
    doc = case_doc()
    del doc["case_id"]
    case_id = store.import_case(LOCAL, doc)
    assert case_id.startswith("c-") and store.get(LOCAL, case_id).case_id == case_id


@pytest.mark.parametrize("number,valid", [("111222333", True), ("123456782", True), ("123456789", False),
                                          ("000000000", False), ("12345678", False)])
def test_bsn_eleven_test(number, valid):
    assert passes_bsn_eleven_test(number) is valid


def test_a_bsn_as_case_id_is_refused_and_a_near_miss_is_not(store):
    with pytest.raises(InputError, match="BSN eleven-test") as exc:
        store.import_case(LOCAL, case_doc("123456782"))
    assert exc.value.fields == ["case_id"]
    with pytest.raises(InputError, match="BSN"):
        store.import_case(LOCAL, case_doc("client-111222333"))
    assert store.import_case(LOCAL, case_doc("123456789")) == "123456789"  # fails the eleven-test: a pseudonym
    assert store.list_cases(LOCAL)[0].case_id == "123456789"


def test_organisation_names_only_no_contact_details(store):
    doc = case_doc()
    doc["assessments"][0]["existing_support"] = [{"kind": "fact_team", "organisation": "GGZ tel 0612345678"}]
    with pytest.raises(InputError) as exc:
        store.import_case(LOCAL, doc)
    assert exc.value.fields == ["assessments.0.existing_support.0.organisation"]
    doc["assessments"][0]["existing_support"] = [{"kind": "fact_team", "organisation": "GGZ Oost Brabant"}]
    assert store.import_case(LOCAL, doc) == "c-1"


def test_forget_erases_the_case_and_the_audit_keeps_no_content(store):
    store.import_case(LOCAL, case_doc())
    store.add(LOCAL, "c-1", FOLLOW_UP)
    store.forget(LOCAL, "c-1")
    with pytest.raises(NotFound):
        store.get(LOCAL, "c-1")
    trail = store.audit_trail("c-1")
    assert [row["action"] for row in trail] == ["import", "add_assessment", "forget", "read_refused"]
    assert {key for row in trail for key in row} == {"id", "at", "actor", "action", "case_id", "detail"}
    assert [row["detail"] for row in trail] == [None, None, None, "404"]  # a refusal's status, never content
    with store.engine.connect() as conn:
        import sqlalchemy as sa

        assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar() == 0


def test_purge_erases_cases_closed_longer_ago_than_the_retention(store):
    for case_id in ("old", "recent", "open"):
        store.import_case(LOCAL, case_doc(case_id))
    store.close_case(LOCAL, "old", date(2026, 2, 1))
    store.close_case(LOCAL, "recent", date(2026, 6, 1))
    today = date(2026, 7, 1)
    assert store.purge(LOCAL, 31, today) == ["old"]  # 2026-06-01 is 30 days before: kept
    assert store.purge(LOCAL, 29, today) == ["recent"]
    assert [s.case_id for s in store.list_cases(LOCAL)] == ["open"]
    assert [r["action"] for r in store.audit_trail("old")][-1] == "purge"


def test_every_read_and_write_is_audited(store):
    store.import_case(LOCAL, case_doc())
    store.get(LOCAL, "c-1")
    store.add(LOCAL, "c-1", CONTACT)
    store.export(LOCAL, "c-1")
    store.list_cases(LOCAL)
    actions = [(r["actor"], r["action"], r["case_id"]) for r in store.audit_trail()]
    assert actions == [("local", "import", "c-1"), ("local", "read", "c-1"), ("local", "add_contact", "c-1"),
                       ("local", "export", "c-1"), ("local", "list", None)]


def test_advise_uses_the_whole_case_and_the_running_log(store):
    store.import_case(LOCAL, case_doc())
    store.add(LOCAL, "c-1", FOLLOW_UP)
    store.add(LOCAL, "c-1", LOG_ENTRY)
    case = store.get(LOCAL, "c-1")
    rec = advise(case)
    assert rec.case_id == "c-1"
    assert "neighbourhood_meeting_place" not in [i.id for i in rec.interventions]  # it runs
    assert rec.progress is not None and rec.progress.ladder.from_ == 2 and rec.progress.ladder.to == 3
    assert rec.progress.domains["finances"].from_ == 2 and rec.progress.domains["finances"].to == 3
    text = report(case)
    assert "Van trede 2 (" in text and ") naar trede 3 (" in text and "| Financiën | 2 | 3 | +1 |" in text


def test_missing_postgresql_binaries_fail_with_the_install_hint(monkeypatch):
    import store_db

    monkeypatch.setattr(store_db.glob, "glob", lambda pattern: [])
    with pytest.raises(pytest.fail.Exception, match="apt-get install postgresql"):
        store_db._pg_bin()
