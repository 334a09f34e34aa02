"""The home folder as a Dagster resource: every asset opens DuckDB through it."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

import dagster as dg

from pipeline.locking import writer_lock
from pipeline.settings import Home, connect, home_from_env

DUCKDB_WRITER_POOL = "duckdb_writer"  # one pool, one slot (dagster_home/dagster.yaml): one writer
# Gates 2 and 3 (pipeline/defs/gate_assets.py); not ["audit", "gate_results"], the dbt source of their results
GATES_KEY = dg.AssetKey(["quality", "gates"])


class Kkm2Home(dg.ConfigurableResource):
    """KKM2_HOME, resolved when the definitions load unless given explicitly."""

    root: str = ""

    @property
    def home(self) -> Home:
        return home_from_env(self.root or None).ensure()

    @contextmanager
    def warehouse(self, read_only: bool = False):
        """The live warehouse. Writers hold the home's writer lock while the connection is open."""
        with writer_lock(self.home) if not read_only else nullcontext():
            con = connect(self.home.warehouse, read_only=read_only, tmp_dir=self.home.tmp / "duckdb")
            try:
                yield con
            finally:
                con.close()

    def writer(self):
        """Hold the writer lock across several steps (dbt's subprocess writes too)."""
        return writer_lock(self.home)
