"""The public tier reveals no municipality (issue 16, point 10; KEY_FIGURES.md "Benchmarks"; ARCHITECTURE.md
principle 9): `offentlig/benchmark.parquet` holds only groups of at least `offentlig_min_kommuner`
municipalities (seed parametre) with n_kommuner, median, p25 and p75, and an attacker who tries algebra inside
a group and differencing across overlapping groups (alle, region, size band) reconstructs no group's values.
The cost test of `naermere_eftersyn` never quotes a national fraktil of fewer than
`eftersyn_fraktil_min_kommuner` municipalities."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from scipy.optimize import linprog

from pipeline.contract.codes import seed_rows
from pipeline.contract.parameters import (
    EFTERSYN_FRAKTIL_MIN_KOMMUNER,
    PUBLIC_MIN_KOMMUNER,
    SUPPRESSION_MIN_KOMMUNER,
    min_kommuner,
)
from pipeline.publish import METADATA_COLUMNS, PUBLIC_TABLES, release_select
from pipeline.settings import REPO_ROOT, connect

PUBLIC_STATISTICS = ["n_kommuner", "median", "p25", "p75"]
KEYS = ["aar", "sektor", "noegletal", "sammenligningsgruppe"]
# The public tier as it was before issue 16 (pipeline/publish.py): every unsuppressed group (n >= 3) with its
# mean, median and quartiles. The attack below reconstructs groups from it.
OLD_PUBLIC_BENCHMARK = (
    "SELECT * EXCLUDE (undertrykt, min, max) FROM rel.main.mart_benchmark WHERE NOT undertrykt"
)
# The new rule with one part relaxed (columns and condition): each gives groups away too.
_N = min_kommuner(PUBLIC_MIN_KOMMUNER)
RELAXED = {
    "one municipality fewer": ("n_kommuner, median, p25, p75", f"n_kommuner >= {_N - 1}"),
    "with the mean": ("n_kommuner, median, p25, p75, gennemsnit", f"n_kommuner >= {_N}"),
    "with min and max": ("n_kommuner, median, p25, p75, min, max", f"n_kommuner >= {_N}"),
}


def test_the_parameter_seed_holds_the_thresholds():
    rows = {r["parameter"]: r for r in seed_rows("parametre.csv")}
    assert min_kommuner(SUPPRESSION_MIN_KOMMUNER) == 3
    assert min_kommuner(PUBLIC_MIN_KOMMUNER) == 5
    assert min_kommuner(EFTERSYN_FRAKTIL_MIN_KOMMUNER) == 3
    assert all(r["beskrivelse"] and r["enhed"] and r["model_version"] for r in rows.values())
    # one home: the models read the seed (macro parameter()), none repeats the threshold as a literal
    for model, name in (
        ("mart_benchmark", SUPPRESSION_MIN_KOMMUNER),
        ("mart_noegletal_bygning", EFTERSYN_FRAKTIL_MIN_KOMMUNER),
    ):
        sql = (REPO_ROOT / "models" / "marts" / f"{model}.sql").read_text(encoding="utf-8")
        assert f"{{{{ parameter('{name}') }}}}" in sql, model
        assert ">= 3" not in sql and "< 3" not in sql, model


# ------------------------------------------------------------------------------------------ the attacker

QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75}
STATISTICS = ("gennemsnit", "median", "p25", "p75", "min", "max")
MAX_INTERLEAVINGS = 5000


def weights(stat: str, n: int) -> np.ndarray:
    """A published statistic as weights on the group's sorted values. Quantiles are continuous (DuckDB's
    quantile_cont): position (n - 1)·q, linear interpolation; at a whole position it IS one value."""
    w = np.zeros(n)
    if stat == "gennemsnit":
        w[:] = 1 / n
    elif stat == "min":
        w[0] = 1
    elif stat == "max":
        w[-1] = 1
    else:
        pos = (n - 1) * QUANTILES[stat]
        lo = math.floor(pos)
        w[lo] += 1 - (pos - lo)
        if pos > lo:
            w[lo + 1] += pos - lo
    return w


@dataclass(frozen=True)
class Block:
    """Part of a group: some municipalities, with their own published statistics and/or known values."""

    members: frozenset[str]
    stats: tuple[tuple[str, float], ...] = ()
    known: tuple[float, ...] | None = None


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def interleavings(sizes: list[int]):
    """Every distinct order of block labels with these counts (how sorted blocks can merge)."""
    left, order = list(sizes), []

    def walk():
        if len(order) == sum(sizes):
            yield tuple(order)
            return
        for b, count in enumerate(left):
            if count:
                left[b] -= 1
                order.append(b)
                yield from walk()
                order.pop()
                left[b] += 1

    yield from walk()


@cache
def merge_solve(target: tuple[tuple[str, float], ...], blocks: tuple[Block, ...]) -> tuple | None:
    """What the target group's statistics, together with its blocks' own statistics and known values, fix.
    The target's sorted values are an interleaving of the blocks' sorted values; every interleaving is tried.
    In each, the values form a polytope (statistics and known values = linear equations, order =
    inequalities): a value is fixed when the equations leave it no freedom, or else when linear programs give
    the same minimum and maximum. Returns, per block, its sorted values where a value is the same in every
    feasible interleaving (None where it is not fixed), or None when there are too many interleavings."""
    sizes = [len(b.members) for b in blocks]
    n = sum(sizes)
    offsets = [sum(sizes[:i]) for i in range(len(sizes))]
    if math.factorial(n) // math.prod(math.factorial(s) for s in sizes) > MAX_INTERLEAVINGS:
        return None
    base_rows, base_rhs = [], []
    for b, off, size in zip(blocks, offsets, sizes, strict=True):
        for stat, value in b.stats:
            row = np.zeros(n)
            row[off : off + size] = weights(stat, size)
            base_rows.append(row)
            base_rhs.append(value)
        for i, value in enumerate(b.known or ()):
            row = np.zeros(n)
            row[off + i] = 1
            base_rows.append(row)
            base_rhs.append(value)
    found: list[float | None] | None = None
    for order in interleavings(sizes):
        taken = [0] * len(blocks)
        merged = []  # the variable at each sorted position of the target
        for b in order:
            merged.append(offsets[b] + taken[b])
            taken[b] += 1
        rows, rhs = list(base_rows), list(base_rhs)
        for stat, value in target:
            row = np.zeros(n)
            row[merged] = weights(stat, n)
            rows.append(row)
            rhs.append(value)
        a_eq, b_eq = np.array(rows).reshape(-1, n), np.array(rhs)
        ub = np.zeros((n - 1, n))
        for p in range(n - 1):
            ub[p, merged[p]], ub[p, merged[p + 1]] = 1, -1
        lp = {
            "A_ub": ub if n > 1 else None,
            "b_ub": np.zeros(n - 1) if n > 1 else None,
            "bounds": (None, None),
        }
        if len(rows):
            lp |= {"A_eq": a_eq, "b_eq": b_eq}
        if linprog(np.zeros(n), **lp).status == 2:  # infeasible: the blocks cannot interleave this way
            continue
        if len(rows):
            particular = np.linalg.lstsq(a_eq, b_eq, rcond=None)[0]
            _, sv, vt = np.linalg.svd(a_eq)
            free = vt[int((sv > 1e-9 * sv.max()).sum()) :]  # the equations' null space
        else:
            particular, free = np.zeros(n), np.eye(n)
        values: list[float | None] = []
        for i in range(n):
            if not len(free) or np.abs(free[:, i]).max() < 1e-9:
                values.append(float(particular[i]))
                continue
            c = np.zeros(n)
            c[i] = 1
            lo = linprog(c, **lp)
            hi = linprog(-c, **lp) if lo.status == 0 else lo
            values.append(lo.fun if lo.status == 0 and hi.status == 0 and _close(lo.fun, -hi.fun) else None)
        if found is None:
            found = values
        else:  # a value counts as known only when every feasible interleaving gives the same
            found = [
                a if a is not None and b is not None and _close(a, b) else None
                for a, b in zip(found, values, strict=True)
            ]
        if all(v is None for v in found):
            break  # nothing left to learn
    assert found is not None, "the attacker's knowledge contradicts the published rows"
    return tuple(tuple(found[off : off + size]) for off, size in zip(offsets, sizes, strict=True))


def exact_cover(members: frozenset[str], parts: list[frozenset[str]]) -> list[frozenset[str]] | None:
    """Disjoint known sets whose union is `members`, if there are."""
    if not members:
        return []
    first = min(members)
    for part in parts:
        if first in part and part <= members:
            rest = exact_cover(members - part, [p for p in parts if not p & part])
            if rest is not None:
                return [part, *rest]
    return None


Stats = tuple[tuple[str, float], ...]


class Cell:
    """What the attacker knows about one aar × sektor × noegletal: the published groups, the member sets
    whose values it has reconstructed, the municipalities whose own value it knows, and every single value
    it has pinned down."""

    def __init__(self, groups: dict[str, tuple[frozenset[str], Stats]]):
        self.groups = groups
        self.known_sets: dict[frozenset[str], tuple[tuple[float, ...], str]] = {}  # members -> sorted values
        self.known_value: dict[str, float] = {}
        self.pinned: set[float] = set()

    def learn(self, members: frozenset[str], values, how: str) -> bool:
        self.pinned.update(round(v, 6) for v in values if v is not None)
        if members in self.known_sets or any(v is None for v in values):
            return False
        self.known_sets[members] = (tuple(sorted(values)), how)
        if len(members) == 1:
            self.known_value[next(iter(members))] = values[0]
        return True

    def values_of(self, members: frozenset[str]) -> tuple[float, ...] | None:
        return self.known_sets[members][0] if members in self.known_sets else None

    def single(self, k: str) -> Block:
        return Block(frozenset({k}), (), (self.known_value[k],) if k in self.known_value else None)

    def round(self) -> bool:
        """One pass; the cheap steps first, the interleaving searches only when those learn nothing."""
        return self.algebra() | self.sums() | self.set_arithmetic() or self.pairs() | self.completion()

    def algebra(self) -> bool:
        """(i) Inside each group: its statistics are linear in its sorted values."""
        changed = False
        for members, stats in self.groups.values():
            if members not in self.known_sets:
                [values] = merge_solve(stats, (Block(members),)) or [[None]]
                changed |= self.learn(members, values, "algebra")
        return changed

    def sums(self) -> bool:
        """(ii) Means times n are sums: a linear system over the municipalities' values."""
        groups = list(self.groups.values())
        sums = [(m, dict(s)["gennemsnit"] * len(m)) for m, s in groups if "gennemsnit" in dict(s)]
        if not sums:
            return False
        everyone = sorted(set().union(*(m for m, _ in groups)))
        a = np.array(
            [[1.0 if k in m else 0.0 for k in everyone] for m, _ in sums]
            + [[1.0 if k == j else 0.0 for k in everyone] for j in self.known_value]
        )
        b = np.array([t for _, t in sums] + list(self.known_value.values()))
        pinv = np.linalg.pinv(a)
        solution, free = pinv @ b, np.eye(len(everyone)) - pinv @ a
        changed = False
        for i, k in enumerate(everyone):
            if k not in self.known_value and np.abs(free[:, i]).max() < 1e-9:
                changed |= self.learn(frozenset({k}), [float(solution[i])], "differencing")
        return changed

    def set_arithmetic(self) -> bool:
        """(ii) Differences and unions of member sets whose values are known."""
        changed = False
        for (a_set, (a_vals, _)), (b_set, (b_vals, _)) in itertools.permutations(
            list(self.known_sets.items()), 2
        ):
            if a_set < b_set and b_set - a_set not in self.known_sets:
                rest_vals = list(b_vals)
                for v in a_vals:
                    rest_vals.remove(next(x for x in rest_vals if _close(x, v)))
                changed |= self.learn(b_set - a_set, rest_vals, "differencing")
        for members, _ in self.groups.values():
            if members not in self.known_sets:
                cover = exact_cover(members, sorted(self.known_sets, key=len, reverse=True))
                if cover:
                    changed |= self.learn(
                        members, [v for p in cover for v in self.known_sets[p][0]], "differencing"
                    )
        return changed

    def pairs(self) -> bool:
        """(ii) A group that is another group plus one or two municipalities."""
        changed = False
        for (small, small_stats), (big, big_stats) in itertools.permutations(self.groups.values(), 2):
            extra = big - small
            if not small < big or len(extra) > 2 or {small, big} <= self.known_sets.keys():
                continue
            blocks = (Block(small, small_stats, self.values_of(small)), *map(self.single, sorted(extra)))
            for b, values in zip(blocks, merge_solve(big_stats, blocks) or (), strict=False):
                changed |= self.learn(b.members, values, "differencing")
        return changed

    def completion(self) -> bool:
        """(ii) Municipalities whose value is known elsewhere, placed into a group's statistics: the group's
        other one to three values may follow."""
        changed = False
        for members, stats in self.groups.values():
            inside = frozenset(k for k in members if k in self.known_value)
            rest = members - inside
            if members in self.known_sets or not inside or not 1 <= len(rest) <= 3:
                continue
            known = tuple(sorted(self.known_value[k] for k in inside))
            solved = merge_solve(stats, (Block(inside, (), known), Block(rest, (), self.values_of(rest))))
            if solved:
                changed |= self.learn(rest, solved[-1], "differencing")
        return changed


@dataclass
class Attack:
    # (aar, sektor, noegletal, sammenligningsgruppe) -> the group's sorted values, and how they were found
    reconstructed: dict[tuple, tuple[tuple[float, ...], str]]
    exact_values: int  # single values pinned down (a reconstructed group's included)


def attack(rows: list[dict], membership: dict[str, set[str]], entered: dict[tuple, set[str]]) -> Attack:
    """Try to reconstruct each group's full set of municipality values from public rows alone, knowing which
    groups each municipality belongs to (`membership`: region and size band are public) and which
    municipalities enter each aar × sektor × noegletal (`entered`: more than the public knows).
    (i) Algebra inside a group: its statistics are linear in its sorted values.
    (ii) Differencing across overlapping groups: a group that is another plus one or two municipalities;
    sums of means, a linear system over the municipalities; municipalities whose value is known placed into
    other groups; differences and unions of member sets whose values are known.
    Repeated until it learns nothing more."""
    cells: dict[tuple, list[dict]] = {}
    for r in rows:
        cells.setdefault((r["aar"], r["sektor"], r["noegletal"]), []).append(r)
    reconstructed, exact = {}, 0
    for key, cell_rows in sorted(cells.items()):
        groups = {}
        for r in cell_rows:
            members = frozenset(k for k in entered[key] if r["sammenligningsgruppe"] in membership[k])
            stats = tuple(
                (s, float(r[s])) for s in STATISTICS if r.get(s) is not None and not math.isnan(r[s])
            )
            if len(members) == r["n_kommuner"] and stats:
                groups[r["sammenligningsgruppe"]] = (members, stats)
        cell = Cell(groups)
        while cell.round():
            pass
        for name, (members, _) in groups.items():
            if members in cell.known_sets:
                reconstructed[(*key, name)] = cell.known_sets[members]
        exact += len(cell.pinned)
    return Attack(reconstructed, exact)


# ------------------------------------------------------------------ a synthetic case through the real SQL

# Groups of 3, 4, 5 and 6 municipalities that overlap: every size band is a region plus one municipality of
# Sjælland (or three of Sjælland), and the country holds them all (sektor alle, one cell per figure). And a
# small cell (sektor skole) of 7: Syddanmark's 5 inside a band of 6 inside the country of 7, the two others
# below and above the region's values (the country's quartiles then touch the region's min and max).
REGIONS = {"Nordjylland": 3, "Midtjylland": 4, "Syddanmark": 5, "Sjælland": 6}
BAND_OF_REGION = {
    "Nordjylland": "under_25000",
    "Midtjylland": "25000_49999",
    "Syddanmark": "50000_99999",
}
FIGURES = ["samlet_udgift_pr_m2", "el_kwh_pr_m2", "varme_kwh_pr_m2", "vand_m3_pr_m2", "co2e_kg_pr_m2"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Synthetic municipality values (real codes and regions from seeds/kommuner.csv) built into
    mart_benchmark by dbt from the real model, then published into a release table by publish.release_select.
    Yields the connection (rel.main.mart_benchmark), the truth, and what the attacker is given: each
    municipality's groups and who enters each cell."""
    home = tmp_path_factory.mktemp("public_tier")
    by_region: dict[str, list[str]] = {}
    for r in seed_rows("kommuner.csv"):
        by_region.setdefault(r["region"], []).append(r["kommunekode"])
    chosen = {region: by_region[region][:n] for region, n in REGIONS.items()}
    band: dict[str, str] = {}
    for region, codes in chosen.items():
        for k in codes:
            band[k] = BAND_OF_REGION.get(region, "100000_og_derover")
    for k, b in zip(chosen["Sjælland"][:3], BAND_OF_REGION.values(), strict=True):
        band[k] = b  # one municipality of Sjælland in each of the other bands
    region_of = {k: region for region, codes in chosen.items() for k in codes}
    rng = np.random.default_rng(16)
    truth = {("alle", f): {k: float(round(rng.uniform(50, 900), 2)) for k in sorted(band)} for f in FIGURES}
    small = dict(zip(chosen["Syddanmark"], [300.0, 320.0, 350.0, 380.0, 400.0], strict=True))
    small |= {chosen["Sjælland"][2]: 100.0, chosen["Nordjylland"][0]: 700.0}
    truth[("skole", "samlet_udgift_pr_m2")] = small
    con = connect(home / "warehouse.duckdb")
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA intermediate")
    con.execute(
        "CREATE TABLE marts.mart_noegletal_kommune (kommunekode VARCHAR, aar INTEGER, sektor VARCHAR, "
        "noegletal VARCHAR, vaerdi DOUBLE, indgaar_i_benchmark BOOLEAN)"
    )
    con.executemany(
        "INSERT INTO marts.mart_noegletal_kommune VALUES (?, 2024, ?, ?, ?, true)",
        [(k, sektor, f, v) for (sektor, f), values in truth.items() for k, v in values.items()],
    )
    con.execute(
        "CREATE TABLE intermediate.int_kommune_aar (kommunekode VARCHAR, aar INTEGER, stoerrelse VARCHAR)"
    )
    con.executemany("INSERT INTO intermediate.int_kommune_aar VALUES (?, 2024, ?)", list(band.items()))
    con.close()
    dbt = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "build",
            "--select",
            "kommuner parametre dim_kommune mart_benchmark",
            "--exclude-resource-type",
            "unit_test",
            "--indirect-selection",
            "cautious",  # the data tests of these nodes, not those of tables left unbuilt
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(REPO_ROOT / "dbt_project"),
            "--target-path",
            str(home / "target"),
            "--log-path",
            str(home / "logs"),
        ],
        env={**os.environ, "KKM2_HOME": str(home)},
        capture_output=True,
        text=True,
        cwd=home,
    )
    assert dbt.returncode == 0, dbt.stdout[-3000:]
    con = connect()
    con.execute(f"ATTACH '{home / 'warehouse.duckdb'}' AS wh (READ_ONLY)")
    con.execute("ATTACH ':memory:' AS rel")
    con.execute(
        f"CREATE TABLE rel.main.mart_benchmark AS {release_select(con, 'mart_benchmark', 'syntetisk', 'm-test')}"
    )
    membership = {k: {"alle", f"region:{region_of[k]}", f"stoerrelse:{band[k]}"} for k in band}
    entered = {(2024, *cell): set(values) for cell, values in truth.items()}
    yield con, truth, membership, entered
    con.close()


def _rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _true_values(truth, membership, key) -> tuple[float, ...]:
    _, sektor, noegletal, gruppe = key
    return tuple(sorted(v for k, v in truth[(sektor, noegletal)].items() if gruppe in membership[k]))


def test_the_synthetic_groups_have_3_to_6_municipalities_and_overlap(synthetic):
    con, *_ = synthetic
    sizes = dict(
        con.execute(
            "SELECT sammenligningsgruppe, n_kommuner FROM rel.main.mart_benchmark "
            "WHERE sektor = 'alle' AND noegletal = 'samlet_udgift_pr_m2'"
        ).fetchall()
    )
    assert sorted(sizes.values()) == [3, 3, 4, 4, 5, 5, 6, 6, 18]
    assert sizes["stoerrelse:50000_99999"] == sizes["region:Syddanmark"] + 1


def test_the_old_public_rule_gives_groups_away(synthetic):
    """Against the columns published before issue 16 (n >= 3 with mean, median, p25, p75), the attack
    reconstructs groups exactly: by algebra inside a group of 3 (min = 2·p25 − median, max = 2·p75 − median),
    and by differencing the rest (a band that is a region plus one municipality; sums of means)."""
    con, truth, membership, entered = synthetic
    result = attack(_rows(con, OLD_PUBLIC_BENCHMARK), membership, entered)
    assert result.reconstructed, "the attacker should break the old rule"
    for key, (values, _) in result.reconstructed.items():
        assert np.allclose(values, _true_values(truth, membership, key)), key  # and it is right
    how = {(key[3], h) for key, (_, h) in result.reconstructed.items()}
    for f in FIGURES:
        assert (2024, "alle", f, "region:Nordjylland") in result.reconstructed
        assert (2024, "alle", f, "stoerrelse:25000_49999") in result.reconstructed  # n = 5
    assert ("region:Nordjylland", "algebra") in how
    assert ("stoerrelse:25000_49999", "differencing") in how


@pytest.mark.parametrize("relaxed", RELAXED)
def test_each_part_of_the_rule_is_needed(synthetic, relaxed):
    """Groups of 4, or the mean, or min and max: each alone lets the attack reconstruct groups."""
    con, truth, membership, entered = synthetic
    columns, condition = RELAXED[relaxed]
    rows = _rows(
        con,
        f"SELECT {', '.join(KEYS)}, {columns} FROM rel.main.mart_benchmark WHERE NOT undertrykt AND {condition}",
    )
    result = attack(rows, membership, entered)
    assert result.reconstructed, relaxed
    for key, (values, _) in result.reconstructed.items():
        assert np.allclose(values, _true_values(truth, membership, key)), key


def test_the_public_rows_give_no_group_away(synthetic):
    """The public tier computed by pipeline/publish.py from the same mart_benchmark: only groups of at least
    5, only n, median and quartiles. The same attacker reconstructs no group, though it does pin single values
    (a quartile at a whole position is one municipality's value, not attributed to anyone). In the small cell
    the country's quartiles touch the region's min and max, yet other values fit every public row too (the
    region's min lower and the band's extra municipality at the old min), so the region is not given away."""
    con, _, membership, entered = synthetic
    rows = _rows(con, PUBLIC_TABLES["benchmark"])
    assert rows and min(r["n_kommuner"] for r in rows) >= min_kommuner(PUBLIC_MIN_KOMMUNER)
    assert set(rows[0]) == {*KEYS, *PUBLIC_STATISTICS, *METADATA_COLUMNS}
    groups = {(r["sektor"], r["sammenligningsgruppe"]) for r in rows}
    assert {g for s, g in groups if s == "alle"} == {
        "alle",
        "region:Syddanmark",
        "region:Sjælland",
        "stoerrelse:25000_49999",
        "stoerrelse:50000_99999",
    }
    assert {g for s, g in groups if s == "skole"} == {"alle", "region:Syddanmark", "stoerrelse:50000_99999"}
    result = attack(rows, membership, entered)
    assert result.reconstructed == {}
    assert result.exact_values > 0  # the attacker is not idle: it learns what the quartiles are


# ----------------------------------------------------------------------------------------- the real demo


def test_the_demo_public_file_has_only_large_groups_and_the_allowed_columns(demo_home):
    home, _ = demo_home
    release = home.current.resolve()
    public = pq.read_table(release / "offentlig" / "benchmark.parquet")
    assert public.schema.names == KEYS + PUBLIC_STATISTICS + list(METADATA_COLUMNS)
    assert all(n >= min_kommuner(PUBLIC_MIN_KOMMUNER) for n in public.column("n_kommuner").to_pylist())
    # the demo has 3 municipalities: the participants see groups of 3, the public sees none of them
    participants = pq.read_table(release / "exports" / "mart_benchmark.parquet").to_pylist()
    assert any(r["n_kommuner"] == 3 and not r["undertrykt"] for r in participants)
    assert public.num_rows == 0
    # every column of the public file is described, like the other published files
    assert all(f.metadata and f.metadata.get(b"description") for f in public.schema)


def test_no_reason_quotes_a_fraktil_of_too_few_municipalities(demo_home):
    """In every municipality's own folder: where fewer than `eftersyn_fraktil_min_kommuner` municipalities
    have buildings with expenses in the sektor, no building is flagged for its cost and its reason says the
    test was not made; no reason quotes a fraktil then."""
    home, _ = demo_home
    release = home.current.resolve()
    buildings = [
        r
        for folder in sorted((release / "kommuner").iterdir())
        for r in pq.read_table(folder / "mart_noegletal_bygning.parquet").to_pylist()
    ]
    contributors: dict[tuple, set[str]] = {}
    for b in buildings:
        if b["samlet_udgift_pr_m2"] is not None:
            contributors.setdefault((b["aar"], b["sektor"]), set()).add(b["kommunekode"])
    few = {cell for cell, ks in contributors.items() if len(ks) < min_kommuner(EFTERSYN_FRAKTIL_MIN_KOMMUNER)}
    enough = set(contributors) - few
    for b in buildings:
        reason = b["naermere_eftersyn_aarsag"] or ""
        if (b["aar"], b["sektor"]) in few:
            assert not b["naermere_eftersyn"] and "fraktil (" not in reason, b
            assert reason.startswith("Udgiftstesten er ikke foretaget"), b
        elif b["naermere_eftersyn"]:
            assert (b["aar"], b["sektor"]) in enough and "fraktil (" in reason, b
    # the demo has buildings of all 3 municipalities in every sektor: it reaches the quoting case only; the
    # case of fewer is in the dbt unit tests (below)
    assert enough


def test_the_unit_tests_cover_two_and_three_municipalities():
    """The dbt unit tests hold the two cases with hand-computed rows (tests/test_dbt_time_zone.py runs every
    unit test, in two OS time zones, and fails if one does not pass)."""
    spec = yaml.safe_load(
        (REPO_ROOT / "models" / "marts" / "_mart_noegletal_bygning__unit_tests.yml").read_text(
            encoding="utf-8"
        )
    )
    tests = {t["name"]: t for t in spec["unit_tests"]}
    for name, n, quoted in (
        ("naermere_eftersyn_quotes_no_fraktil_from_two_municipalities", 2, False),
        ("naermere_eftersyn_quotes_the_fraktil_from_three_municipalities", 3, True),
    ):
        given = {g["input"]: g.get("rows") for g in tests[name]["given"]}
        with_cost = {r["bygning_id"] for r in given["ref('int_udgifter_bygning')"]}
        kommuner = {
            r["kommunekode"] for r in given["ref('int_bygninger_aar')"] if r["bygning_id"] in with_cost
        }
        assert len(kommuner) == n, name
        reasons = [r["naermere_eftersyn_aarsag"] or "" for r in tests[name]["expect"]["rows"]]
        assert any("fraktil (" in t for t in reasons) is quoted, name
