"""Sessions of the pages for people: a person logs in with a token once, and the browser then carries a
session cookie instead of the token.

The cookie holds only a random session id (256 bits); the store (`<home>/service/sessions.sqlite`) keeps its
SHA-256 with the caller `authenticate` named at login (id, name, municipalities, rights), the session's own
CSRF token and when it ends. The token itself is never stored or put in a cookie. A session ends after
SESSION_HOURS, at logout, or as soon as its token is blocked or expires (checked on every request).

CSRF: every POST form carries the session's CSRF token in a hidden field, and the API accepts the session
cookie only with the same token in the header X-CSRF-Token for anything that changes something. The login form
has no session yet: it is protected by a double-submit cookie (LOGIN_COOKIE, the same random value in the
form). The cookies are HttpOnly and SameSite=Strict, and Secure when the service is reached over https."""

from __future__ import annotations

import secrets
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from pipeline.service import store, tokens
from pipeline.service.tokens import Caller
from pipeline.settings import Home

SESSION_HOURS = 8
COOKIE = "kkm2_session"
LOGIN_COOKIE = "kkm2_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

DDL = """
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,       -- SHA-256 of the cookie's session id
    token_id TEXT NOT NULL,
    navn TEXT NOT NULL,
    kommuner TEXT NOT NULL,
    rettigheder TEXT NOT NULL,
    csrf TEXT NOT NULL,
    slutter REAL NOT NULL        -- epoch seconds
)
"""


def cookie_name(base: str, secure: bool) -> str:
    """`__Host-` binds a Secure cookie to this host and path / (browsers enforce it)."""
    return f"__Host-{base}" if secure else base


def store_path(home: Home) -> Path:
    return store.path(home, "sessions.sqlite")


def _connect(home: Home) -> sqlite3.Connection:
    return store.connect(home, "sessions.sqlite", DDL)


_hash = tokens.token_hash  # a session id is as random as a token: hashed the same way


def start(home: Home, who: Caller) -> str:
    """A new session for `who`: the session id for the cookie (shown to nobody else)."""
    sid = secrets.token_urlsafe(32)
    now = time.time()
    with closing(_connect(home)) as con, con:
        con.execute("DELETE FROM sessions WHERE slutter < ?", [now])
        con.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                _hash(sid),
                who.id,
                who.navn,
                ",".join(sorted(who.kommuner)),
                ",".join(sorted(who.rettigheder)),
                new_csrf(),
                now + SESSION_HOURS * 3600,
            ],
        )
    return sid


def lookup(home: Home, sid: str | None) -> tuple[Caller, str] | None:
    """(the caller, the session's CSRF token) of a live session, or None."""
    if not sid or len(sid) > 100 or not store_path(home).exists():
        return None
    with closing(_connect(home)) as con:
        row = con.execute(
            "SELECT token_id, navn, kommuner, rettigheder, csrf, slutter FROM sessions WHERE hash = ?",
            [_hash(sid)],
        ).fetchone()
    if row is None or row[5] < time.time() or tokens.revoked(home, row[0]):
        return None
    who = Caller(row[0], row[1], frozenset(filter(None, row[2].split(","))), frozenset(row[3].split(",")))
    return who, row[4]


def end(home: Home, sid: str | None) -> None:
    if not sid or not store_path(home).exists():
        return
    with closing(_connect(home)) as con, con:
        con.execute("DELETE FROM sessions WHERE hash = ?", [_hash(sid)])


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def same(given: str | None, expected: str | None) -> bool:
    """A CSRF token check in constant time; a missing one never matches."""
    if not given or not expected:
        return False
    return secrets.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))
