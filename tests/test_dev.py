"""`make dev` (pipeline/dev.py): the Dagster UI answers on loopback, and Ctrl-C stops it and every process it
started within seconds (on its own, `dagster dev` took ~40 s)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil

from pipeline.dev import DEV_STOP_S
from pipeline.settings import REPO_ROOT, Home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_ctrl_c_stops_the_dagster_ui_and_all_its_processes_at_once(tmp_path):
    home = Home(tmp_path / "home").ensure()
    port = free_port()
    env = {
        **os.environ,
        "KKM2_HOME": str(home.root),
        "KKM2_DAGSTER_DIR": str(home.dagster),
        "DAGSTER_HOME": str(REPO_ROOT / "dagster_home"),
    }
    log = (tmp_path / "dev.log").open("w")
    p = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.dev",
            "-m",
            "pipeline.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO_ROOT,
    )
    try:
        deadline, answered = time.monotonic() + 240, False
        while time.monotonic() < deadline and p.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as r:
                    answered = r.status == 200
                    break
            except OSError:
                time.sleep(1)
        assert answered, (tmp_path / "dev.log").read_text()[-3000:]
        started = descendants(p.pid)
        assert len(started) >= 3  # dagster dev, its webserver and its daemon (and their code servers)

        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends the command
        rc = p.wait(timeout=DEV_STOP_S + 15)
        stopped_in = time.monotonic() - t0
        assert rc == 0
        assert stopped_in < DEV_STOP_S + 5, stopped_in
        gone, alive = psutil.wait_procs(started, timeout=5)
        assert not [q for q in alive if q.status() != psutil.STATUS_ZOMBIE], alive
        with socket.socket() as s:  # nothing listens on the port any more (its closed connections may linger)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
        assert "Dagster er stoppet" in (tmp_path / "dev.log").read_text()
    finally:
        if p.poll() is None:
            for q in descendants(p.pid):
                q.kill()
            p.kill()
        log.close()
