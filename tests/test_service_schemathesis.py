"""The API against its own OpenAPI document (docs/api/openapi.json, issue 21): schemathesis generates requests
from the committed document, valid and invalid, and sends them to a real `kkm2 serve` on loopback with a real
token. No answer may be a 5xx, and every answer must be one the document declares, with the declared content
type and a body that matches the declared schema. The number of examples is bounded here; `make fuzz` is where
volume goes."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.generation.modes import GenerationMode
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


# a real caller's own values, mixed into the generated ones so that examples get past the token check
OWN = {"kommunekode": "0101", "aar": "2024", "filnavn": "bygninger.csv", "sti": "exports/dim_kommune.parquet"}


def cases(operation):
    """Generated requests for one operation: valid and invalid ones as the document allows, and valid ones with
    the caller's own municipality, year and names (the rest generated)."""
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    params = spec["paths"][operation.path][operation.method.lower()].get("parameters", [])
    own = {
        where: {p["name"]: OWN[p["name"]] for p in params if p["in"] == where and p["name"] in OWN}
        for where in ("path", "query")
    }
    mine = operation.as_strategy(
        GenerationMode.POSITIVE, path_parameters=own["path"] or None, query=own["query"] or None
    )
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        mine,
        mine,
    )


def test_the_api_keeps_its_document(api):
    """Every operation of the document, EXAMPLES_PER_OPERATION generated requests each (hypothesis through
    schemathesis' strategies, driven here rather than by schemathesis' pytest plugin, whose per-operation items
    pytest-xdist does not run apart): every answer passes CHECKS, every operation is reached, and each gets
    some answers past the token check (not only 401/403/422/429), or it tested nothing but the door."""
    base_url, token, home = api
    calls: list[tuple[str, int]] = []
    operations = [r.ok() for r in schema.get_all_operations()]
    for operation in operations:

        @given(case=cases(operation))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case):
            headers = {} if "Authorization" in (case.headers or {}) else {"Authorization": f"Bearer {token}"}
            response = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=60)
            calls.append((case.operation.label, response.status_code))

        check()
    assert {label for label, _ in calls} == {op.label for op in operations}
    for op in operations:
        statuses = {s for label, s in calls if label == op.label}
        assert statuses - {401, 403, 422, 429}, (op.label, statuses)
    (home.root / "schemathesis_calls.json").write_text(json.dumps(calls))
    print(f"schemathesis: {len(calls)} calls over {len(operations)} operations")
