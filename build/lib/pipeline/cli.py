"""The `kkm2` command line."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from pipeline.settings import connect, home_from_env


def _home_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--home", help="KKM2_HOME (standard: miljøvariablen KKM2_HOME, ellers ./kkm2_home)")


def cmd_run(args) -> int:
    from pipeline.run import run

    home = home_from_env(args.home)
    report = run(home)
    for line in report.landing_problems:
        print(f"ADVARSEL {line}")
    print(
        f"{'kommune':8} {'år':5} {'ver':>3} {'status':14} {'datasæt':22} {'modtaget':>9} {'accepteret':>10} "
        f"{'afvist':>7} {'sprunget':>8} {'advarsler':>9}"
    )
    for k, y, v, status, ds, rec, acc, rej, skip, warn in report.submissions:
        print(f"{k:8} {y:<5} {v:>3} {status:14} {ds:22} {rec:>9} {acc:>10} {rej:>7} {skip:>8} {warn:>9}")
    if report.release:
        print(f"\nUdgivelse: {report.release}")
        print(f"  Parquet:   {report.release / 'exports'}")
        print(f"  DuckDB:    {report.release / 'warehouse.duckdb'}")
        print(f"  Aktuel:    {home.current} -> {report.release.name}")
    if not report.success:
        failed = [k for k, ok in report.ingest_ok.items() if not ok]
        if failed:
            print(f"Indlæsning holdt tilbage for: {', '.join(failed)} (se Dagster / audit.findings)")
        if not report.build_ok:
            print("Byggeriet fejlede; den forrige udgivelse er stadig den aktuelle.", file=sys.stderr)
            return 1
    return 0


def cmd_demo_data(args) -> int:
    from pipeline.demo_data import generate

    home = home_from_env(args.home).ensure()
    folders = generate(
        home.landing, kommuner=args.kommuner, aar=args.aar, seed=args.seed, reference=home.reference
    )
    print(f"{len(folders)} demo-indberetninger skrevet under {home.landing}")
    return 0


def cmd_validate(args) -> int:
    """Validate files or a submission folder without a warehouse (same validator as gate 1)."""
    from pipeline.validator import SubmissionFile, findings_as_json, validate_files

    paths = [Path(p) for p in args.paths]
    files: list[SubmissionFile] = []
    for p in paths:
        if p.is_dir():
            files += [
                SubmissionFile(f, f.relative_to(p).as_posix())
                for f in sorted(p.rglob("*"))
                if f.is_file() and not f.name.startswith(".")
            ]
        elif p.is_file():
            files.append(SubmissionFile(p, p.name))
        else:
            print(f"Findes ikke: {p}", file=sys.stderr)
            return 2
    con = connect()
    with tempfile.TemporaryDirectory() as tmp:
        result = validate_files(con, files, args.kommune, args.aar, Path(tmp))
        findings = result.findings(con)
    if not any(f.dataset == "bygninger" for f in files):
        # validating single files: the missing-master-data finding is about the submission, not them
        findings = [f for f in findings if f["regel"] != "mangler_bygninger"]
    errors = [f for f in findings if f["alvorlighed"] == "fejl"]
    if args.json:
        print(
            findings_as_json(
                {"counts": {k: v.as_dict() for k, v in result.counts.items()}, "findings": findings}
            )
        )
    else:
        for f in findings:
            where = f["fil"] or "(indberetningen)"
            if f["raekke"]:
                where += f", række {f['raekke']}"
            if f["kolonne"]:
                where += f", kolonne {f['kolonne']}"
            print(f"{f['alvorlighed'].upper():9} {where}: {f['besked']}")
        for ds, c in result.counts.items():
            if c.files:
                print(
                    f"{ds}: modtaget {c.received}, accepteret {c.accepted}, afvist {c.rejected}, "
                    f"sprunget over {c.skipped}, advarsler {c.warnings}"
                )
    return 1 if errors else 0


def cmd_template(args) -> int:
    from pipeline.templates import write_templates

    for path in write_templates(args.dataset, args.format, Path(args.out)):
        print(f"Skabelon: {path}")
    return 0


def cmd_generate(args) -> int:
    """Regenerate the files derived from the contract (GX suites, dbt sources)."""
    from pipeline.contract.published import write_published
    from pipeline.dbt_sources import write_sources
    from pipeline.quality.gx_gate import write_suites

    write_suites()
    write_sources()
    write_published()
    print(
        "Genereret: expectations/suites/, dbt-YAML (kilder, staging, marts), docs/ (skema, informationsmodel, eksempler)"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kkm2", description="kkm2: nøgletal for kommunale bygninger")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="indlæs alt i landing/, byg, kontrollér og udgiv")
    _home_arg(r)
    r.set_defaults(func=cmd_run)
    d = sub.add_parser("demo-data", help="skriv deterministiske demo-indberetninger i landing/")
    _home_arg(d)
    d.add_argument("--kommuner", type=int, default=5)
    d.add_argument("--aar", type=int, nargs="+", default=[2023, 2024])
    d.add_argument("--seed", type=int, default=1)
    d.set_defaults(func=cmd_demo_data)
    v = sub.add_parser("validate", help="kontrollér filer før indsendelse (samme regler som kkm2)")
    _add_validate_args(v)
    from pipeline.contract.datasets import DATASETS

    t = sub.add_parser("template", help="skriv en skabelon (CSV eller XLSX) til et datasæt eller alle")
    t.add_argument("dataset", choices=[*DATASETS, "alle"])
    t.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    t.add_argument("--out", default=".", help="mappe (standard: den aktuelle)")
    t.set_defaults(func=cmd_template)
    g = sub.add_parser("generate", help="gendan filer afledt af kontrakten")
    g.set_defaults(func=cmd_generate)
    return p


def _add_validate_args(v: argparse.ArgumentParser) -> None:
    v.add_argument("paths", nargs="+", help="filer eller en indberetningsmappe")
    v.add_argument("--kommune", default="0101", help="kommunekode filerne indberettes for")
    v.add_argument("--aar", type=int, default=2024, help="indberetningsåret")
    v.add_argument("--json", action="store_true", help="fund som JSON")
    v.set_defaults(func=cmd_validate)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "kommune", None):
        from pipeline.text import canonical_kommunekode

        args.kommune = canonical_kommunekode(args.kommune) or args.kommune
    return args.func(args)


def validate_main(argv: list[str] | None = None) -> int:
    v = argparse.ArgumentParser(prog="kkm2-validate", description="Kontrollér filer før indsendelse")
    _add_validate_args(v)
    args = v.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
