"""Watching the landing folder: which submissions are complete and changed, and should be loaded now.

Pure logic behind the Dagster sensor (pipeline/defs/sensors.py), tested with real files. A submission is
picked up when its files have been unchanged for a settling interval, or at once when its folder holds a
`.klar` marker. Only files whose size or modification time changed are hashed again. Each request carries a
sequence number from the cursor, so a revert (A → B → A) is loaded too."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ingest import discover, mass_removal, sha256_file
from pipeline.states import LandingOutcome

SETTLE_SECONDS = float(os.environ.get("KKM2_SETTLE_SECONDS", "120"))


@dataclass
class WatchState:
    """The sensor cursor."""

    seq: int = 0
    # path below landing/ -> [size, mtime_ns, sha256 or None while the file is still settling]
    files: dict[str, list] = field(default_factory=dict)
    # "kommunekode/aar" -> fingerprint and file list of the last requested load
    requested: dict[str, str] = field(default_factory=dict)
    requested_files: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_cursor(cls, cursor: str | None) -> WatchState:
        return cls(**json.loads(cursor)) if cursor else cls()

    def to_cursor(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)


@dataclass
class Decision:
    kommunekode: str
    aar: int
    kind: LandingOutcome
    detail: str = ""


@dataclass
class ScanResult:
    state: WatchState
    decisions: list[Decision]
    requests: list[tuple[str, str]]  # (kommunekode partition, run_key)
    messages: list[str]  # Danish, for the steward


def scan(
    landing: Path, state: WatchState, now: float, settle: float = SETTLE_SECONDS, extra: str = ""
) -> ScanResult:
    """One look at the landing folder. `extra` is folded into every fingerprint (the import profiles), so a
    changed profile asks for the submissions to be loaded again."""
    subs, problems = discover(landing)
    messages = [f"{p.path}: {p.besked}" for p in problems]
    files: dict[str, list] = {}
    decisions: list[Decision] = []
    requested = dict(state.requested)
    requested_files = dict(state.requested_files)
    wanted: dict[str, list[str]] = {}
    seen: set[str] = set()
    for (k, aar), sub in sorted(subs.items()):
        key = f"{k}/{aar}"
        seen.add(key)
        settled, entries = True, []
        for f in sub.files:
            try:
                st = os.stat(f.path, follow_symlinks=False)
            except FileNotFoundError:  # vanished between listing and stat: look again next tick
                settled = False
                continue
            rel = f.path.relative_to(landing).as_posix()
            prev = state.files.get(rel)
            if prev and prev[0] == st.st_size and prev[1] == st.st_mtime_ns and prev[2]:
                sha = prev[2]
            elif now - st.st_mtime < settle and not sub.klar:
                files[rel] = [st.st_size, st.st_mtime_ns, None]  # still being written, perhaps
                settled = False
                continue
            else:
                try:
                    sha = sha256_file(f.path, landing)
                except OSError:  # replaced by a link or removed since it was listed: look again next tick
                    settled = False
                    continue
            files[rel] = [st.st_size, st.st_mtime_ns, sha]
            entries.append(f"{f.relpath}\t{sha}")
        if not settled:
            decisions.append(
                Decision(k, aar, LandingOutcome.VENTER, "filer ændrer sig endnu eller er for nye")
            )
            continue
        fp = hashlib.sha256("\n".join(sorted(entries) + [extra]).encode()).hexdigest()
        if requested.get(key) == fp:
            decisions.append(Decision(k, aar, LandingOutcome.UAENDRET))
            continue
        current = sorted(f.relpath for f in sub.files)
        guard = mass_removal(requested_files.get(key, []), current, sub.klar)
        if guard:
            decisions.append(Decision(k, aar, LandingOutcome.VAGT, guard))
            messages.append(f"{key}: {guard}")
            continue
        decisions.append(Decision(k, aar, LandingOutcome.AENDRET if key in requested else LandingOutcome.NY))
        requested[key] = fp
        requested_files[key] = current
        wanted.setdefault(k, []).append(key)
    for key in sorted(set(requested) - seen):
        k, aar = key.split("/")
        decisions.append(Decision(k, int(aar), LandingOutcome.FORSVUNDET))
        messages.append(
            f"{key}: mappen er forsvundet fra landing/; den indlæste version er uændret. Er drevet monteret?"
        )
    if state.requested and not subs:
        messages.append(
            f"landing/ ({landing}) er tom eller findes ikke: intet er ændret. Er drevet monteret?"
        )
    seq = state.seq
    runs = []
    for k in sorted(wanted):
        seq += 1
        runs.append((k, f"{k}-{seq}"))
    new_state = WatchState(seq, files, requested, requested_files)
    return ScanResult(new_state, decisions, runs, messages)


def folder_fingerprint(folder: Path) -> str:
    """Cheap fingerprint of a folder's files (names, sizes, modification times)."""
    h = hashlib.sha256()
    if folder.exists():
        for p in sorted(folder.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                st = p.stat()
                h.update(f"{p.relative_to(folder)}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    return h.hexdigest()
