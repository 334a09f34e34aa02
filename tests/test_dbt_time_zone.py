"""The dbt build, with every formula's unit test, gives the same answers whatever the operating system's
time zone is: every connection sets Europe/Copenhagen itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.reference import load_reference
from pipeline.settings import REPO_ROOT, connect
from pipeline.warehouse import ensure_schema


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Europe/Copenhagen"])
def test_dbt_unit_tests_pass_in_any_os_time_zone(tmp_path, tz):
    con = connect(tmp_path / "warehouse.duckdb")
    ensure_schema(con)
    load_reference(con, tmp_path / "reference", tmp_path / "tmp")
    con.close()
    env = {**os.environ, "TZ": tz, "KKM2_HOME": str(tmp_path)}
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "build",
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(REPO_ROOT / "dbt_project"),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    unit = re.search(r"(\d+) unit tests?", result.stdout)
    assert unit and int(unit.group(1)) >= 19, result.stdout[-1500:]
