"""Where a deployment's files live (KKM2_HOME) and how every DuckDB connection is opened."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
# In the repository (and an editable install) the seeds are beside the package; a plain install (the light
# validator for contributors and vendors) carries them as data files under <prefix>/share/kkm2/seeds.
SEEDS_DIR = (
    REPO_ROOT / "seeds" if (REPO_ROOT / "seeds").is_dir() else Path(sys.prefix) / "share" / "kkm2" / "seeds"
)
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DAGSTER_HOME_DIR = REPO_ROOT / "dagster_home"
TIME_ZONE = "Europe/Copenhagen"

# DuckDB's default memory limit is 80 % of RAM; kkm2 sets it explicitly everywhere.
DUCKDB_MEMORY_LIMIT = os.environ.get("KKM2_DUCKDB_MEMORY_LIMIT", "4GB")
DUCKDB_THREADS = int(os.environ.get("KKM2_DUCKDB_THREADS", "2"))


@dataclass(frozen=True)
class Home:
    """The folder a deployment owns (ARCHITECTURE.md, 'The home folder')."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def dagster(self) -> Path:
        return self.root / "dagster"

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def logs(self) -> Path:
        """`kkm2 run`'s logs: dbt's, GX's and Dagster's own output."""
        return self.root / "logs"

    def ensure(self) -> Home:
        for p in (self.landing, self.reference, self.archive, self.dagster, self.releases, self.tmp):
            p.mkdir(parents=True, exist_ok=True)
        return self


def home_from_env(explicit: str | os.PathLike | None = None) -> Home:
    """The home folder: the explicit argument, else KKM2_HOME, else ./kkm2_home."""
    root = Path(explicit or os.environ.get("KKM2_HOME") or "kkm2_home").resolve()
    return Home(root)


def activate(home: Home) -> Home:
    """Point the environment (dbt profile, Dagster instance) at this home."""
    home.ensure()
    os.environ["KKM2_HOME"] = str(home.root)
    os.environ["KKM2_DAGSTER_DIR"] = str(home.dagster)
    os.environ["DAGSTER_HOME"] = str(DAGSTER_HOME_DIR)
    # dbt (run by dagster-dbt as a subprocess) comes from the same environment as this Python.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    return home


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False, tmp_dir: Path | None = None):
    """Open DuckDB the kkm2 way: Danish time zone, explicit memory limit, threads and temp folder."""
    con = duckdb.connect(str(path) if path else ":memory:", read_only=read_only)
    con.execute(f"SET TimeZone = '{TIME_ZONE}'")
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.execute(f"SET threads = {DUCKDB_THREADS}")
    if tmp_dir is not None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{tmp_dir}'")
    return con


def sandbox(tmp_dir: Path):
    """A DuckDB connection for untrusted files: a database of its own in memory, so nothing run on it can
    reach the warehouse, with its own memory limit (pipeline.limits), spilling to `tmp_dir`. Load the files,
    then `seal` it: from then on it can read no file and no Python object, and no setting can be changed back."""
    from pipeline.limits import limits

    con = connect(tmp_dir=tmp_dir)
    con.execute(f"SET memory_limit = '{limits().sandbox_memory_mb}MB'")
    return con


def seal(con) -> None:
    """Switch external access off for good on a sandbox connection (DuckDB: enable_external_access,
    lock_configuration). Refuses a connection that has a database file attached: that is not a sandbox."""
    files = con.execute(
        "SELECT database_name FROM duckdb_databases() WHERE path IS NOT NULL AND NOT internal"
    ).fetchall()
    if files:
        raise RuntimeError(f"not a sandbox connection: {files} attached")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
