"""A submission's folder on disk: which years it may be for, which files in it are read, and how they are
opened. Nothing outside a submission's own folder is ever read: no symbolic link is followed (to a file or a
folder, wherever it points), special files (pipes, devices) are not opened, and a landing file is opened
folder by folder with O_NOFOLLOW, so one swapped for a link after it was listed is refused.

Light on purpose: `kkm2 validate` (the contributors' validator) walks folders with the same rules."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.settings import TIME_ZONE, Home
from pipeline.validation import SubmissionFile

# Kloge Kommunale Kvadratmeter began in 2017; municipalities may deliver a few earlier years for their trends.
FIRST_YEAR = 2010


@dataclass(frozen=True)
class Years:
    """The collaboration's years: a submission for any other year is rejected and never loaded or published.
    They are the participant list's years (reference/deltagere*.csv) when there is one, else the configured
    range KKM2_AAR_FRA–KKM2_AAR_TIL (2010 to the current year); never a year that has not begun."""

    allowed: frozenset[int]
    source: str  # Danish, for the finding

    @classmethod
    def configured(cls) -> Years:
        now = datetime.now(ZoneInfo(TIME_ZONE)).year
        first = int(os.environ.get("KKM2_AAR_FRA") or FIRST_YEAR)
        last = min(int(os.environ.get("KKM2_AAR_TIL") or now), now)
        return cls(frozenset(range(first, last + 1)), f"{first}–{last}")

    @classmethod
    def for_home(cls, home: Home) -> Years:
        from pipeline.reference import participant_years

        listed = participant_years(home.reference, home.tmp / "deltagere")
        now = datetime.now(ZoneInfo(TIME_ZONE)).year
        listed = {y for y in listed if y <= now}
        if not listed:
            return cls.configured()
        return cls(frozenset(listed), f"deltagerlistens år: {', '.join(str(y) for y in sorted(listed))}")

    def problem(self, aar: int) -> str | None:
        if aar in self.allowed:
            return None
        return (
            f"Årstallet {aar} er ikke et af samarbejdets år ({self.source}); indberetningen er afvist og "
            "bliver hverken indlæst eller udgivet. Læg filerne i mappen for det rigtige år."
        )


def list_entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def is_hidden(name: str) -> bool:
    """Dot files (`.klar`, `.DS_Store`) and Office's lock files (`~$bygninger.xlsx`) are not submitted files."""
    return name.startswith(".") or name.startswith("~$")


def link_text(entry: os.DirEntry, landing: Path) -> str:
    """What a symbolic link points at, for the steward's message."""
    try:
        target = Path(os.path.realpath(entry.path))
    except OSError:
        return "et ukendt sted"
    try:
        rel = target.relative_to(landing.resolve())
        return f"landing/{rel.as_posix()}"
    except ValueError:
        return f"{target} uden for landing/"


def walk(folder: Path, landing: Path | None = None, parts: tuple[str, ...] = ()):
    """The files below a submission folder, without following any link. Returns (files, ignored, problems):
    the SubmissionFiles to read; (relpath, Danish reason) for each entry not read (a warning for the
    contributor); and (path, Danish text) for the steward, naming where each link points."""
    files: list[SubmissionFile] = []
    ignored: list[tuple[str, str]] = []
    problems: list[tuple[str, str]] = []
    _walk(folder, landing or folder, parts, "", files, ignored, problems)
    return files, ignored, problems


def _walk(folder, landing, parts, rel, files, ignored, problems) -> None:
    for e in list_entries(folder / rel if rel else folder):
        if is_hidden(e.name):
            continue
        relpath = f"{rel}/{e.name}" if rel else e.name
        where = "/".join((*parts, relpath))
        if e.is_symlink():
            ignored.append(
                (
                    relpath,
                    f"'{relpath}' er et symbolsk link og er ikke læst: kun filer, der ligger i indberetningens egen "
                    "mappe, læses. Læg selve filen i mappen.",
                )
            )
            problems.append((where, f"symbolsk link (til {link_text(e, landing)}); det er ikke fulgt."))
        elif e.is_dir(follow_symlinks=False):
            _walk(folder, landing, parts, relpath, files, ignored, problems)
        elif e.is_file(follow_symlinks=False):
            files.append(SubmissionFile(Path(e.path), relpath))
        else:
            ignored.append(
                (
                    relpath,
                    f"'{relpath}' er ikke en almindelig fil (fx en pipe eller en enhed) og er ikke læst.",
                )
            )
            problems.append((where, "ikke en almindelig fil; ikke læst."))


def open_below(root: Path, path: Path) -> int:
    """A file below `root` opened for reading without following a link anywhere on the way (each folder is
    opened with O_NOFOLLOW relative to the one before): a file or folder swapped for a link after it was
    listed is refused. Returns a file descriptor; raises OSError (also for anything but a regular file)."""
    parts = path.relative_to(root).parts
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for part in parts[:-1]:
            nxt = os.open(part, flags | getattr(os, "O_DIRECTORY", 0), dir_fd=fd)
            os.close(fd)
            fd = nxt
        file_fd = os.open(parts[-1], flags | getattr(os, "O_NONBLOCK", 0), dir_fd=fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(file_fd).st_mode):
        os.close(file_fd)
        raise OSError(f"{path} er ikke en almindelig fil")
    return file_fd


def read_chunks(root: Path | None, path: Path):
    fd = open_below(root, path) if root is not None else os.open(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as f:
        while chunk := f.read(1 << 20):
            yield chunk
