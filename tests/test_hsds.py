from engine import Engine
from engine.hsds import to_hsds


def test_social_map_exports_as_hsds():
    book = Engine.load().book
    for municipality, mmap in book.municipalities.items():
        doc = to_hsds(book, municipality)
        org_ids = {o["id"] for o in doc["organization"]}
        assert org_ids == {f"{municipality}:{oid}" for oid in mmap.organisations}
        assert all(s["organization_id"] in org_ids for s in doc["service"])
        term_ids = {t["id"] for t in doc["taxonomy_term"]}
        assert term_ids == {s["taxonomy_term_id"] for s in doc["attribute"]}
        # every intervention the engine can refer to in this municipality is a service there
        assert set(mmap.services) <= term_ids
