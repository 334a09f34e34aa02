"""The API against its own OpenAPI document (docs/api/openapi.json, issue 21): schemathesis generates requests
from the committed document, valid and invalid, and sends them to a real `kkm2 serve` on loopback with a real
token. No answer may be a 5xx, and every answer must be one the document declares, with the declared content
type and a body that matches the declared schema. The number of examples is bounded here; `make fuzz` is where
volume goes."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from test_service import Server
from test_service_pages import make_release

from pipeline.service import tokens
from pipeline.settings import REPO_ROOT, Home, connect
from pipeline.status import write_snapshot
from pipeline.warehouse import ensure_schema

SPEC = REPO_ROOT / "docs" / "api" / "openapi.json"
EXAMPLES_PER_OPERATION = 100
schema = schemathesis.openapi.from_path(SPEC)
# what the issue asks: no 5xx and no schema violation (status codes, content types, headers and bodies as
# declared). Not the checks that would need the document to say which municipalities a token may see.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
calls: list[tuple[str, int]] = []


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("schemathesis") / "home").ensure()
    con = connect(home.warehouse)
    ensure_schema(con)
    con.execute("INSERT INTO audit.submissions VALUES ('0101', 2024, 1, now(), 'fp', '[]', 'godkendt', '{}')")
    write_snapshot(con, home)
    con.close()
    outside = home.root.parent / "udenfor"
    outside.mkdir()
    (outside / "hemmelig.txt").write_text("hemmelig")
    make_release(home, outside)
    token, _ = tokens.create(home, "Schemathesis", ["0101"], ["indberet", "laes"])
    server = Server(home.root, env={"KKM2_API_KALD_PR_MINUT": "100000"})
    yield f"http://127.0.0.1:{server.port}", token, home
    log = server.stop()
    assert "Traceback" not in log, log


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_its_document(case, api):
    base_url, token, _ = api
    headers = (
        {"Authorization": f"Bearer {token}"}
        if not case.headers or "Authorization" not in case.headers
        else {}
    )
    response = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=60)
    calls.append((case.operation.label, response.status_code))


def test_schemathesis_reached_every_operation_and_past_the_token_check(api):
    """The property test above must have run: every operation in the document was called, and some calls of
    each were let through the token check (not all 401/403/422), or it tested nothing but the door."""
    _, _, home = api
    assert calls, "the schemathesis test above did not run (it must run first, in the same module)"
    operations = {op.label for op in (r.ok() for r in schema.get_all_operations())}
    seen = {label for label, _ in calls}
    (home.root / "schemathesis_calls.json").write_text(json.dumps(calls))
    assert seen == operations
    for op in operations:
        statuses = {s for label, s in calls if label == op}
        assert statuses - {401, 403, 422, 429}, (op, statuses)
    (home.root / "schemathesis_calls.json").write_text(json.dumps(calls))
    print(f"schemathesis: {len(calls)} calls over {len(operations)} operations")
