"""Every request to the service, audited: who (token id and name), what (method, path, municipality, year),
when, and the result (HTTP status and error code), in `<home>/service/audit.sqlite`.

It is a SQLite file in the home and not the warehouse's `audit` schema: the service never writes the DuckDB
warehouse (one writing process, the pipeline's). The steward reads it with `sqlite3` or DuckDB's sqlite
reader: `SELECT * FROM sqlite_scan('<home>/service/audit.sqlite', 'requests')`."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.service import store
from pipeline.settings import TIME_ZONE, Home

DDL = """
CREATE TABLE IF NOT EXISTS requests (
    tid TEXT NOT NULL,           -- when the request arrived (Danish time, ISO 8601)
    token_id TEXT,               -- NULL: no valid token
    navn TEXT,
    metode TEXT NOT NULL,
    sti TEXT NOT NULL,
    kommunekode TEXT,
    aar INTEGER,
    status INTEGER NOT NULL,     -- the HTTP status answered (0: the client went away first)
    fejlkode TEXT,               -- the stable error code, if any
    bytes_modtaget INTEGER,
    klient TEXT,
    varighed_ms INTEGER
)
"""

_lock = threading.Lock()


def audit_path(home: Home) -> Path:
    return store.path(home, "audit.sqlite")


def _connect(home: Home) -> sqlite3.Connection:
    return store.connect(home, "audit.sqlite", DDL)


def record(home: Home, row: dict) -> None:
    row = {"tid": datetime.now(ZoneInfo(TIME_ZONE)).isoformat(timespec="milliseconds"), **row}
    cols = ", ".join(row)
    with _lock, closing(_connect(home)) as con, con:
        con.execute(f"INSERT INTO requests ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def read(home: Home) -> list[dict]:
    if not audit_path(home).exists():
        return []
    with closing(_connect(home)) as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM requests ORDER BY rowid")]
