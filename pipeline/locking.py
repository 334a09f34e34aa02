"""One writer per home folder. DuckDB allows one writing process; every writer (a `kkm2 run`, a run launched
by the Dagster daemon, dbt's subprocess inside it, a steward's `kkm2 pin`) takes this lock first. Inside one
process the lock is re-entrant, so `kkm2 run` holds it across the Dagster runs it executes."""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager

from pipeline import progress
from pipeline.settings import Home

_held: dict[str, int] = {}
_guard = threading.Lock()


@contextmanager
def file_lock(path, on_wait=None):
    """An exclusive lock on the file `path` (made if missing) for the `with` block, across processes. A caller
    that has to wait is told first: `on_wait(text)` with what the holder wrote into the file. Yields the open
    file."""
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                f.seek(0)
                on_wait(f.read().strip())
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield f
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


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

    def waiting(holder: str) -> None:
        progress.say(f"Venter på en anden kørsel (proces {holder or '?'}) …")

    with file_lock(home.root / ".writer.lock", on_wait=waiting) as f:
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
