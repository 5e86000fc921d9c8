"""Schemathesis against the app's own OpenAPI: whatever the input, never a 500 and never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from api import create_app
from beslutslogg import DecisionLog
from tests.api_helpers import APP, DECISION, auth
from tests.api_helpers import settings as api_settings


def _app() -> Any:
    url = f"sqlite:///{Path(_DIR.name) / 'beslut.sqlite3'}"
    log = DecisionLog(url)
    log.migrate()
    app = create_app(api_settings(url, max_body=200_000), decision_log=log)
    # One real decision, so that fuzzed ids sometimes meet a stored one and its endpoints.
    from fastapi.testclient import TestClient

    r = TestClient(app).post("/v1/beslut", json={"ansokan": APP, "beslut": DECISION}, headers=auth("handlaggare"))
    assert r.status_code == 201
    return app


# Built at import: schemathesis' pytest fixture loader does not work with pytest 9.
_DIR = tempfile.TemporaryDirectory(prefix="ekbist-fuzz-")
schema = schemathesis.openapi.from_asgi("/openapi.json", _app())
HEADERS = [auth("handlaggare"), auth("revisor", "0999"), auth("regelforvaltare"), {}]


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any) -> None:
    for headers in HEADERS:
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"
        assert "Traceback" not in response.text
        if response.status_code in (401, 403, 404, 413, 422):
            assert "fel" in response.json(), response.text[:300]  # a message a person can read
