"""The steward's API tokens and the one function that checks a caller (`authenticate`).

A token is `kkm2_` + 43 characters of `secrets.token_urlsafe(32)` (256 random bits). It is shown once, when it
is made; the store keeps only its SHA-256 (a slow password hash buys nothing for 256 random bits) in
`<home>/service/tokens.sqlite`, with its id, name, municipalities, rights, expiry date and whether it is
blocked. A municipality's token names one municipality; a vendor's token a list of them.

OIDC seam: `authenticate(home, authorization) -> Caller` is the only place a request's identity is decided.
The app takes it as a parameter (`create_app(home, authenticate=...)`); a deployment behind the public
sector's login brokers replaces it with a function that verifies the broker's OIDC access token (issuer,
audience, signature, expiry) and maps its claims to a `Caller` with the same fields. Nothing else changes."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.service import store
from pipeline.settings import TIME_ZONE, Home

PREFIX = "kkm2_"
RIGHTS = {"indberet": "upload, slet og meld klar", "laes": "læs status og udgivelser"}

DDL = """
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    navn TEXT NOT NULL,
    kommuner TEXT NOT NULL,      -- comma list of kommunekoder
    rettigheder TEXT NOT NULL,   -- comma list of RIGHTS
    oprettet TEXT NOT NULL,
    udloeber TEXT,               -- last day the token works (ISO date), or NULL
    spaerret TEXT                -- when it was blocked, or NULL
)
"""


class TokenError(Exception):
    """A Danish message for the steward (an unknown id, a past expiry date)."""


class AuthError(Exception):
    """Why a request has no caller: a stable code and a Danish message (HTTP 401)."""

    def __init__(self, kode: str, besked: str):
        super().__init__(besked)
        self.kode = kode
        self.besked = besked


@dataclass(frozen=True)
class Caller:
    """Who is calling: what `authenticate` returns and the API's access checks read."""

    id: str
    navn: str
    kommuner: frozenset[str]
    rettigheder: frozenset[str]


@dataclass(frozen=True)
class TokenInfo:
    id: str
    navn: str
    kommuner: tuple[str, ...]
    rettigheder: tuple[str, ...]
    oprettet: str
    udloeber: str | None
    spaerret: str | None

    @property
    def udloebet(self) -> bool:
        return self.udloeber is not None and today() > date.fromisoformat(self.udloeber)


def today() -> date:
    return datetime.now(ZoneInfo(TIME_ZONE)).date()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def store_path(home: Home) -> Path:
    return store.path(home, "tokens.sqlite")


def _connect(home: Home) -> sqlite3.Connection:
    return store.connect(home, "tokens.sqlite", DDL)


def create(
    home: Home, navn: str, kommuner: list[str], rettigheder: list[str], udloeber: date | None = None
) -> tuple[str, TokenInfo]:
    """A new token: (the secret, shown once; what is stored). Checks nothing about the past: the CLI does."""
    if not kommuner:
        raise TokenError("Et token skal gælde mindst én kommune (--kommune).")
    unknown = [r for r in rettigheder if r not in RIGHTS]
    if unknown or not rettigheder:
        raise TokenError(
            f"Ukendt rettighed: {', '.join(unknown) or '(ingen)'}; vælg blandt {', '.join(RIGHTS)}."
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    info = TokenInfo(
        id="t" + secrets.token_hex(4),
        navn=navn,
        kommuner=tuple(sorted(set(kommuner))),
        rettigheder=tuple(r for r in RIGHTS if r in rettigheder),
        oprettet=datetime.now(ZoneInfo(TIME_ZONE)).isoformat(timespec="seconds"),
        udloeber=udloeber.isoformat() if udloeber else None,
        spaerret=None,
    )
    with closing(_connect(home)) as con, con:
        con.execute(
            "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            [
                info.id,
                token_hash(secret),
                info.navn,
                ",".join(info.kommuner),
                ",".join(info.rettigheder),
                info.oprettet,
                info.udloeber,
            ],
        )
    return secret, info


def _info(row) -> TokenInfo:
    id_, navn, kommuner, rettigheder, oprettet, udloeber, spaerret = row
    return TokenInfo(
        id_, navn, tuple(kommuner.split(",")), tuple(rettigheder.split(",")), oprettet, udloeber, spaerret
    )


COLUMNS = "id, navn, kommuner, rettigheder, oprettet, udloeber, spaerret"


def list_tokens(home: Home) -> list[TokenInfo]:
    if not store_path(home).exists():
        return []
    with closing(_connect(home)) as con:
        return [_info(r) for r in con.execute(f"SELECT {COLUMNS} FROM tokens ORDER BY oprettet, id")]


def block(home: Home, token_id: str) -> TokenInfo:
    """Block a token for good (it answers 401 from the next request on)."""
    with closing(_connect(home)) as con, con:
        row = con.execute(f"SELECT {COLUMNS} FROM tokens WHERE id = ?", [token_id]).fetchone()
        if row is None:
            raise TokenError(f"Der er intet token med id '{token_id}' (se `kkm2 token liste`).")
        if row[6] is None:
            when = datetime.now(ZoneInfo(TIME_ZONE)).isoformat(timespec="seconds")
            con.execute("UPDATE tokens SET spaerret = ? WHERE id = ?", [when, token_id])
            row = (*row[:6], when)
    return _info(row)


def revoked(home: Home, token_id: str) -> bool:
    """Whether a token of the store has been blocked or has expired since a session was started with it (a
    caller from elsewhere, such as an OIDC broker, is not in the store: False)."""
    if not store_path(home).exists():
        return False
    with closing(_connect(home)) as con:
        row = con.execute(f"SELECT {COLUMNS} FROM tokens WHERE id = ?", [token_id]).fetchone()
    if row is None:
        return False
    info = _info(row)
    return bool(info.spaerret) or info.udloebet


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(home: Home, authorization: str | None) -> Caller:
    """THE token check (the OIDC seam, see the module's text): the caller of a request's `Authorization:
    Bearer …` header, or AuthError. Looks the token up by its hash; a blocked or expired token is refused."""
    token = bearer(authorization)
    if token is None:
        raise AuthError(
            "TOKEN_MANGLER", "Der mangler et token: send headeren 'Authorization: Bearer <token>'."
        )
    if len(token) > 200 or not store_path(home).exists():
        raise AuthError("UGYLDIGT_TOKEN", "Tokenet er ikke gyldigt.")
    with closing(_connect(home)) as con:
        row = con.execute(f"SELECT {COLUMNS} FROM tokens WHERE hash = ?", [token_hash(token)]).fetchone()
    if row is None:
        raise AuthError("UGYLDIGT_TOKEN", "Tokenet er ikke gyldigt.")
    info = _info(row)
    if info.spaerret:
        raise AuthError("TOKEN_SPAERRET", "Tokenet er spærret af stewarden; bed om et nyt.")
    if info.udloebet:
        raise AuthError("TOKEN_UDLOEBET", f"Tokenet udløb {info.udloeber}; bed stewarden om et nyt.")
    return Caller(info.id, info.navn, frozenset(info.kommuner), frozenset(info.rettigheder))
