"""Shared fixtures. One demo warehouse and one Eloverblik warehouse are built per test session (real
DuckDB, dbt, Dagster in-process and GX) and reused by the tests that read them.

`make test` runs two pytest-xdist workers (pytest_xdist_make_scheduler below): a module runs whole on one
worker, and every module that reads a shared warehouse on that warehouse's worker, so the demo warehouse is
still built once per `make test`, on the worker that runs all its readers."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest

from pipeline.settings import Home, connect

# shared/ lies beside the repository (here and in CI); KKM2_REAL_DATA overrides.
REAL = Path(
    os.environ.get("KKM2_REAL_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
)
ELOVERBLIK = REAL / "energy" / "eloverblik_meterdata_hourly_2017_2019_household.csv"
ELOVERBLIK_METER = "571313104402686056"


def real_file(*parts: str) -> Path:
    p = REAL.joinpath(*parts)
    if not p.exists():
        pytest.fail(f"real data file missing: {p} (../shared/data/real must be beside the repo)")
    return p


SHARED_HOMES = ("demo_home", "eloverblik_home")


def pytest_xdist_make_scheduler(config, log):
    """`make test`'s schedule over its workers: a module runs whole on one worker (its module fixtures are made
    once), and the modules that read a shared home run on that home's worker, so it is built once. A module
    reads a shared home when it names its fixture."""
    from xdist.scheduler import LoadScopeScheduling

    readers: dict[str, str] = {}
    for p in Path(__file__).parent.glob("test_*.py"):
        homes = [h for h in SHARED_HOMES if re.search(rf"\b{h}\b", p.read_text(encoding="utf-8"))]
        if len(homes) > 1:  # it would build one of them on both workers
            raise pytest.UsageError(f"{p.name} reads {' and '.join(homes)}: give each its own module")
        if homes:
            readers[p.name] = homes[0]

    class SharedHomeScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return readers.get(Path(module).name, module)

    return SharedHomeScheduling(config, log)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> tuple[Home, object]:
    from pipeline.demo_data import generate
    from pipeline.run import run

    home = Home(tmp_path_factory.mktemp("demo_home")).ensure()
    generate(
        home.landing, kommuner=3, aar=[2023, 2024], seed=7, bygninger_pr_kommune=8, reference=home.reference
    )
    report = run(home)
    assert report.success, report
    return home, report


@pytest.fixture(scope="session")
def eloverblik_home(tmp_path_factory) -> tuple[Home, object]:
    """The real Eloverblik export as a 2018 submission of Aalborg (0851), mapped to one building."""
    from pipeline.run import run

    home = Home(tmp_path_factory.mktemp("eloverblik_home")).ensure()
    sub = home.landing / "851" / "2018"
    (sub / "forbrug").mkdir(parents=True)
    shutil.copyfile(real_file("energy", ELOVERBLIK.name), sub / "forbrug" / f"{ELOVERBLIK_METER}.csv")
    (sub / "bygninger.csv").write_text(
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nHUS-1;Testhus;421;150;ejet\n",
        encoding="utf-8",
    )
    (sub / "maalere.csv").write_text(
        f"maaler_id;bygning_id;forsyningsart\n{ELOVERBLIK_METER};HUS-1;el\n", encoding="utf-8"
    )
    report = run(home)
    assert report.success, report
    return home, report


@pytest.fixture
def mem():
    con = connect()
    yield con
    con.close()


def tree_digest(folder: Path) -> str:
    """One hash over every file's relative path and bytes below `folder` (links not followed twice)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            h.update(p.relative_to(folder).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def query(path: Path, sql: str, params=None) -> list[tuple]:
    con = connect(path, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# Debian's Chromium, driven by Playwright (no browser download), for every browser test: offline flags, so
# it asks no host of its own (the machine's network is closed).
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium missing: `make test` installs Debian's chromium (see Makefile, target browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()
