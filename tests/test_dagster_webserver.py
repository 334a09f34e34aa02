"""`make dev`'s configuration, for real: the Dagster webserver serves the kkm2 definitions, and its GraphQL API
shows the asset graph, the landing sensor, the build sensor and the nightly schedule."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

QUERY = """
{
  assetNodes { assetKey { path } groupName }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        jobs { name }
        sensors { name minIntervalSeconds sensorState { status } }
        schedules { name cronSchedule executionTimezone scheduleState { status } }
      }
    }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture
def webserver(tmp_path):
    port = free_port()
    home = tmp_path / "home"
    env = {
        **os.environ,
        "KKM2_HOME": str(home),
        "KKM2_DAGSTER_DIR": str(home / "dagster"),
        "DAGSTER_HOME": str(REPO / "dagster_home"),
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
    }
    (home / "dagster").mkdir(parents=True)
    log = open(tmp_path / "dagster_dev.log", "w")  # noqa: SIM115 (closed in finally)
    # the same command as `make dev` (dagster dev: webserver and daemon), on a free port
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-m", "pipeline.definitions", "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(
                        "dagster dev did not start: " + (tmp_path / "dagster_dev.log").read_text()[-3000:]
                    )
                time.sleep(1)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_the_webserver_serves_the_asset_graph_sensors_and_schedules(webserver):
    data = graphql(webserver, QUERY)
    assert "errors" not in data, data
    data = data["data"]
    keys = {"/".join(n["assetKey"]["path"]) for n in data["assetNodes"]}
    assert {"raw/bygninger", "raw/forbrug", "marts/mart_noegletal_bygning", "release/current"} <= keys
    assert {"reference/befolkning", "staging/stg_raw__bygninger"} <= keys
    [repo] = data["repositoriesOrError"]["nodes"]
    assert {"ingest", "build"} <= {j["name"] for j in repo["jobs"]}
    sensors = {s["name"]: s for s in repo["sensors"]}
    assert set(sensors) == {"landing_sensor", "build_on_new_data"}
    assert sensors["landing_sensor"]["sensorState"]["status"] == "RUNNING"
    [schedule] = repo["schedules"]
    assert schedule["name"] == "natlig_build"
    assert schedule["cronSchedule"] == "0 2 * * *"
    assert schedule["executionTimezone"] == "Europe/Copenhagen"
    assert schedule["scheduleState"]["status"] == "RUNNING"
