"""The Dagster definitions load, and the asset graph is what we expect (a snapshot of keys, groups,
checks and dependencies): an accidental rename or a dropped dependency fails here."""

from __future__ import annotations

import tempfile

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
        "marts/fct_noegletal_bygning",
        "marts/mart_noegletal_kommune",
        "marts/dim_noegletal",
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
    # the municipality figures are aggregated as the catalogue says, from the building figures in long form
    assert graph.get(dg.AssetKey(["marts", "mart_noegletal_kommune"])).parent_keys >= {
        dg.AssetKey(["marts", "fct_noegletal_bygning"]),
        dg.AssetKey(["marts", "dim_noegletal"]),
    }
    assert graph.get(dg.AssetKey(["marts", "fct_noegletal_bygning"])).parent_keys >= {
        dg.AssetKey(["marts", "mart_noegletal_bygning"]),
        dg.AssetKey(["marts", "dim_noegletal"]),
    }
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


def test_every_dbt_data_test_is_an_asset_check_of_the_node_it_tests():
    """Model, seed and source tests alike (issue 19): each is a check on the asset of the node it is attached to,
    and every model's grain is tested, staging to marts."""
    from pipeline.defs.dbt_assets import Kkm2DbtTranslator, read_manifest

    manifest = read_manifest()
    nodes = {**manifest["nodes"], **manifest["sources"]}
    checks = {(c.asset_key, c.name) for c in defs.resolve_asset_graph().asset_check_keys}
    translator = Kkm2DbtTranslator()
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(tests) > 180
    for test in tests:
        attached = test["attached_node"] or test["depends_on"]["nodes"][0]
        key = translator.get_asset_key(nodes[attached])
        assert (key, test["name"]) in checks, (key.to_user_string(), test["name"])
    grain_tested = {
        nodes[t["attached_node"]]["name"]
        for t in tests
        if t["test_metadata"]["name"] in ("unique_key", "unique") and t["attached_node"]
    }
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert models - grain_tested <= {"int_maalere_tilknyttet"}, (
        models - grain_tested
    )  # no key: its YAML says why
    seeds_with_codes = {
        "kommuner",
        "sektorer",
        "kodelister",
        "forsyningsarter",
        "enhedsomregning",
        "bygningsdele",
    }
    assert seeds_with_codes <= grain_tested


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


def test_the_nightly_build_runs_the_heavy_dbt_tests_and_builds_on_new_data_leave_them_out():
    """The tests that read every meter reading (tag `heavy`) run in the nightly build only; the others always."""
    from pipeline.defs.dbt_assets import HEAVY_TESTS_TAG, dbt_build_args
    from pipeline.defs.resources import Kkm2Home
    from pipeline.defs.schedules import nightly_build

    with tempfile.TemporaryDirectory() as empty:  # a home with no release: the night builds
        context = dg.build_schedule_context(resources={"kkm2": Kkm2Home(root=empty)})
        [request] = nightly_build.evaluate_tick(context).run_requests
    assert request.tags[HEAVY_TESTS_TAG] == "true"
    assert dbt_build_args(full_refresh=False, heavy_tests=False) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--exclude",
        "tag:heavy",
    ]
    assert dbt_build_args(full_refresh=True, heavy_tests=True) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--full-refresh",
    ]


def test_every_asset_has_a_group_of_its_own_and_a_description():
    """Nothing sits in Dagster's `default` group or without a description (the audit tables dbt reads are
    described from the sources' YAML)."""
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name != "default", key
        assert (node.description or "").strip(), key
    assert graph.get(dg.AssetKey(["audit", "dataset_states"])).group_name == "audit"
