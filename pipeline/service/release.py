"""Who may read which file of the current release (ARCHITECTURE.md, principle 9), for the API
(`/api/v1/udgivelser/aktuel/…`) and the report (`/rapport/…`): one rule, `release_file`.

A path is relative to the release's root (`<home>/current/`), and its first parts name its area:

  exports/…, offentlig/…, report/…, docs/…,            national: every caller with the right `laes`
  quality/nationalt/…, quality/static/…
  kommuner/<kode>/…, quality/<kode>/…                  that municipality's own: only a caller for <kode>
  anything else (warehouse.duckdb with every building,  nobody (404)
  _manifest.json, quality/_resultater.json, …)

Every path is hostile: an empty, `.` or `..` part, a dot name, a backslash or a control character is refused
before the disk is looked at. The path is then resolved (every symbolic link followed) and must still lie
inside the release, be a regular file and be in an area the caller may read — so a link inside
`kommuner/0101/` that points at `kommuner/0147/` or out of the release is refused like the path itself."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.settings import Home

NATIONAL_FOLDERS = ("exports", "offentlig", "report", "docs")
NATIONAL_QUALITY = ("nationalt", "static")
OWN_FOLDERS = ("kommuner", "quality")
KODE = re.compile(r"[0-9]{4}")
BAD_PART = re.compile(r"[\x00-\x1f\x7f\\]")
MAX_PATH = 1000
NATIONAL = "nationalt"


@dataclass(frozen=True)
class Refusal(Exception):
    """Why a file is not served: HTTP status, a stable code and a Danish message."""

    status: int
    kode: str
    besked: str


NOT_FOUND = Refusal(404, "FIL_FINDES_IKKE", "Udgivelsen har ingen sådan fil, som du kan læse.")


def parts_of(sti: str) -> list[str]:
    """The parts of a release-relative path, or Refusal: nothing that could leave the folder or hide."""
    if not sti or len(sti) > MAX_PATH:
        raise NOT_FOUND
    parts = sti.split("/")
    for p in parts:
        if (
            p in ("", ".", "..")
            or p.startswith(".")
            or BAD_PART.search(p)
            or len(p.encode("utf-8", "replace")) > 255
        ):
            raise Refusal(
                422, "UGYLDIG_STI", "Stien må ikke indeholde tomme dele, '.', '..', punktumnavne eller \\."
            )
    return parts


def area(parts: list[str]) -> str | None:
    """NATIONAL, a kommunekode (that municipality's own), or None (not served)."""
    if len(parts) >= 2 and parts[0] in NATIONAL_FOLDERS:
        return NATIONAL
    if len(parts) >= 3 and parts[0] == "quality" and parts[1] in NATIONAL_QUALITY:
        return NATIONAL
    if len(parts) >= 3 and parts[0] in OWN_FOLDERS and KODE.fullmatch(parts[1]):
        return parts[1]
    return None


def check_area(where: str | None, kommuner: frozenset[str]) -> None:
    if where is None:
        raise NOT_FOUND
    if where != NATIONAL and where not in kommuner:
        raise Refusal(403, "INGEN_ADGANG_TIL_KOMMUNE", f"Du har ikke adgang til kommune {where}s filer.")


def release_root(home: Home) -> Path:
    """The current release's folder, resolved; Refusal when there is none (or it is not under releases/)."""
    releases = Path(os.path.realpath(home.releases))
    root = Path(os.path.realpath(home.current))
    if not home.current.is_symlink() or not root.is_dir() or root.parent != releases:
        raise Refusal(404, "INGEN_UDGIVELSE", "Der er endnu ingen udgivelse.")
    return root


def release_file(home: Home, sti: str, kommuner: frozenset[str]) -> Path:
    """The file `sti` of the current release if a caller for `kommuner` may read it, resolved; else Refusal."""
    parts = parts_of(sti)
    check_area(area(parts), kommuner)
    root = release_root(home)
    real = Path(os.path.realpath(root.joinpath(*parts)))
    if not real.is_relative_to(root) or real == root:
        raise NOT_FOUND
    real_parts = list(real.relative_to(root).parts)
    if any(p.startswith(".") for p in real_parts):
        raise NOT_FOUND
    check_area(area(real_parts), kommuner)  # a link may not lead into another area
    if not real.is_file():
        raise NOT_FOUND
    return real


def listing(home: Home, kommuner: frozenset[str]) -> tuple[str, list[dict]]:
    """(release id, the tables and feedback a caller for `kommuner` may read): exports/, offentlig/ and each of
    its municipalities' kommuner/<kode>/, one level deep, regular files only."""
    root = release_root(home)
    folders = ["exports", "offentlig"] + [f"kommuner/{k}" for k in sorted(kommuner)]
    files = []
    for folder in folders:
        d = root / folder
        if d.is_symlink() or not d.is_dir():
            continue
        for e in sorted(os.scandir(d), key=lambda e: e.name):
            if e.name.startswith(".") or not e.is_file(follow_symlinks=False):
                continue
            files.append({"sti": f"{folder}/{e.name}", "bytes": e.stat(follow_symlinks=False).st_size})
    return root.name, files
