"""The social map as Open Referral HSDS records, so a municipality can compare or bring its own.

HSDS 3.0 names: organization (id, name), service (id, organization_id, name, status),
taxonomy_term (id, term, vocabulary) and attribute (link_id, taxonomy_term_id) linking a
service to its term. The intervention id is the taxonomy term; `warm_handover` and
`shares_data` have no HSDS field and travel as extra keys of the service.
"""
from __future__ import annotations

from typing import Any

from .rulebook import Rulebook

VOCABULARY = "wegwijzer-interventions"


def to_hsds(book: Rulebook, municipality: str) -> dict[str, list[dict[str, Any]]]:
    raw = book.raw["social_map.yaml"]["municipalities"][municipality]["organisations"]
    organizations, services, attributes = [], [], []
    terms: dict[str, dict[str, Any]] = {}
    for org in raw:
        organizations.append({"id": f"{municipality}:{org['id']}", "name": org["name"]})
        for svc in org.get("services", []):
            iid = svc["intervention"]
            item = book.interventions[iid]
            service_id = f"{municipality}:{org['id']}:{iid}"
            services.append({
                "id": service_id, "organization_id": f"{municipality}:{org['id']}",
                "name": item.label_nl, "status": "active",
                "warm_handover": svc["warm_handover"], "shares_data": svc["shares_data"],
            })
            terms.setdefault(iid, {"id": iid, "term": item.label_en, "vocabulary": VOCABULARY})
            attributes.append({"link_id": service_id, "link_type": "service", "taxonomy_term_id": iid})
    return {"organization": organizations, "service": services,
            "taxonomy_term": list(terms.values()), "attribute": attributes}
