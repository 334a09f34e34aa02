"""The service's own SQLite files in `<home>/service/` (tokens, sessions, audit): never the DuckDB warehouse,
whose one writer is the pipeline."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.settings import Home


def path(home: Home, name: str) -> Path:
    return home.root / "service" / name


def connect(home: Home, name: str, ddl: str) -> sqlite3.Connection:
    """A connection to `<home>/service/<name>` (WAL: readers never wait for the writer), its tables made."""
    p = path(home, name)
    p.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(p, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(ddl)
    return con
