"""The whole asset graph as data: every asset with its group, kinds, dependencies, checks, pool, partitions,
backfill policy and automation, and every job, sensor and schedule with what it targets. Committed as
tests/snapshots/asset_graph.json and compared by tests/test_definitions.py, so an accidental rename, a dropped
dependency or a check that goes missing fails a test; `make snapshot` writes it anew after a deliberate change."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import dagster as dg

from pipeline.settings import REPO_ROOT

SNAPSHOT_PATH = REPO_ROOT / "tests" / "snapshots" / "asset_graph.json"


def _partitions(pdef) -> dict | None:
    if pdef is None:
        return None
    keys = list(pdef.get_partition_keys())
    return {"type": type(pdef).__name__, "count": len(keys), "keys": " ".join(keys)}


def asset_graph_snapshot(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    checks: dict[str, list[str]] = {}
    for ck in graph.asset_check_keys:
        checks.setdefault(ck.asset_key.to_user_string(), []).append(ck.name)
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        name = key.to_user_string()
        entry: dict = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "checks": sorted(checks.get(name, [])),
            "materializable": node.is_materializable,
        }
        if node.is_materializable:
            assets_def = defs.resolve_assets_def(key)
            entry["op"] = assets_def.node_def.name
            entry["pools"] = sorted({op.pool for op in assets_def.node_def.iterate_op_defs() if op.pool})
            entry["partitions"] = _partitions(node.partitions_def)
            entry["backfill_policy"] = str(node.backfill_policy) if node.backfill_policy else None
            entry["automation"] = str(node.automation_condition) if node.automation_condition else None
        assets[name] = entry
    jobs = {}
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if job.name.startswith("__"):  # Dagster's implicit job of all assets
            continue
        selected = job.asset_layer.executable_asset_keys if job.asset_layer else set()
        jobs[job.name] = {
            "assets": sorted(k.to_user_string() for k in selected),
            "partitioned": job.partitions_def is not None,
        }
    sensors = {
        s.name: {
            "jobs": sorted(j.name for j in s.jobs) if s.has_jobs else [],
            "interval_s": s.minimum_interval_seconds,
            "default_status": s.default_status.value,
        }
        for s in sorted(defs.get_repository_def().sensor_defs, key=lambda s: s.name)
    }
    schedules = {
        s.name: {
            "job": s.job_name,
            "cron": s.cron_schedule,
            "timezone": s.execution_timezone,
            "default_status": s.default_status.value,
        }
        for s in sorted(defs.get_repository_def().schedule_defs, key=lambda s: s.name)
    }
    return {"assets": assets, "jobs": jobs, "sensors": sensors, "schedules": schedules}


def render(defs: dg.Definitions) -> str:
    return json.dumps(asset_graph_snapshot(defs), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main() -> int:
    """`make snapshot`: write the snapshot of the current definitions."""
    from pipeline.definitions import defs

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else SNAPSHOT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(defs), encoding="utf-8")
    print(f"Skrev {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
