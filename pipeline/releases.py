"""The releases of a home folder: listing them, freezing one as a year's official release, and reading the
current one with SQL. Releases are immutable; a freeze is recorded beside them, never inside one."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from pipeline.settings import Home, connect

OFFICIAL = "officielle.json"
# A release id as pipeline.publish.new_release_id makes them (20261128T101500123Z); the only names opened.
RELEASE_ID = re.compile(r"\d{8}T\d{9}Z")


class ReleaseError(Exception):
    """A Danish message: the request was refused and nothing changed."""


def list_releases(home: Home) -> list[dict]:
    """Every complete release, oldest first, with its manifest summary, official name and current flag."""
    current = home.current.resolve().name if home.current.exists() else None
    official: dict[str, list[str]] = {}  # a release may be official under several names
    for name, v in sorted(read_official(home).items()):
        official.setdefault(v["release_id"], []).append(name)
    out = []
    if not home.releases.exists():
        return out
    for folder in sorted(home.releases.iterdir()):
        manifest = folder / "_manifest.json"
        if folder.name.startswith(".") or not manifest.exists():
            continue  # a release being written, or not a release
        m = json.loads(manifest.read_text(encoding="utf-8"))
        out.append(
            {
                "release_id": folder.name,
                "build_time": m.get("build_time"),
                "code_version": m.get("code_version"),
                "modelsaet": (m.get("modelsaet") or {}).get("id"),
                "rows": sum(t["rows"] for t in m["tables"].values()),
                "kommuner": len(m.get("kommuner", {})),
                "officiel": ", ".join(official.get(folder.name, [])) or None,
                "aktuel": folder.name == current,
            }
        )
    return out


def read_official(home: Home) -> dict:
    p = home.releases / OFFICIAL
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def freeze(home: Home, release_id: str, name: str, user: str) -> dict:
    """Record `release_id` as the official release `name` (e.g. "2024"). A name is given once."""
    if release_folder(home, release_id) is None:
        raise ReleaseError(f"Udgivelsen {release_id} findes ikke (se `kkm2 releases`).")
    official = read_official(home)
    if name in official and official[name]["release_id"] != release_id:
        raise ReleaseError(
            f"'{name}' er allerede den officielle udgivelse {official[name]['release_id']}; vælg et andet navn."
        )
    official[name] = {"release_id": release_id, "frosset_af": user, "tid": datetime.now(UTC).isoformat()}
    tmp = home.releases / f".{OFFICIAL}.{os.getpid()}"
    tmp.write_text(json.dumps(official, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, home.releases / OFFICIAL)
    return official[name]


def resolve(home: Home, release: str | None) -> Path:
    """A release folder: the current one, an id, or an official name. Only a release directly under
    `releases/` is ever opened: a path (`../x`, `/tmp/x`, a link out of the folder) is refused."""
    if not release:
        if not home.current.exists():
            raise ReleaseError("Der er ingen aktuel udgivelse endnu (kør `kkm2 run`).")
        return home.current.resolve()
    official = read_official(home)
    rid = official[release]["release_id"] if release in official else release
    folder = release_folder(home, str(rid))
    if folder is None:
        raise ReleaseError(
            f"Udgivelsen '{release}' findes ikke; angiv en udgivelses id eller officielle navn (se `kkm2 releases`)."
        )
    return folder


def release_folder(home: Home, release_id: str) -> Path | None:
    """The folder of a release id directly under `releases/`, or None: not an id, not there, or a link."""
    if not RELEASE_ID.fullmatch(release_id):
        return None
    folder = home.releases / release_id
    if folder.is_symlink() or not (folder / "_manifest.json").is_file():
        return None
    return folder if folder.resolve().parent == home.releases.resolve() else None


def open_release(folder: Path):
    """A read-only SQL connection to a release: no writes, no files read or written outside it."""
    con = connect(folder / "warehouse.duckdb", read_only=True)
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con
