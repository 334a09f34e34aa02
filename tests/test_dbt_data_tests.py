"""The dbt data tests can fail: real dbt runs the project's tests against a warehouse with planted bad rows (a
duplicated grain, a building that is not in dim_bygning, a null key, a seed with a duplicated code and weights
that do not sum to 1) and reports exactly those as failures, while the same tests pass on good rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline.settings import REPO_ROOT, connect

PLANTED = """
CREATE SCHEMA marts; CREATE SCHEMA intermediate; CREATE SCHEMA ref;
CREATE TABLE marts.dim_bygning (kommunekode VARCHAR, aar INTEGER, bygning_id VARCHAR);
INSERT INTO marts.dim_bygning VALUES ('0101', 2024, 'A'), ('0101', 2024, 'B');
-- good rows
CREATE TABLE intermediate.int_anvendelse_bygning (kommunekode VARCHAR, aar INTEGER, bygning_id VARCHAR);
INSERT INTO intermediate.int_anvendelse_bygning VALUES ('0101', 2024, 'A'), ('0101', 2024, 'B');
-- A twice; Z is no building; A of 0147 is no building of 0147 (only of 0101); one key without its building
CREATE TABLE intermediate.int_udgifter_bygning (kommunekode VARCHAR, aar INTEGER, bygning_id VARCHAR);
INSERT INTO intermediate.int_udgifter_bygning VALUES
    ('0101', 2024, 'A'), ('0101', 2024, 'A'), ('0101', 2024, 'Z'), ('0147', 2024, 'A'), ('0101', 2024, NULL);
-- tag twice, and the weights sum to 1.1
CREATE TABLE ref.bygningsdele (kode VARCHAR, label VARCHAR, vaegt DOUBLE, model_version VARCHAR);
INSERT INTO ref.bygningsdele VALUES ('tag', 'Tag', 0.5, 'x'), ('tag', 'Tag', 0.4, 'x'), ('facader', 'F', 0.2, 'x');
"""


def _dbt_test(home: Path, *select: str) -> dict[tuple[str, str, str | None], tuple[str, int]]:
    """`dbt test` of the selected nodes' data tests: (test, model or seed, column) -> (status, failing rows)."""
    env = {**os.environ, "KKM2_HOME": str(home)}
    target = home / "target"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "test",
            "--select",
            *select,
            "--exclude-resource-type",
            "unit_test",
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(REPO_ROOT / "dbt_project"),
            "--target-path",
            str(target),
            "--log-path",
            str(home / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=home,
    )
    assert (target / "run_results.json").exists(), result.stdout[-3000:]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    outcomes = {}
    for r in json.loads((target / "run_results.json").read_text())["results"]:
        node = nodes[r["unique_id"]]
        key = (node["test_metadata"]["name"], node["attached_node"].split(".")[-1], node.get("column_name"))
        assert key not in outcomes, key
        outcomes[key] = (r["status"], r["failures"])
    return outcomes


def test_planted_duplicates_missing_buildings_and_bad_weights_fail_their_tests(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    con.execute(PLANTED)
    con.close()
    results = _dbt_test(tmp_path, "int_udgifter_bygning", "int_anvendelse_bygning", "bygningsdele")
    models = ("int_udgifter_bygning", "int_anvendelse_bygning")
    assert set(results) == {
        *[(t, m, None) for t in ("unique_key", "relationships_key") for m in models],
        ("unique_key", "bygningsdele", None),
        ("not_null", "bygningsdele", "vaegt"),
        ("sums_to", "bygningsdele", "vaegt"),
    }
    # the grain over several columns: A twice, and the key without its building
    assert results["unique_key", "int_udgifter_bygning", None] == ("fail", 2)
    # a key that is a building of the year: Z, and A of 0147 (the row with no building is the grain's)
    assert results["relationships_key", "int_udgifter_bygning", None] == ("fail", 2)
    assert all(
        results[t, "int_anvendelse_bygning", None] == ("pass", 0) for t in ("unique_key", "relationships_key")
    )
    # the seed's code list and weights
    assert results["unique_key", "bygningsdele", None] == ("fail", 1)
    assert results["sums_to", "bygningsdele", "vaegt"] == ("fail", 1)
    assert results["not_null", "bygningsdele", "vaegt"] == ("pass", 0)
