"""Watching the landing folder: which submissions are complete and changed, and should be loaded now.

The logic behind the Dagster sensor (pipeline/defs/sensors.py), tested with real files. A submission is
picked up when its files have been unchanged for a settling interval, or at once when its folder holds a
`.klar` marker. Only files whose size or modification time changed are hashed again, with the load's own
hashes and fingerprint. Each request carries a sequence number from the cursor, so a revert (A → B → A) is
loaded too."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.contract.profiles import Profile
from pipeline.ingest import (
    FileChanged,
    FileHashes,
    Submission,
    discover,
    mass_removal,
    submission_fingerprint,
)
from pipeline.settings import Home
from pipeline.states import LandingOutcome

SETTLE_SECONDS = float(os.environ.get("KKM2_SETTLE_SECONDS", "120"))


@dataclass
class WatchState:
    """The sensor cursor."""

    seq: int = 0
    # "kommunekode/aar" -> fingerprint and file list of the last requested load
    requested: dict[str, str] = field(default_factory=dict)
    requested_files: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_cursor(cls, cursor: str | None) -> WatchState:
        if not cursor:
            return cls()
        data = json.loads(cursor)
        return cls(
            **{k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        )  # an older cursor's too

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


def settled(sub: Submission, hashes: FileHashes, now: float, settle: float) -> bool:
    """Whether every file of a submission has stopped changing: it was hashed as it is now (size and mtime),
    or was last written more than `settle` seconds ago, or the folder has a `.klar` marker."""
    for f in sub.files:
        try:
            st = os.stat(f.path, follow_symlinks=False)
        except FileNotFoundError:  # vanished between listing and stat: look again next tick
            return False
        if not (sub.klar or hashes.remembered(f.path, st) or now - st.st_mtime >= settle):
            return False
    return True


def scan(
    home: Home, state: WatchState, now: float, profiles: list[Profile], settle: float = SETTLE_SECONDS
) -> ScanResult:
    """One look at the landing folder. A submission's fingerprint is the one its load would give it
    (ingest.submission_fingerprint: its files, the import profiles that apply, what was left unread), from
    the hashes the load uses too (ingest.FileHashes: a file read here is archived as it is hashed and not read
    again by the load)."""
    landing = home.landing
    subs, problems = discover(landing)
    messages = [f"{p.path}: {p.besked}" for p in problems]
    decisions: list[Decision] = []
    requested = dict(state.requested)
    requested_files = dict(state.requested_files)
    wanted: dict[str, list[str]] = {}
    seen: set[str] = set()
    hashes = FileHashes(home)
    try:
        for (k, aar), sub in sorted(subs.items()):
            key = f"{k}/{aar}"
            seen.add(key)
            fp = None
            if settled(sub, hashes, now, settle):
                # a file that changes, vanishes or becomes a link while it is read: looked at again later
                with contextlib.suppress(FileChanged):
                    fp = submission_fingerprint(home, sub, profiles, hashes)[0]
            if fp is None:
                decisions.append(
                    Decision(k, aar, LandingOutcome.VENTER, "filer ændrer sig endnu eller er for nye")
                )
                continue
            if requested.get(key) == fp:
                decisions.append(Decision(k, aar, LandingOutcome.UAENDRET))
                continue
            current = sorted(f.relpath for f in sub.files)
            guard = mass_removal(requested_files.get(key, []), current, sub.klar)
            if guard:
                decisions.append(Decision(k, aar, LandingOutcome.VAGT, guard))
                messages.append(f"{key}: {guard}")
                continue
            decisions.append(
                Decision(k, aar, LandingOutcome.AENDRET if key in requested else LandingOutcome.NY)
            )
            requested[key] = fp
            requested_files[key] = current
            wanted.setdefault(k, []).append(key)
    finally:
        hashes.save()
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
    new_state = WatchState(seq, requested, requested_files)
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
