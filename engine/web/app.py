"""The FastAPI app factory: `create_app(engine=None, token=None, max_body=64 KiB, matcher=None, ...)`.

`matcher` is where recommend and explain run: a engine.web.workers.WorkerPool (what
`wegwijzer serve` uses: a native crash costs one request, answered 503) or, by default, the
Engine in this process (engine.web.workers.InProcess; tests and embedding). `reader` is where
a coach's case document is parsed: engine.web.intake.ReaderPool (serve: processes with a
memory limit and a deadline) or, by default, ThreadReader (the threadpool).
"""
from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from ..api import Engine
from ..cli import list_municipalities
from ..errors import InputError, WegwijzerError
from ..model import Assessment, Case, Recommendation
from . import cases, cdshooks, problems, routes
from .guard import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_PER_CLIENT, DEFAULT_MAX_REQUESTS, Guard, Load
from .intake import DEFAULT_MAX_BODY, ThreadReader
from .problems import Problem
from .workers import InProcess, PoolBusy, WorkerCrashed

TOKEN_ENV = "WEGWIJZER_TOKEN"
STATIC = Path(__file__).parent / "static"


class ConfigError(WegwijzerError):
    """The server cannot start as configured (`wegwijzer serve` prints it and exits 2)."""


def token_from_environment() -> str | None:
    """$WEGWIJZER_TOKEN; unset means no token, but set and empty is a mistake, not 'no auth'."""
    value = os.environ.get(TOKEN_ENV)
    if value is None:
        return None
    if not value.strip():
        raise ConfigError(f"{TOKEN_ENV} is set but empty; set a token (e.g. `openssl rand -hex 16`) or unset it")
    return value


def _docs_assets() -> Path:
    """Swagger UI and ReDoc from the installed fastapi-offline package: /docs and /redoc work without a network."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def create_app(engine: Engine | None = None, token: str | None = None, max_body: int = DEFAULT_MAX_BODY,
               matcher: Any = None, max_requests: int = DEFAULT_MAX_REQUESTS,
               body_timeout: float = DEFAULT_BODY_TIMEOUT, max_per_client: int = DEFAULT_MAX_PER_CLIENT,
               reader: Any = None) -> FastAPI:
    """The app. `token` defaults to $WEGWIJZER_TOKEN; when set, everything but /healthz and the OpenAPI document needs it."""
    from . import casepage, pages, visit  # the coach's pages

    resolved_token = token if token is not None else token_from_environment()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        app.state.matcher.close()
        app.state.reader.close()

    app = FastAPI(title="Wegwijzer", version="1", summary="Explained next-step advice for long-term social-assistance clients",
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.engine = engine or Engine.load()
    app.state.matcher = matcher or InProcess(app.state.engine)
    app.state.reader = reader or ThreadReader()  # case documents: engine.web.intake (ReaderPool under serve)
    app.state.max_body = max_body
    app.include_router(routes.router)
    app.include_router(pages.router)
    app.include_router(casepage.router)  # /casus: a case file with history (engine/web/casepage.py)
    from . import auth, caseload

    auth.install(app)  # /aanmelden, /afmelden: sessions in the store (engine/web/auth.py)
    caseload.install(app)  # /deelnemers, /beheer: the coach's caseload (engine/web/caseload.py)
    visit.install(app)  # /deelnemers/{id}/bezoek, /advies, /mijn-plan: a visit, decisions, the plan (engine/web/visit.py)
    app.mount("/static/docs", StaticFiles(directory=_docs_assets()), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_docs(app)
    app.include_router(cases.router)  # /v1/cases: the case store (engine/web/cases.py)
    app.include_router(cdshooks.router)  # /cds-services: CDS Hooks cards and feedback (engine/web/cdshooks.py)

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> Any:
        if pages.wants_page(request):
            return await pages.on_problem(request, exc)
        redact = problems.redactor(request)  # the body never repeats a submitted value (problems.py)
        return problems.response(exc.status, exc.type, redact(exc.detail), redact.errors(exc.errors), exc.headers)

    @app.exception_handler(WorkerCrashed)
    async def on_crash(request: Request, exc: WorkerCrashed) -> Any:
        return await on_problem(request, Problem(
            503, problems.WORKER_CRASHED, "the worker handling this request stopped and has been restarted; "
            "send the request again", headers={"Retry-After": "1"}))

    @app.exception_handler(PoolBusy)
    async def on_busy(request: Request, exc: PoolBusy) -> Any:
        return await on_problem(request, Problem(503, problems.BUSY, "every worker is busy; try again in a moment",
                                                 headers={"Retry-After": "1"}))

    @app.exception_handler(InputError)
    async def on_input_error(request: Request, exc: InputError) -> Any:
        return problems.response(422, problems.INVALID_ASSESSMENT,
                                 f"the assessment does not fit the contract ({len(exc.problems)} problem(s)); see errors",
                                 problems.redactor(request).errors([(field or "(root)", message)
                                                                    for field, message in exc.problems]))

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> Any:
        return problems.response(exc.status_code, "about:blank", problems.redactor(request)(str(exc.detail)),
                                 headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Any:
        errors = [(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]  # never err["input"]
        return problems.response(422, problems.INVALID_ASSESSMENT, "the request does not fit",
                                 problems.redactor(request).errors(errors))

    app.state.token = resolved_token or None
    app.state.load = Load()  # the Guard's counts, for /healthz
    app.add_middleware(Guard, token=app.state.token, max_requests=max_requests, body_timeout=body_timeout,
                       max_per_client=max_per_client, load=app.state.load)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _add_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Wegwijzer — API",
                                   oauth2_redirect_url="/docs/oauth2-redirect",
                                   swagger_js_url="/static/docs/swagger-ui-bundle.js",
                                   swagger_css_url="/static/docs/swagger-ui.css",
                                   swagger_favicon_url="/static/docs/favicon.png")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="Wegwijzer — API",
                              redoc_js_url="/static/docs/redoc.standalone.js",
                              redoc_favicon_url="/static/docs/favicon.png", with_google_fonts=False)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the contract's models, which the routes read and write themselves."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    template = "#/components/schemas/{model}"
    for name, schema in (("Assessment", Assessment.model_json_schema(ref_template=template)),
                         ("Case", Case.model_json_schema(by_alias=True, ref_template=template)),
                         ("Recommendation", Recommendation.model_json_schema(by_alias=True, ref_template=template,
                                                                           mode="serialization"))):
        components.update(schema.pop("$defs", {}))
        components[name] = schema
    list_municipalities(components, app.state.engine.book.municipality_names())  # the loaded rules' ids and codes
    if app.state.token:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
    app.openapi_schema = doc
    return doc
