"""Small Case documents for the store tests."""
from __future__ import annotations

from typing import Any


def case_doc(case_id: str = "c-1", municipality: str = "leiden", rung: int = 2, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "case_id": case_id, "municipality": municipality,
        "assessments": [{"date": "2026-01-05", "ladder_rung": rung, "conversations_held": 4,
                         "domains": {"finances": {"self_reliance": 2}, "social_network": {"self_reliance": 2}},
                         "circumstances": {"problematic_debt": True}, "wishes": ["social_contact"],
                         "igm": {"attitude": 4, "behaviour": 3}}],
    }
    doc.update(extra)
    return doc


FOLLOW_UP = {"date": "2026-07-01", "ladder_rung": 3, "conversations_held": 8,
             "domains": {"finances": {"self_reliance": 3}, "social_network": {"self_reliance": 3}},
             "igm": {"attitude": 6, "behaviour": 5}}
LOG_ENTRY = {"id": "neighbourhood_meeting_place", "started": "2026-02-01", "status": "running"}
CONTACT = {"date": "2026-01-02", "kind": "phone", "reached": False}
GOAL = {"id": "g1", "domain": "social_network", "set_on": "2026-01-05", "review_on": "2026-07-05"}
GOAL_REVIEW = {**GOAL, "gas_score": 1}


def team_store(url: str, **options: Any) -> tuple[Any, dict[str, str]]:
    """A shared store with an admin, two coaches of team noord and their team lead (tokens by
    role: admin, anna, bram, lead), and one case of anna's, 'anna-1'."""
    from engine.store import Store

    store = Store(url, shared=True, **options)
    tokens = {"admin": store.add_user(None, "beheer", "admin")}
    admin = store.actor(tokens["admin"])
    tokens["anna"] = store.add_user(admin, "anna", "coach", "noord")
    tokens["bram"] = store.add_user(admin, "bram", "coach", "noord")
    tokens["lead"] = store.add_user(admin, "lotte", "team_lead", "noord")
    store.import_case(store.actor(tokens["anna"]), case_doc("anna-1"))
    return store, tokens
