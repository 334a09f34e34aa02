"""The Dagster definitions load, and the asset graph is what we expect (a snapshot of keys, groups,
checks and dependencies): an accidental rename or a dropped dependency fails here."""

from __future__ import annotations

import dagster as dg

from pipeline.definitions import defs


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)
    assert {j.name for j in defs.resolve_all_job_defs()} >= {"ingest", "build"}


def test_the_whole_asset_graph_is_the_committed_snapshot():
    """Every asset (group, kinds, deps, checks, pool, partitions, backfill policy, automation), job, sensor and
    schedule, against tests/snapshots/asset_graph.json: a deliberate change is `make snapshot` and a reviewed
    diff of that file."""
    from pipeline.defs.snapshot import SNAPSHOT_PATH, render

    assert SNAPSHOT_PATH.exists(), "run `make snapshot`"
    assert render(defs) == SNAPSHOT_PATH.read_text(encoding="utf-8"), (
        "the asset graph changed: `make snapshot`"
    )


def test_asset_graph_snapshot():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    expected = {
        "raw/bygninger",
        "raw/maalere",
        "raw/forbrug",
        "audit/active_submissions",
        "staging/stg_raw__bygninger",
        "staging/stg_raw__maalere",
        "staging/stg_raw__forbrug",
        "intermediate/int_bygninger_aar",
        "intermediate/int_maalere_tilknyttet",
        "intermediate/int_forbrug_perioder",
        "intermediate/int_forbrug_kalenderiseret",
        "intermediate/int_maaler_daekning",
        "marts/dim_kommune",
        "marts/dim_bygning",
        "marts/fct_forbrug_maaned",
        "marts/mart_noegletal_bygning",
        "release/current",
    }
    assert expected <= keys
    assert graph.get(dg.AssetKey(["staging", "stg_raw__forbrug"])).parent_keys >= {
        dg.AssetKey(["raw", "forbrug"]),
        dg.AssetKey(["audit", "active_submissions"]),
    }
    assert (
        dg.AssetKey(["marts", "mart_noegletal_bygning"])
        in graph.get(dg.AssetKey(["release", "current"])).parent_keys
    )
    raw = graph.get(dg.AssetKey(["raw", "forbrug"]))
    assert raw.partitions_def is not None and "0101" in raw.partitions_def.get_partition_keys()
    assert len(raw.partitions_def.get_partition_keys()) == 98


def test_gx_check_is_blocking_and_dbt_tests_are_checks():
    names = {(c.asset_key.to_user_string(), c.name) for c in defs.resolve_asset_graph().asset_check_keys}
    assert ("raw/bygninger", "gx_accepterede_raekker") in names
    raw_assets = defs.resolve_assets_def(dg.AssetKey(["raw", "bygninger"]))
    spec = next(s for s in raw_assets.check_specs if s.name == "gx_accepterede_raekker")
    assert spec.blocking
    # one result per municipality: the check is partitioned like its asset
    assert spec.partitions_def == raw_assets.partitions_def
    # source tests (not_null on raw columns) and model tests become asset checks
    assert any(a == "raw/forbrug" and n.startswith("source_not_null") for a, n in names)
    assert any(a == "marts/mart_noegletal_bygning" and "unique_key" in n for a, n in names)


def test_every_writer_is_in_the_one_duckdb_pool():
    for key in ("raw/bygninger", "marts/mart_noegletal_bygning", "release/current"):
        assets_def = defs.resolve_assets_def(dg.AssetKey(key.split("/")))
        assert {op.pool for op in assets_def.node_def.iterate_op_defs()} == {"duckdb_writer"}


def test_ingestion_of_many_municipalities_is_one_run():
    """A backfill of a range of municipalities runs once (BackfillPolicy.single_run()), and the raw assets are
    materialised per municipality by the asset's own events, not for the run's whole range."""
    raw_assets = defs.resolve_assets_def(dg.AssetKey(["raw", "bygninger"]))
    assert raw_assets.backfill_policy == dg.BackfillPolicy.single_run()
    assert raw_assets.can_subset  # so that no output (for the whole range) is required


def test_dbt_runs_without_dagsters_in_process_adapter_and_knows_its_version(tmp_path):
    """The build's dbt resource starts dbt as a subprocess without first building a dbt adapter in this process
    (kkm2 fetches no row counts or column metadata) and without `dbt --version` (pipeline.defs.dbt_assets). The
    two methods it replaces must still exist in the pinned dagster-dbt, or the savings would silently go."""
    import subprocess

    from dagster_dbt import DbtCliResource
    from packaging import version

    from pipeline.defs.dbt_assets import Kkm2DbtCli, prepare_manifest

    dbt = defs.resources["dbt"]
    assert isinstance(dbt, Kkm2DbtCli)
    assert callable(DbtCliResource._initialize_dbt_core_adapter)
    assert "_cli_version" in vars(DbtCliResource)
    printed = subprocess.run([dbt.dbt_executable, "--version"], capture_output=True, text=True).stdout
    assert f"installed: {dbt._cli_version}\n" in printed  # what dbt itself says
    assert dbt._cli_version >= version.parse("1.11")
    prepare_manifest()
    invocation = dbt.cli(
        ["ls", "--select", "dim_kommune", "--output", "name"], target_path=tmp_path, raise_on_error=True
    )
    assert invocation.adapter is None
    assert invocation.is_successful()


def test_the_build_recomputes_everything_only_when_the_dbt_project_changed():
    from pipeline.defs.dbt_assets import dbt_build_args

    assert dbt_build_args("abc", {"abc"}) == ["build", "--exclude-resource-type", "unit_test"]
    assert dbt_build_args("abc", {"old"})[-1] == "--full-refresh"
    assert dbt_build_args("abc", set())[-1] == "--full-refresh"  # a new warehouse
