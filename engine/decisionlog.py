"""The decision log as JSON Lines, for the library and `wegwijzer batch` (the store keeps its own:
engine.store.decisions). One entry per advice shown, in the store's shape:

    {"advice_id": "...", "at": "2026-03-01T09:00:00+00:00", "actor": "coach7", "case_ref": "m-...",
     "municipality": "leiden", "receipt": {...}, "shown": [{"id": ..., "rule": ..., "phase": ...}]}

Never case content: the receipt (versions, input hash, rule ids), who was shown the advice
(a pseudonymous name) and the case's masked id: an HMAC of its id under a key the
organisation keeps ($WEGWIJZER_LOG_KEY), so the same case has the same masked id in every
log made with that key, and no one without the key can tell which case it is. Without a key,
a random one is taken for the run: its entries link to each other only.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .model import Recommendation

KEY_ENV = "WEGWIJZER_LOG_KEY"


def shown_of(recommendation: Recommendation) -> list[dict[str, str]]:
    """The suggestions an advice showed: id, the rule that chose it, its phase."""
    return [{"id": item.id, "rule": item.rule, "phase": item.phase} for item in recommendation.interventions]


def log_key(given: str | None = None) -> bytes:
    key = given if given is not None else os.environ.get(KEY_ENV)
    return key.encode("utf-8") if key else secrets.token_bytes(32)


def mask(case_id: str | None, key: bytes) -> str | None:
    """The case's masked id (None for an advice without case id)."""
    if not case_id:
        return None
    return "m-" + hmac.new(key, case_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def log_entry(recommendation: Recommendation, actor: str, case_ref: str | None,
              at: datetime | None = None) -> dict[str, Any]:
    """One log entry for an advice shown to `actor`."""
    if recommendation.receipt is None:
        raise ValueError("the advice has no receipt")
    return {"advice_id": secrets.token_hex(12), "at": (at or datetime.now(timezone.utc)).isoformat(),
            "actor": actor, "case_ref": case_ref, "municipality": recommendation.municipality,
            "receipt": recommendation.receipt.model_dump(mode="json"), "shown": shown_of(recommendation)}


def write_from_batch(batch_out: str | Path, log_path: str | Path, actor: str, key: bytes) -> int:
    """The decision log of a batch's output (one entry per advised line); how many entries."""
    written = 0
    at = datetime.now(timezone.utc)
    with open(batch_out, encoding="utf-8") as source, open(log_path, "w", encoding="utf-8") as log:
        for line in source:
            record = json.loads(line)
            if "recommendation" not in record:
                continue  # a bad case: no advice was shown
            rec = Recommendation.model_validate(record["recommendation"])
            log.write(json.dumps(log_entry(rec, actor, mask(rec.case_id, key), at), ensure_ascii=False) + "\n")
            written += 1
    return written
