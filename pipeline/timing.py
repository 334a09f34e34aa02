"""Stage timings for the benchmark: `with stage("parse"):` around a step. Off unless KKM2_TIMINGS names a
file; then each stage's interval and its exclusive time (nested stages subtracted) is appended as a JSON
line, so `make bench` can attribute wall time and sampled memory to archive, parse, gate 1, dbt, gates,
publish and report."""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager

_local = threading.local()
_lock = threading.Lock()


@contextmanager
def stage(name: str):
    path = os.environ.get("KKM2_TIMINGS")
    if not path:
        yield
        return
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    frame = {"name": name, "start": time.time(), "inner": 0.0}
    stack.append(frame)
    try:
        yield
    finally:
        end = time.time()
        stack.pop()
        total = end - frame["start"]
        if stack:
            stack[-1]["inner"] += total
        line = {
            "stage": name,
            "start": frame["start"],
            "end": end,
            "exclusive": total - frame["inner"],
            "pid": os.getpid(),
        }
        with _lock, open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
