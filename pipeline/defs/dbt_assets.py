"""dbt models as Dagster assets; dbt tests (source tests too) become asset checks."""

import hashlib
import json
import shutil
import sys
from collections.abc import Mapping
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from pipeline import progress, spark
from pipeline.defs.resources import DUCKDB_WRITER_POOL, GATES_KEY, Kkm2Home
from pipeline.locking import file_lock
from pipeline.settings import REPO_ROOT
from pipeline.timing import stage
from pipeline.warehouse import ensure_schema


@cache
def dbt_project() -> DbtProject:
    """The one DbtProject; everything else asks it. Its manifest is made by `read_manifest` /
    `prepare_manifest` (`kkm2 run`, `make manifest`, `dagster dev`, the tests)."""
    return DbtProject(project_dir=REPO_ROOT, profiles_dir=REPO_ROOT / "dbt_project")


def project_fingerprint() -> str:
    """Hash of everything dbt builds from: models, seeds, macros and the project file."""
    h = hashlib.sha256()
    files = [REPO_ROOT / "dbt_project.yml"]
    for folder in ("models", "seeds", "dbt_project/macros"):
        files += sorted(p for p in (REPO_ROOT / folder).rglob("*") if p.is_file())
    for p in files:
        h.update(str(p.relative_to(REPO_ROOT)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


class Kkm2DbtCli(DbtCliResource):
    """dagster-dbt's resource without two costs of every build that kkm2 gets nothing for.

    - `cli()` builds a dbt adapter in this process (loads the profile, the project and every macro) before
      it starts dbt, for `fetch_row_counts()` / `fetch_column_metadata()` only, which kkm2 does not call:
      4–6 s of the first call in a process, ~2 s of each later one.
    - It asks the dbt executable for its version (`dbt --version`, a 2 s subprocess) once per resource; the
      executable is this environment's (dbt_executable), whose dbt-core version the package metadata gives.
    dbt itself runs exactly as before, as a subprocess. Both are private methods of the pinned dagster-dbt
    (tests/test_definitions.py checks they still exist and are skipped)."""

    def _initialize_dbt_core_adapter(self, args):
        return None

    @cached_property
    def _cli_version(self):
        from importlib.metadata import version as installed

        from packaging import version

        if Path(self.dbt_executable).parent != Path(sys.executable).parent:
            return super()._cli_version  # a dbt from PATH: ask it
        return version.parse(installed("dbt-core"))


def dbt_resource() -> DbtCliResource:
    """dbt for the build: DuckDB's from this environment; with KKM2_DBT_TARGET=spark the Spark venv's, on the
    `spark` target (pipeline/spark.py, docs/spark.md)."""
    if spark.on_spark():
        spark.prepare_environment()
        return Kkm2DbtCli(
            project_dir=dbt_project(), dbt_executable=str(spark.dbt_executable()), target="spark"
        )
    return Kkm2DbtCli(project_dir=dbt_project(), dbt_executable=dbt_executable())


def parse_resource() -> DbtCliResource:
    """dbt for `dbt parse` (the manifest that defines the assets, the same for both targets): this environment's."""
    return Kkm2DbtCli(project_dir=dbt_project(), dbt_executable=dbt_executable())


def dbt_executable() -> str:
    """dbt from the same environment as this Python, else from PATH."""
    here = Path(sys.executable).parent / "dbt"
    return str(here) if here.exists() else "dbt"


def _prepare(project: DbtProject) -> None:
    """`dbt parse`, unless the manifest was made from the project as it is (project_fingerprint): 4–5 s saved
    on every other run. Only with the manifest lock held."""
    stamp = project.manifest_path.with_suffix(".fingerprint")
    fingerprint = project_fingerprint()
    if project.manifest_path.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return
    # dbt parse, as dagster-dbt's preparer does it, with this environment's dbt (not whichever is on PATH)
    parse_resource().cli(["parse", "--quiet"], target_path=project.target_path).wait()
    stamp.write_text(fingerprint)


def _manifest_lock():
    """dbt writes target/manifest.json in place: every process that makes or reads it (`kkm2 run` in any home,
    `dagster dev`, the tests' processes) does so under this lock."""
    target = REPO_ROOT / "target"
    target.mkdir(exist_ok=True)
    return file_lock(target / ".manifest.lock")


def prepare_manifest() -> None:
    """The manifest made anew if the project changed since it was made."""
    with _manifest_lock():
        _prepare(dbt_project())


def read_manifest() -> dict:
    """The manifest of the project as it is now (made anew first if the project changed)."""
    project = dbt_project()
    with _manifest_lock():
        _prepare(project)
        return json.loads(project.manifest_path.read_text(encoding="utf-8"))


# Run tag of the builds that run every dbt data test, also those tagged `heavy` (the tests of the grain of the
# models of meter readings, which hash tens of millions of rows: an estimated 5–45 s each at S = 1).
# The nightly schedule sets it; builds on new data leave those out. Either way every test is an asset check.
HEAVY_TESTS_TAG = "kkm2/tunge_tests"


def dbt_build_args(full_refresh: bool, heavy_tests: bool) -> list[str]:
    """The `dbt build` of a production build. dbt unit tests check the formulas, not the data: they run in
    `make test` (tests/test_dbt_time_zone.py, two OS time zones) and CI, not in every production build (5 s of
    every build's ~12 s). Incremental models are recomputed in full when models, macros or seeds changed, so
    published figures never depend on which code built which partition."""
    args = ["build", "--exclude-resource-type", "unit_test"]
    if not heavy_tests:
        args += ["--exclude", "tag:heavy"]
    if full_refresh:
        args.append("--full-refresh")
    return args


# The submission status mart shows the gates' results: it is built after them, by its own dbt asset.
STATUS_MART = "mart_indberetning_status"


class Kkm2DbtTranslator(DagsterDbtTranslator):
    """Sources keep their warehouse names (raw/bygninger, audit/submissions) so they meet the ingestion
    assets; models are keyed by layer (staging/..., marts/...). The status mart depends on the gates."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if manifest["nodes"].get(unique_id, {}).get("name") == STATUS_MART:
            spec = spec.merge_attributes(deps=[GATES_KEY])
        return spec

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or "main"
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "ref"
        return dbt_resource_props.get("config", {}).get("schema") or "dbt"


MANIFEST = read_manifest()
TRANSLATOR = Kkm2DbtTranslator(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))


def audit_tables() -> list[dg.AssetSpec]:
    """The audit tables dbt reads (its source `audit`): written by ingestion, the gates and the steward's
    actions, not by an asset of their own; in the group `audit`, described as in the sources' YAML."""
    return [
        dg.AssetSpec(
            key=dg.AssetKey(["audit", source["name"]]),
            group_name="audit",
            description=source["description"],
            kinds={"duckdb"},
        )
        for source in sorted(MANIFEST["sources"].values(), key=lambda s: s["name"])
        if source["source_name"] == "audit"
    ]


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project(),
    dagster_dbt_translator=TRANSLATOR,
    exclude=STATUS_MART,
    pool=DUCKDB_WRITER_POOL,
)
def kkm2_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, kkm2: Kkm2Home):
    with kkm2.writer():  # dbt's subprocess writes the warehouse: no other writer meanwhile
        fingerprint = project_fingerprint()
        with kkm2.warehouse() as con:  # the raw and audit tables exist even before the first submission
            ensure_schema(con)
            con.execute("CREATE TABLE IF NOT EXISTS audit.dbt_state (fingeraftryk VARCHAR, tid TIMESTAMPTZ)")
            built = {r[0] for r in con.execute("SELECT fingeraftryk FROM audit.dbt_state").fetchall()}
        args = dbt_build_args(
            full_refresh=fingerprint not in built,
            heavy_tests=context.run.tags.get(HEAVY_TESTS_TAG) == "true",
        )
        # dbt's artifacts of this run go to the home folder (not the repository); only the latest is kept.
        runs = kkm2.home.tmp / "dbt"
        shutil.rmtree(runs, ignore_errors=True)
        if spark.on_spark():
            prepare_spark_sources(kkm2, dbt, runs / "sources")
        with stage("dbt"), progress.task("dbt", total=len(context.selected_asset_keys)):
            yield from counted(dbt.cli(args, context=context, target_path=runs / context.run_id).stream())
        if spark.on_spark():
            import_spark_tables(kkm2)
        # Static, self-contained docs for the release (opened from disk, no server); they describe the models,
        # so they are made again only when the project changed (6–7 s a build otherwise).
        # They reuse this build's manifest and parse state (`--no-compile`): compiling every node again cost
        # 4 of the 7 s.
        docs = kkm2.home.tmp / "dbt_docs"
        if not (docs / "static_index.html").exists() or fingerprint not in built:
            shutil.rmtree(docs, ignore_errors=True)
            with stage("dbt_docs"):
                dbt.cli(
                    ["--quiet", "docs", "generate", "--static", "--no-compile"],
                    target_path=runs / context.run_id,
                    raise_on_error=True,
                ).wait()
                docs.mkdir(parents=True)
                shutil.copyfile(runs / context.run_id / "static_index.html", docs / "static_index.html")
        with kkm2.warehouse() as con:
            con.execute("DELETE FROM audit.dbt_state")
            con.execute("INSERT INTO audit.dbt_state VALUES (?, now())", [fingerprint])


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project(),
    dagster_dbt_translator=TRANSLATOR,
    select=STATUS_MART,
    name="kkm2_status_mart",
    pool=DUCKDB_WRITER_POOL,
)
def kkm2_status_mart(context: dg.AssetExecutionContext, dbt: DbtCliResource, kkm2: Kkm2Home):
    """The status mart with the gates' results of this build (and its data tests)."""
    with kkm2.writer(), stage("dbt"), progress.task("status", total=len(context.selected_asset_keys)):
        runs = kkm2.home.tmp / "dbt_status"
        shutil.rmtree(runs, ignore_errors=True)
        args = dbt_build_args(full_refresh=False, heavy_tests=context.run.tags.get(HEAVY_TESTS_TAG) == "true")
        if spark.on_spark():  # the gates' results, written since the build's export
            prepare_spark_sources(kkm2, dbt, runs / "sources", schemas=("audit",))
        yield from counted(dbt.cli(args, context=context, target_path=runs).stream())
        if spark.on_spark():
            import_spark_tables(kkm2)


def prepare_spark_sources(
    kkm2: Kkm2Home, dbt: DbtCliResource, target_path: Path, schemas=spark.SOURCE_SCHEMAS
):
    """Spark target: the sources exported from the DuckDB warehouse as Parquet and registered as Spark's tables."""
    with stage("spark_export"), kkm2.warehouse(read_only=True) as con:
        spark.export_sources(con, spark.sources_dir(kkm2.home), schemas=schemas)
    dbt.cli(["run-operation", "register_spark_sources"], target_path=target_path, raise_on_error=True).wait()


def import_spark_tables(kkm2: Kkm2Home) -> None:
    """Spark target: the tables Spark built (seeds, intermediate tables, marts) into the DuckDB warehouse, where the
    gates, publishing and the report read them."""
    with stage("spark_import"), kkm2.warehouse() as con:
        spark.import_tables(con, kkm2.home, docs=spark.persisted_docs(MANIFEST))


def counted(events):
    """dbt's events, each model's result counted on the progress display as it comes."""
    for event in events:
        if isinstance(event, dg.Output | dg.AssetMaterialization):
            progress.advance(done=1)
        yield event
