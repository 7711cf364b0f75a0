"""The FastAPI app factory: `create_app(engine=None, token=None, max_body=64 KiB)`."""
from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException

from ..api import Engine
from ..errors import InputError
from ..model import Assessment, Recommendation
from . import cases, problems, routes
from .guard import Guard
from .intake import DEFAULT_MAX_BODY
from .problems import Problem

TOKEN_ENV = "WEGWIJZER_TOKEN"


def create_app(engine: Engine | None = None, token: str | None = None, max_body: int = DEFAULT_MAX_BODY) -> FastAPI:
    """The app. `token` defaults to $WEGWIJZER_TOKEN; when set, everything but /healthz and the OpenAPI document needs it."""
    from . import pages  # the coach's page

    app = FastAPI(title="Wegwijzer", version="1", summary="Explained next-step advice for long-term social-assistance clients")
    app.state.engine = engine or Engine.load()
    app.state.max_body = max_body
    app.include_router(routes.router)
    app.include_router(pages.router)
    app.include_router(cases.router)  # /v1/cases: the case store (engine/web/cases.py)

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> Any:
        if pages.wants_page(request):
            return await pages.on_problem(request, exc)
        return problems.from_problem(exc)

    @app.exception_handler(InputError)
    async def on_input_error(request: Request, exc: InputError) -> Any:
        return problems.response(422, problems.INVALID_ASSESSMENT,
                                 f"the assessment does not fit the contract ({len(exc.problems)} problem(s)); see errors",
                                 [(field or "(root)", message) for field, message in exc.problems])

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> Any:
        return problems.response(exc.status_code, "about:blank", str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Any:
        errors = [(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]
        return problems.response(422, problems.INVALID_ASSESSMENT, "the request does not fit", errors)

    app.state.token = (token if token is not None else os.environ.get(TOKEN_ENV)) or None
    app.add_middleware(Guard, token=app.state.token)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the contract's models, which the routes read and write themselves."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    template = "#/components/schemas/{model}"
    for name, schema in (("Assessment", Assessment.model_json_schema(ref_template=template)),
                         ("Recommendation", Recommendation.model_json_schema(by_alias=True, ref_template=template,
                                                                           mode="serialization"))):
        components.update(schema.pop("$defs", {}))
        components[name] = schema
    if app.state.token:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
    app.openapi_schema = doc
    return doc
