"""Schemathesis over the app's own OpenAPI document (in process, ASGI; nothing leaves the machine).

The promise: whatever the body, valid or not, the API answers 2xx or a 4xx problem+json, never a 5xx.
"""
from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

from engine import Engine  # noqa: E402
from engine.web.app import create_app  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Engine.load(), token=""))
    schema.config.generation.update(modes=list(schemathesis.GenerationMode), max_examples=50, deterministic=True)


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case) -> None:
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        content_type = response.headers.get("content-type") or [""]
        assert "application/problem+json" in content_type[0], (case.path, response.status_code, content_type)
        assert response.json()["status"] == response.status_code
