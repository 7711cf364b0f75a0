"""Routes of the coach's page: GET / (the form) and POST /advies (the result, or the form with errors).

Works without JavaScript: a plain form POST, answered with a full page.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..errors import InputError
from . import page
from .form import collect, form_field, to_assessment
from .intake import read_form
from .problems import Problem

router = APIRouter(include_in_schema=False)
PAGE_PATHS = ("/", "/advies")


def wants_page(request: Request) -> bool:
    return request.url.path in PAGE_PATHS


@router.get("/", response_class=HTMLResponse)
def form(request: Request) -> HTMLResponse:
    return HTMLResponse(page.form_page(request.app.state.engine.book, {"open_to_support": ["on"]}))


@router.post("/advies", response_class=HTMLResponse)
async def advise(request: Request) -> HTMLResponse:
    engine = request.app.state.engine
    values = collect(await read_form(request, request.app.state.max_body))
    data, rows = to_assessment(values)
    try:
        rec = await request.app.state.matcher.recommend(data)
    except InputError as exc:
        errors: dict[str, str] = {}
        for path, message in exc.problems:
            errors.setdefault(form_field(path, rows) or "municipality", message)
        return HTMLResponse(page.form_page(engine.book, values, errors), status_code=422)
    return HTMLResponse(page.result_page(engine.book, rec, data["domains"], values))


async def on_problem(request: Request, exc: Problem) -> HTMLResponse:
    body = (f"<h1>{exc.status}: het verzoek is niet verwerkt</h1><p>{page.h(exc.detail)}</p>"
            '<p><a href="/">Terug naar het formulier</a></p>')
    return HTMLResponse(page.layout("Fout", body), status_code=exc.status, headers=exc.headers)
