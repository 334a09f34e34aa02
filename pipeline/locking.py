"""One writer per home folder. DuckDB allows one writing process; every writer (a `kkm2 run`, a run launched
by the Dagster daemon, dbt's subprocess inside it, a steward's `kkm2 pin`) takes this lock first. Inside one
process the lock is re-entrant, so `kkm2 run` holds it across the Dagster runs it executes."""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from contextlib import contextmanager

from pipeline.settings import Home

_held: dict[str, int] = {}
_guard = threading.Lock()


@contextmanager
def writer_lock(home: Home):
    """Wait for the home's writer lock (telling the user whom we wait for), hold it, release it."""
    key = str(home.root)
    with _guard:
        if _held.get(key):
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[key] -= 1
        return
    home.root.mkdir(parents=True, exist_ok=True)
    with open(home.root / ".writer.lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            print(
                f"Venter på en anden kørsel (proces {f.read().strip() or '?'}) …", file=sys.stderr, flush=True
            )
            fcntl.flock(f, fcntl.LOCK_EX)
        with _guard:
            _held[key] = 1
        try:
            f.seek(0)
            f.truncate()
            f.write(str(os.getpid()))
            f.flush()
            yield
        finally:
            with _guard:
                _held[key] = 0
            fcntl.flock(f, fcntl.LOCK_UN)


def running_writer(home: Home) -> str | None:
    """The pid of another process holding the lock right now (never waits)."""
    lock = home.root / ".writer.lock"
    if not lock.exists() or _held.get(str(home.root)):
        return None
    with open(lock) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return f.read().strip() or "?"
        fcntl.flock(f, fcntl.LOCK_UN)
    return None
