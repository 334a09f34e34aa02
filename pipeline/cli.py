"""The `kkm2` command line."""

from __future__ import annotations

import argparse
import errno
import os
import re
import sys
from datetime import datetime
from pathlib import Path

from pipeline.settings import connect, home_from_env


class UsageError(Exception):
    """A Danish message about how a command was called (a path that is not there, a value out of range)."""


# argparse's own messages (Python 3.11), in Danish; anything else keeps argparse's words after a Danish lead
ARGPARSE_DA = (
    (r"the following arguments are required: (.*)", r"disse argumenter mangler: \1"),
    (r"argument (.*): invalid int value: (.*)", r"argumentet \1: \2 er ikke et helt tal"),
    (r"argument (.*): invalid float value: (.*)", r"argumentet \1: \2 er ikke et tal"),
    (
        r"argument (.*): invalid choice: (.*) \(choose from (.*)\)",
        r"argumentet \1: \2 er ikke et gyldigt valg (vælg mellem \3)",
    ),
    (r"argument (.*): expected one argument", r"argumentet \1 mangler en værdi"),
    (r"argument (.*): expected at least one argument", r"argumentet \1 mangler mindst én værdi"),
    (r"unrecognized arguments: (.*)", r"ukendte argumenter: \1"),
    (r"argument (.*): (.*)", r"argumentet \1: \2"),  # our own type functions' Danish messages
)


def danish(message: str) -> str:
    for pattern, text in ARGPARSE_DA:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, text, message)
    return f"ugyldige argumenter: {message}"


class DanishArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: fejl: {danish(message)}. Se `{self.prog} --help`.\n")


def int_between(lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' er ikke et helt tal") from None
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"{n} skal være mellem {lo} og {hi}")
        return n

    return parse


def positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' er ikke et tal") from None
    if not x > 0 or x != x or x == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} skal være et tal over 0")
    return x


def folder_to_write(path: str) -> Path:
    """A folder a command writes into: made if missing, refused if a file has its name."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{p} findes og er ikke en mappe; angiv en mappe med --out.")
    p.mkdir(parents=True, exist_ok=True)
    return p


def _home_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--home", help="KKM2_HOME (standard: miljøvariablen KKM2_HOME, ellers ./kkm2_home)")


LOGS_KEPT = 20  # `kkm2 run` logs kept in <home>/logs/


def cmd_run(args) -> int:
    """Run the pipeline with one live line per stage; dbt's, GX's and Dagster's own output go to a log file in
    the home (`--verbose`: to the terminal instead); a short summary at the end."""
    from pipeline import progress
    from pipeline.run import run

    home = home_from_env(args.home)
    if args.verbose:
        with progress.display(sys.stdout, live=False):
            report = run(home)
        log = None
    else:
        log = home.logs / f"koersel_{datetime.now().strftime('%Y%m%dT%H%M%S')}_{os.getpid()}.log"
        try:
            with progress.quiet_output(log) as terminal, progress.display(terminal):
                report = run(home)
        except BaseException:
            print(f"Hele udskriften fra dbt, GX og Dagster: {log}", file=sys.stderr)
            raise
        finally:
            if log.exists() and not log.stat().st_size:  # a run with nothing to build printed nothing
                log.unlink()
            _prune_logs(home.logs)
    _print_summary(home, report, verbose=args.verbose)
    if log and log.exists():
        print(f"  Log:       {log}")
    if not report.success and not report.build_ok:
        print("Byggeriet fejlede; den forrige udgivelse er stadig den aktuelle.", file=sys.stderr)
        return 1
    return 0


def _prune_logs(folder: Path) -> None:
    logs = sorted(folder.glob("koersel_*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in logs[LOGS_KEPT:]:
        old.unlink(missing_ok=True)


SUMMARY_LINES = 25  # per list of the summary; the rest is counted (`kkm2 status` has them all)


def _print_summary(home, report, verbose: bool) -> None:
    from pipeline.run import NOTHING_NEW
    from pipeline.states import SubmissionStatus
    from pipeline.text import da_number

    print()
    for line in report.landing_problems:
        print(f"ADVARSEL {line}")
    if report.reference_problems or report.reference_warnings:
        print(f"Referencedata ({home.reference}):")
        for line in report.reference_problems:
            print(f"  FUND     {line}")
        for line in report.reference_warnings:
            print(f"  ADVARSEL {line}")
    if verbose:
        print(
            f"{'kommune':8} {'år':5} {'ver':>3} {'status':14} {'datasæt':22} {'modtaget':>9} {'accepteret':>10} "
            f"{'afvist':>7} {'sprunget':>8} {'advarsler':>9}"
        )
        for k, y, v, status, ds, rec, acc, rej, skip, warn in report.submissions:
            print(f"{k:8} {y:<5} {v:>3} {status:14} {ds:22} {rec:>9} {acc:>10} {rej:>7} {skip:>8} {warn:>9}")
    if report.new_versions:
        print(f"Nye versioner i denne kørsel: {da_number(len(report.new_versions))}")
        for k, y, v, status, rec, acc, rej, skip in report.new_versions[:SUMMARY_LINES]:
            print(
                f"  {k}/{y} version {v}: {SubmissionStatus(status).label}; {da_number(rec)} rækker modtaget, "
                f"{da_number(acc)} accepteret, {da_number(rej)} afvist, {da_number(skip)} sprunget over"
            )
        _more(report.new_versions)
    elif not report.build_skipped:
        print("Ingen nye versioner i denne kørsel (indberetningerne i landing/ er uændrede).")
    if report.held_back:
        print(f"Holdt tilbage eller venter på godkendelse: {da_number(len(report.held_back))}")
        for k, y, v, status, why in report.held_back[:SUMMARY_LINES]:
            print(f"  {k}/{y} version {v}: {SubmissionStatus(status).label}" + (f": {why}" if why else ""))
        _more(report.held_back)
    failed = [k for k, ok in report.ingest_ok.items() if not ok]
    if failed:
        print(f"Indlæsning holdt tilbage for: {', '.join(failed)} (se `kkm2 status` og loggen)")
    if report.build_skipped:
        print(NOTHING_NEW)
    if report.release:
        print(f"\n{'Aktuel udgivelse (uændret)' if report.build_skipped else 'Udgivelse'}: {report.release}")
        print(f"  Rapport:   {report.release / 'report' / 'index.html'}")
        print(f"  Parquet:   {report.release / 'exports'}")
        print(f"  DuckDB:    {report.release / 'warehouse.duckdb'}")
        print(f"  Aktuel:    {home.current} -> {report.release.name}")


def _more(rows: list) -> None:
    if len(rows) > SUMMARY_LINES:
        print(f"  … og {len(rows) - SUMMARY_LINES} flere (se `kkm2 status`)")


def cmd_demo_data(args) -> int:
    from pipeline.demo_data import generate

    home = home_from_env(args.home).ensure()
    if args.scale is not None:
        from pipeline.scale_data import generate_scaled
        from pipeline.text import da_number

        p = generate_scaled(home.landing, args.scale, seed=args.seed, reference=home.reference)
        print(
            f"Skala {args.scale}: {p['kommuner']} kommuner, {p['bygninger']} bygninger, "
            f"{da_number(p['el_raekker'])} el-rækker, {da_number(p['indeklima_raekker'])} indeklimarækker "
            f"under {home.landing}"
        )
        return 0
    folders = generate(
        home.landing, kommuner=args.kommuner, aar=args.aar, seed=args.seed, reference=home.reference
    )
    print(f"{len(folders)} demo-indberetninger skrevet under {home.landing}")
    return 0


def cmd_validate(args) -> int:
    """Validate files or a submission folder without a warehouse (same validator as gate 1)."""
    from pipeline.folders import Years, walk
    from pipeline.validation import SubmissionFile, findings_as_json
    from pipeline.validation.light import validate_light

    paths = [Path(p) for p in args.paths]
    files: list[SubmissionFile] = []
    ignored: list[tuple[str, str]] = []
    for p in paths:
        if p.is_dir():
            found, skipped, _ = walk(p)  # the landing folder's rules: no link is followed
            files += found
            ignored += skipped
        elif p.is_file():
            files.append(SubmissionFile(p, p.name))
        else:
            print(f"Findes ikke: {p}", file=sys.stderr)
            return 2
    if not files and not ignored:
        raise UsageError(f"Ingen filer at kontrollere i {', '.join(str(p) for p in paths)}.")
    counts, findings = validate_light(
        files, ignored, args.kommune, args.aar, Years.configured().problem(args.aar)
    )
    errors = [f for f in findings if f["alvorlighed"] == "fejl"]
    if args.json:
        print(findings_as_json({"counts": counts, "findings": findings}))
    else:
        for f in findings:
            where = f["fil"] or "(indberetningen)"
            if f["raekke"]:
                where += f", række {f['raekke']}"
            if f["kolonne"]:
                where += f", kolonne {f['kolonne']}"
            print(f"{f['alvorlighed'].upper():9} {where}: {f['besked']}")
        for ds, c in counts.items():
            if c["filer"]:
                print(
                    f"{ds}: modtaget {c['raekker_modtaget']}, accepteret {c['raekker_accepteret']}, "
                    f"afvist {c['raekker_afvist']}, sprunget over {c['raekker_sprunget_over']}, "
                    f"advarsler {c['advarsler']}"
                )
    return 1 if errors else 0


def cmd_template(args) -> int:
    from pipeline.templates import write_templates

    for path in write_templates(args.dataset, args.format, folder_to_write(args.out)):
        print(f"Skabelon: {path}")
    return 0


def cmd_generate(args) -> int:
    """Regenerate the files derived from the contract and the key-figure catalogue (pipeline/generate/)."""
    from pipeline.generate import write_generated_files

    write_generated_files()
    print(
        "Genereret: expectations/suites/, dbt (kilder, staging, marts-YAML), docs/ (skema, informationsmodel, "
        "eksempler, api/openapi.json)"
    )
    return 0


def cmd_status(args) -> int:
    """Per municipality and year: each dataset of the newest version, its state and rows, and the active
    version. Reads the status snapshot, never the live warehouse, so it answers while a load runs."""
    from pipeline.locking import running_writer
    from pipeline.status import read_snapshot

    home = home_from_env(args.home)
    pid = running_writer(home)
    if pid:
        print(f"En kørsel er i gang (proces {pid}); status nedenfor er fra før den.")
    rows = read_snapshot(home)
    if not rows:
        print("Ingen indberetninger er indlæst endnu.")
        return 0
    if args.aar:
        years = sorted({r["aar"] for r in rows})
        rows = [r for r in rows if r["aar"] == args.aar]
        if not rows:
            raise UsageError(
                f"Ingen indberetninger for {args.aar}; indlæst er {', '.join(str(y) for y in years)}."
            )
    newest: dict[tuple, int] = {}
    active: dict[tuple, int] = {}
    pinned: set[tuple] = set()
    for r in rows:
        key = (r["kommunekode"], r["aar"])
        newest[key] = max(newest.get(key, 0), r["version"])
        if r["aktiv"]:
            active[key] = r["version"]
        if r["fastlaast"]:
            pinned.add(key)
    print(
        f"{'kommune':8} {'år':5} {'aktiv':>5} {'nyeste':>6} {'modtaget':17} {'datasæt':22} {'tilstand':17} "
        f"{'modtaget':>9} {'accepteret':>10} {'afvist':>7} {'sprunget':>8}"
    )
    for r in rows:
        key = (r["kommunekode"], r["aar"])
        if r["version"] != newest[key]:
            continue
        tid = r["oprettet_tid"].strftime("%Y-%m-%d %H:%M")
        act = str(active.get(key, "-")) + ("*" if key in pinned else "")
        print(
            f"{key[0]:8} {key[1]:<5} {act:>5} {r['version']:>6} {tid:17} {r['dataset']:22} "
            f"{r['tilstand']:17} {r['raekker_modtaget']:>9} {r['raekker_accepteret']:>10} "
            f"{r['raekker_afvist']:>7} {r['raekker_sprunget_over']:>8}"
        )
    print("* fastlåst af stewarden (kkm2 unpin frigiver)")
    return 0


def cmd_versions(args) -> int:
    """Every version of one submission, from the status snapshot."""
    from pipeline.states import DatasetState
    from pipeline.status import read_snapshot

    home = home_from_env(args.home)
    rows = read_snapshot(home, "kommunekode = ? AND aar = ?", [args.kommune, args.aar])
    if not rows:
        print(f"Ingen versioner af {args.kommune}/{args.aar}.")
        return 1
    print(
        f"{'version':>7} {'modtaget':19} {'status':14} {'aktiv':6} {'datasæt':>7} {'accepteret':>10} {'afvist':>7}"
    )
    for v in sorted({r["version"] for r in rows}):
        rs = [r for r in rows if r["version"] == v]
        r0 = rs[0]
        aktiv = ("ja" + (" (fastlåst)" if r0["fastlaast"] else "")) if r0["aktiv"] else ""
        acc = sum(r["raekker_accepteret"] or 0 for r in rs)
        rej = sum(r["raekker_afvist"] or 0 for r in rs)
        n = sum(1 for r in rs if r["tilstand"] != DatasetState.MANGLER)
        print(
            f"{v:>7} {r0['oprettet_tid'].strftime('%Y-%m-%d %H:%M:%S'):19} {r0['status']:14} {aktiv:6} "
            f"{n:>7} {acc:>10} {rej:>7}"
        )
    return 0


def _steward_action(args, action) -> int:
    from pipeline.locking import running_writer, writer_lock
    from pipeline.states import StewardError
    from pipeline.status import write_snapshot
    from pipeline.warehouse import ensure_schema

    home = home_from_env(args.home)
    if not home.warehouse.exists():
        print("Der er intet lager endnu (kør `kkm2 run` først).", file=sys.stderr)
        return 2
    if running_writer(home):
        print("En kørsel er i gang; venter på, at den bliver færdig …", file=sys.stderr)
    with writer_lock(home):
        con = connect(home.warehouse, tmp_dir=home.tmp / "duckdb")
        try:
            ensure_schema(con)
            message = action(con)
            write_snapshot(con, home)
        except StewardError as e:
            print(str(e), file=sys.stderr)
            return 1
        finally:
            con.close()
    print(message)
    print("Ændringen udgives ved næste byggeri (`kkm2 run`, eller automatisk når Dagster kører).")
    return 0


def cmd_pin(args) -> int:
    from pipeline.states import pin

    def action(con):
        pin(con, args.kommune, args.aar, args.version, args.reason)
        return f"{args.kommune}/{args.aar}: version {args.version} er nu aktiv (fastlåst)."

    return _steward_action(args, action)


def cmd_unpin(args) -> int:
    from pipeline.states import unpin

    def action(con):
        v = unpin(con, args.kommune, args.aar, args.reason)
        return (
            f"{args.kommune}/{args.aar}: version {v} er ikke længere fastlåst; den nyeste godkendte er aktiv."
        )

    return _steward_action(args, action)


def cmd_releases(args) -> int:
    from pipeline.releases import list_releases

    home = home_from_env(args.home)
    rows = list_releases(home)
    if not rows:
        print("Ingen udgivelser endnu.")
        return 0
    print(f"{'udgivelse':22} {'bygget (UTC)':20} {'rækker':>9} {'kommuner':>8} {'modelsæt':16} officiel")
    for r in rows:
        mark = "* " if r["aktuel"] else "  "
        print(
            f"{mark}{r['release_id']:20} {(r['build_time'] or '')[:19]:20} {r['rows']:>9} {r['kommuner']:>8} "
            f"{r['modelsaet'] or '-':16} {r['officiel'] or ''}"
        )
    print("* den aktuelle udgivelse (current)")
    return 0


def cmd_release_freeze(args) -> int:
    from pipeline.releases import ReleaseError, freeze
    from pipeline.states import who

    home = home_from_env(args.home)
    try:
        freeze(home, args.release_id, args.name, who())
    except ReleaseError as e:
        print(str(e), file=sys.stderr)
        return 1
    print(f"Udgivelsen {args.release_id} er nu den officielle udgivelse '{args.name}' og bevares.")
    return 0


def cmd_sql(args) -> int:
    """SQL on a release (read-only; the current one unless --release)."""
    import csv

    import duckdb

    from pipeline.releases import ReleaseError, open_release, resolve

    home = home_from_env(args.home)
    try:
        con = open_release(resolve(home, args.release))
    except ReleaseError as e:
        print(str(e), file=sys.stderr)
        return 2
    try:
        rel = con.sql(args.query)
        if rel is None:
            return 0
        if args.csv:  # opened in spreadsheets too: text that would run as a formula is neutralised
            from pipeline.text import safe_cell

            w = csv.writer(sys.stdout, lineterminator="\n")
            w.writerow([safe_cell(c) for c in rel.columns])
            w.writerows([safe_cell(v) for v in row] for row in rel.fetchall())
        else:
            rel.show(max_rows=args.max_rows, max_width=10_000)
    except duckdb.Error as e:
        print(f"SQL-fejl: {e}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


def cmd_accept(args) -> int:
    from pipeline.states import accept

    def action(con):
        v = accept(con, args.kommune, args.aar, args.reason)
        return f"{args.kommune}/{args.aar}: version {v} er godkendt af stewarden og er nu aktiv."

    return _steward_action(args, action)


def cmd_report(args) -> int:
    """Write the benchlearning report of a release (the current one) into a folder, e.g. to preview it or
    to rebuild it with a map file. Every release already carries its report under report/."""
    from pipeline.releases import ReleaseError, resolve
    from pipeline.report import write_report

    if args.kort and not Path(args.kort).is_file():
        raise UsageError(f"Kortfilen {args.kort} findes ikke (--kort skal være en GeoJSON-fil).")
    out = folder_to_write(args.out).resolve()
    home = home_from_env(args.home)
    try:
        release = resolve(home, args.release)
    except ReleaseError as e:
        print(str(e), file=sys.stderr)
        return 2
    geo = Path(args.kort) if args.kort else home.reference / "kommunegraenser.geojson"
    failures: dict[str, str] = {}
    pages = write_report(release, geojson=geo if geo.exists() else None, out=out, failures=failures)
    print(f"Rapport for {release.name}: {out / 'report' / 'index.html'} ({len(pages)} sider)")
    for k, reason in sorted(failures.items()):
        print(f"{k}: {reason}", file=sys.stderr)
    return 1 if failures else 0


SERVE_KEEP_ALIVE_SECONDS = 5


def cmd_serve(args) -> int:
    """The submission service (pipeline/service): the HTTP API on `--host`:`--port`."""
    import uvicorn

    from pipeline.service.app import create_app, remove_stale_uploads, upload_pause_seconds

    home = home_from_env(args.home)
    try:
        upload_pause_seconds()
    except ValueError as e:
        raise UsageError(str(e)) from None
    if not home.root.is_dir():
        raise UsageError(f"{home.root} findes ikke eller er ikke en mappe; angiv en home med --home.")
    home.landing.mkdir(exist_ok=True)
    stale = remove_stale_uploads(home)
    if stale:
        print(f"Fjernede {stale} halve uploads fra en tidligere, afbrudt server.")
    print(
        f"kkm2 serve: http://{args.host}:{args.port}/ (siderne) og /api/v1/ (home {home.root}); stop med Ctrl+C.",
        flush=True,
    )
    uvicorn.run(
        create_app(home, https=args.https or os.environ.get("KKM2_HTTPS") == "1"),
        host=args.host,
        port=args.port,
        log_level="warning",
        # an idle connection is closed after this; a reverse proxy that keeps connections to the service must
        # give them up sooner (docs/deploy/nginx.conf: keepalive_timeout 4s in the upstream block)
        timeout_keep_alive=SERVE_KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=10,
        server_header=False,
        # X-Forwarded-Proto and X-Forwarded-For are believed only from the proxy's own addresses
        proxy_headers=True,
        forwarded_allow_ips=args.proxy,
    )
    return 0


def expiry_date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' er ikke en dato som 2027-12-31") from None


def kommune_list(text: str) -> list[str]:
    from pipeline.contract.codes import codes
    from pipeline.text import canonical_kommunekode

    out = []
    for part in text.split(","):
        k = canonical_kommunekode(part) if len(part) <= 8 else None
        if k is None or k not in codes("kommunekode"):
            raise argparse.ArgumentTypeError(f"'{part.strip()}' er ikke en af de 98 kommunekoder")
        out.append(k)
    return out


def rights_list(text: str) -> list[str]:
    from pipeline.service.tokens import RIGHTS

    out = [r.strip() for r in text.split(",") if r.strip()]
    bad = [r for r in out if r not in RIGHTS]
    if bad or not out:
        raise argparse.ArgumentTypeError(
            f"'{text}' er ikke rettigheder; vælg en eller flere af {', '.join(RIGHTS)}, adskilt af komma"
        )
    return out


def cmd_token_create(args) -> int:
    from pipeline.service.tokens import create, today

    if args.udloeber and args.udloeber < today():
        raise UsageError(f"Udløbsdatoen {args.udloeber} er passeret; angiv en dato fra i dag eller senere.")
    kommuner = sorted({k for group in args.kommune for k in group})
    secret, info = create(home_from_env(args.home), args.navn, kommuner, args.rettigheder, args.udloeber)
    print(
        f"Token {info.id} ({info.navn}) for {', '.join(info.kommuner)}: {', '.join(info.rettigheder)}", end=""
    )
    print(f", udløber {info.udloeber}" if info.udloeber else ", udløber ikke")
    print("Tokenet vises kun denne ene gang; giv det videre ad en sikker vej:")
    print(secret)
    return 0


def cmd_token_list(args) -> int:
    from pipeline.service.tokens import list_tokens

    rows = list_tokens(home_from_env(args.home))
    if not rows:
        print("Ingen tokens endnu (`kkm2 token opret`).")
        return 0
    print(f"{'id':10} {'navn':30} {'kommuner':20} {'rettigheder':16} {'udløber':10} tilstand")
    for t in rows:
        state = f"spærret {t.spaerret[:10]}" if t.spaerret else ("udløbet" if t.udloebet else "aktivt")
        print(
            f"{t.id:10} {t.navn[:30]:30} {','.join(t.kommuner)[:20]:20} {','.join(t.rettigheder):16} "
            f"{t.udloeber or '-':10} {state}"
        )
    return 0


def cmd_token_block(args) -> int:
    from pipeline.service.tokens import TokenError, block

    try:
        t = block(home_from_env(args.home), args.id)
    except TokenError as e:
        raise UsageError(str(e)) from None
    print(f"Token {t.id} ({t.navn}) er spærret fra {t.spaerret}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = DanishArgumentParser(prog="kkm2", description="kkm2: nøgletal for kommunale bygninger")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="kommando")
    r = sub.add_parser("run", help="indlæs alt i landing/, byg, kontrollér og udgiv")
    _home_arg(r)
    r.add_argument(
        "--verbose",
        action="store_true",
        help="vis dbt's, GX' og Dagsters egen udskrift i terminalen (ellers i en log i <home>/logs/)",
    )
    r.set_defaults(func=cmd_run)
    d = sub.add_parser("demo-data", help="skriv deterministiske demo-indberetninger i landing/")
    _home_arg(d)
    d.add_argument("--kommuner", type=int_between(1, 98), default=5, help="antal kommuner (1–98)")
    d.add_argument("--aar", type=int, nargs="+", default=[2023, 2024])
    d.add_argument("--seed", type=int, default=1)
    d.add_argument(
        "--scale",
        type=positive_float,
        help="national skala til benchmark: 1 = 98 kommuner, 10.000 bygninger, ~193 mio. rækker",
    )
    d.set_defaults(func=cmd_demo_data)
    v = sub.add_parser("validate", help="kontrollér filer før indsendelse (samme regler som kkm2)")
    _add_validate_args(v)
    from pipeline.contract.datasets import DATASETS

    t = sub.add_parser("template", help="skriv en skabelon (CSV eller XLSX) til et datasæt eller alle")
    t.add_argument("dataset", choices=[*DATASETS, "alle"])
    t.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    t.add_argument("--out", default=".", help="mappe (standard: den aktuelle)")
    t.set_defaults(func=cmd_template)
    st = sub.add_parser("status", help="hver kommunes indberetninger: datasæt, tilstand og rækker")
    _home_arg(st)
    st.add_argument("--aar", type=int, help="kun dette år")
    st.set_defaults(func=cmd_status)
    vs = sub.add_parser("versions", help="en indberetnings versioner")
    _home_arg(vs)
    vs.add_argument("kommune")
    vs.add_argument("aar", type=int)
    vs.set_defaults(func=cmd_versions)
    pn = sub.add_parser("pin", help="gør en arkiveret version aktiv, til den frigives")
    _home_arg(pn)
    pn.add_argument("kommune")
    pn.add_argument("aar", type=int)
    pn.add_argument("version", type=int)
    pn.add_argument("--reason", required=True, help="hvorfor (gemmes med hvem og hvornår)")
    pn.set_defaults(func=cmd_pin)
    up = sub.add_parser("unpin", help="frigiv en fastlåst indberetning")
    _home_arg(up)
    up.add_argument("kommune")
    up.add_argument("aar", type=int)
    up.add_argument("--reason", help="hvorfor")
    up.set_defaults(func=cmd_unpin)
    rl = sub.add_parser("releases", help="list udgivelserne")
    _home_arg(rl)
    rl.set_defaults(func=cmd_releases)
    re_ = sub.add_parser("release", help="gør noget ved en udgivelse")
    re_sub = re_.add_subparsers(dest="release_cmd", required=True, metavar="handling")
    fr = re_sub.add_parser("freeze", help="frys en udgivelse som årets officielle")
    _home_arg(fr)
    fr.add_argument("release_id")
    fr.add_argument("--name", required=True, help='navnet, fx "2024"')
    fr.set_defaults(func=cmd_release_freeze)
    q = sub.add_parser("sql", help="SQL mod den aktuelle udgivelse (skrivebeskyttet)")
    _home_arg(q)
    q.add_argument("query")
    q.add_argument("--csv", action="store_true", help="CSV i stedet for en tabel")
    q.add_argument("--release", help="en udgivelses id eller officielle navn (standard: den aktuelle)")
    q.add_argument("--max-rows", type=int, default=1000)
    q.set_defaults(func=cmd_sql)
    ac = sub.add_parser("accept", help="godkend en version, der venter på stewarden (gate 2)")
    _home_arg(ac)
    ac.add_argument("kommune")
    ac.add_argument("aar", type=int)
    ac.add_argument("--reason", required=True, help="hvorfor (gemmes med hvem og hvornår)")
    ac.set_defaults(func=cmd_accept)
    rp = sub.add_parser("report", help="skriv benchlearning-rapporten for en udgivelse i en mappe")
    _home_arg(rp)
    rp.add_argument("--out", required=True, help="mappen rapporten skrives i")
    rp.add_argument("--release", help="udgivelsens id eller officielle navn (standard: den aktuelle)")
    rp.add_argument(
        "--kort",
        help="kommunegrænser som GeoJSON (standard: reference/kommunegraenser.geojson; uden dem et skematisk kort)",
    )
    rp.set_defaults(func=cmd_report)
    g = sub.add_parser("generate", help="gendan filer afledt af kontrakten og nøgletalskataloget")
    g.set_defaults(func=cmd_generate)
    sv = sub.add_parser(
        "serve", help="start indberetningstjenesten (HTTP-API'et for leverandører og kommuner)"
    )
    _home_arg(sv)
    sv.add_argument("--host", default="127.0.0.1", help="adressen der lyttes på (standard: 127.0.0.1)")
    sv.add_argument("--port", type=int_between(1, 65535), default=8021, help="porten (standard: 8021)")
    sv.add_argument(
        "--https",
        action="store_true",
        help="tjenesten nås via https (bag en reverse proxy med TLS): sidernes cookies sendes kun over https "
        "(Secure); også KKM2_HTTPS=1",
    )
    sv.add_argument(
        "--proxy",
        default="127.0.0.1,::1",
        metavar="ADRESSER",
        help="de adresser, en reverse proxy kalder fra: kun fra dem stoles der på X-Forwarded-Proto og "
        "X-Forwarded-For (kommasepareret; standard: 127.0.0.1,::1, en proxy på samme maskine)",
    )
    sv.set_defaults(func=cmd_serve)
    tk = sub.add_parser("token", help="API-tokens til tjenesten: opret, liste, spær")
    tk_sub = tk.add_subparsers(dest="token_cmd", required=True, metavar="handling")
    to = tk_sub.add_parser("opret", help="opret et token (vises kun én gang)")
    _home_arg(to)
    to.add_argument(
        "--kommune",
        "--kommuner",
        dest="kommune",
        type=kommune_list,
        action="append",
        required=True,
        help="kommunekode; gentag eller adskil med komma for en leverandørs kommuner",
    )
    to.add_argument("--navn", required=True, help='hvem tokenet er til, fx "Aalborg Kommune, CAFM"')
    to.add_argument(
        "--rettigheder", type=rights_list, required=True, help="indberet og/eller laes, fx indberet,laes"
    )
    to.add_argument("--udloeber", type=expiry_date, help="sidste gyldige dag, fx 2027-12-31")
    to.set_defaults(func=cmd_token_create)
    tl = tk_sub.add_parser("liste", help="list tokens (uden hemmeligheden)")
    _home_arg(tl)
    tl.set_defaults(func=cmd_token_list)
    ts = tk_sub.add_parser("spaer", help="spær et token")
    _home_arg(ts)
    ts.add_argument("id", help="tokenets id (se `kkm2 token liste`)")
    ts.set_defaults(func=cmd_token_block)
    return p


def _add_validate_args(v: argparse.ArgumentParser) -> None:
    v.add_argument("paths", nargs="+", help="filer eller en indberetningsmappe")
    v.add_argument("--kommune", default="0101", help="kommunekode filerne indberettes for")
    v.add_argument("--aar", type=int, default=2024, help="indberetningsåret")
    v.add_argument("--json", action="store_true", help="fund som JSON")
    v.set_defaults(func=cmd_validate)


def main(argv: list[str] | None = None) -> int:
    def call():
        args = build_parser().parse_args(argv)
        if isinstance(getattr(args, "kommune", None), str):
            from pipeline.text import canonical_kommunekode

            args.kommune = canonical_kommunekode(args.kommune) or args.kommune
        return args.func(args)

    return guarded("kkm2", call)


def validate_main(argv: list[str] | None = None) -> int:
    def call():
        v = DanishArgumentParser(prog="kkm2-validate", description="Kontrollér filer før indsendelse")
        _add_validate_args(v)
        args = v.parse_args(argv)
        return args.func(args)

    return guarded("kkm2-validate", call)


OS_ERRORS_DA = {
    errno.ENOENT: "findes ikke",
    errno.ENOTDIR: "en del af stien er ikke en mappe",
    errno.EISDIR: "er en mappe, ikke en fil",
    errno.EEXIST: "findes allerede",
    errno.EACCES: "ingen adgang",
    errno.EPERM: "ikke tilladt",
    errno.ENOSPC: "disken er fuld",
    errno.EROFS: "kan kun læses",
}


def guarded(prog: str, call) -> int:
    """A command's exit code, and never a traceback: a usage problem is a Danish message (exit 2), a closed
    pipe (`kkm2 status | head`) stops quietly, an unexpected error is named in Danish (exit 1; the traceback
    only with KKM2_TRACEBACK=1)."""
    try:
        return call()
    except UsageError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # whoever read our output stopped reading: the rest goes nowhere, and Python's exit flush stays quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(
            f"{prog}: udskriften blev lukket undervejs (fx af `head`); resten er ikke skrevet.",
            file=sys.stderr,
        )
        return 141
    except KeyboardInterrupt:
        print(f"{prog}: afbrudt.", file=sys.stderr)
        return 130
    except OSError as e:  # a path that is not there, not a folder, not ours to write
        why = OS_ERRORS_DA.get(e.errno, e.strerror or type(e).__name__)
        print(f"{prog}: {e.filename or 'en fil'}: {why}.", file=sys.stderr)
        return 1
    except Exception as e:
        if os.environ.get("KKM2_TRACEBACK"):
            raise
        print(
            f"{prog}: intern fejl ({type(e).__name__}: {str(e)[:300]}). Det er ikke noget, du har gjort forkert; "
            "kør igen med KKM2_TRACEBACK=1 for detaljer, og send dem til stewarden.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
