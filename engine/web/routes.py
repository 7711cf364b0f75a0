"""The HTTP API under /v1: recommend, explain, schema, rules; and /healthz.

Endpoints read the body themselves (size limit, 400 for malformed JSON) and hand plain data
to the app's matcher (engine.web.workers: worker processes under `wegwijzer serve`, the
Engine in this process otherwise), which validates it once (422 naming the field).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..api import Engine
from ..cli import schema_document
from . import problems
from .intake import read_json

router = APIRouter()

ASSESSMENT_BODY = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Assessment"}}}}
# /v1/recommend takes either input the engine takes: an Assessment (one moment) or a Case (a
# client over time, told apart by its `assessments`); the two forbid each other's fields.
EXAMPLE_ASSESSMENT = {
    "municipality": "leiden", "case_id": "voorbeeld-1", "conversations_held": 4,
    "domains": {"finances": {"self_reliance": 2, "priority": 1}, "social_network": {"self_reliance": 2}},
    "circumstances": {"problematic_debt": True}, "wishes": ["social_contact"],
}
EXAMPLE_CASE = {
    "municipality": "helmond", "case_id": "voorbeeld-2", "as_of": "2026-07-01",
    "assessments": [
        {"date": "2026-01-05", "ladder_rung": 2, "conversations_held": 4,
         "domains": {"finances": {"self_reliance": 2}, "social_network": {"self_reliance": 2}}},
        {"date": "2026-06-20", "ladder_rung": 3, "conversations_held": 10,
         "domains": {"finances": {"self_reliance": 3}, "social_network": {"self_reliance": 3}}},
    ],
    "interventions_log": [{"id": "debt_counselling", "started": "2026-02-01", "status": "running"}],
}
RECOMMEND_BODY = {"required": True, "content": {"application/json": {
    "schema": {"oneOf": [{"$ref": "#/components/schemas/Assessment"}, {"$ref": "#/components/schemas/Case"}]},
    "examples": {
        "assessment": {"summary": "An Assessment: one moment", "value": EXAMPLE_ASSESSMENT},
        "case": {"summary": "A Case: a client over time, with what was tried", "value": EXAMPLE_CASE},
    },
}}}
ERRORS = problems.openapi_responses(400, 401, 408, 413, 415, 422, 503)


def _json(schema_ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


@router.post("/v1/recommend", summary="Advice for one assessment or case", openapi_extra={"requestBody": RECOMMEND_BODY},
             responses={200: {"description": "The recommendation", **_json("Recommendation")}, **ERRORS})
async def recommend(request: Request) -> Response:
    data = await read_json(request, request.app.state.max_body)
    rec = await request.app.state.matcher.recommend(data)
    return Response(rec.model_dump_json(by_alias=True), media_type="application/json")


def explain_case(engine: Engine, data: Any) -> dict[str, Any]:
    """The same explanation as `wegwijzer explain`: the path, the conditions, the chosen rules."""
    from ..workbench.explain import explain_case as explain

    return explain(engine, data).as_dict()


@router.post("/v1/explain", summary="The path through the flowchart for one assessment",
             openapi_extra={"requestBody": ASSESSMENT_BODY},
             responses={200: {"description": "Flowchart path and rule trace", "content": {"application/json": {"schema": {"type": "object"}}}}, **ERRORS})
async def explain(request: Request) -> JSONResponse:
    data = await read_json(request, request.app.state.max_body)
    return JSONResponse(await request.app.state.matcher.explain(data))


@router.get("/v1/schema", summary="The JSON Schema: input an Assessment or a Case, output a Recommendation",
            responses={200: {"description": "One JSON Schema (2020-12) document, as `wegwijzer schema` prints it; "
                                            "the first release's `assessment` and `recommendation` (and `case`) beside it",
                             "content": {"application/json": {"schema": {"type": "object"}}}},
                       **problems.openapi_responses(401)})
def schema(request: Request) -> dict[str, Any]:
    municipalities = engine_of(request).book.municipality_names()
    # The one document; the first release's keys stay beside it for the clients that read them
    # (a JSON Schema validator ignores keywords it does not know).
    return {**schema_document("all", municipalities), **schema_document("both", municipalities)}


def rules_summary(engine: Engine) -> dict[str, Any]:
    book = engine.book
    nodes = book.flowchart.nodes.values()
    return {
        "rules_version": book.version,
        "counts": {
            "nodes": len(book.flowchart.nodes),
            "decisions": sum(1 for n in nodes if n.type == "decision"),
            "rules": len(book.profile_rules) + len(book.lead_rules),
            "interventions": len(book.interventions),
            "organisations": sum(len(m.organisations) for m in book.municipalities.values()),
        },
        "municipalities": sorted(book.municipalities),
    }


@router.get("/v1/rules", summary="Version and size of the loaded rules",
            responses={200: {"description": "rules_version and counts", "content": {"application/json": {"schema": {"type": "object"}}}},
                       **problems.openapi_responses(401)})
def rules(request: Request) -> dict[str, Any]:
    return rules_summary(engine_of(request))


@router.get("/healthz", summary="Liveness (always 200 while the server answers), load and store; always open")
def healthz(request: Request) -> dict[str, Any]:
    """200 as long as the server answers: a liveness probe must not restart a server that is only full.
    `status` is "busy" while every request slot is taken (new requests get 503), with the counts;
    `store` says when the case store met a full disk and cannot write."""
    load = request.app.state.load.report()
    health: dict[str, Any] = {"status": "busy" if load["saturated"] else "ok",
                              "rules_version": engine_of(request).rules_version, "requests": load}
    store = getattr(request.app.state, "case_store", None)
    if store is not None:  # opened by a /v1/cases request; a write that met a full disk says so here
        health["store"] = "ok" if store.writable else "cannot write (de opslag kan niet schrijven)"
    return health
