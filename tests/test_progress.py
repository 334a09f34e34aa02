"""What `kkm2 run` shows while it works (pipeline/progress.py): plain Danish lines per stage with counts and
rates, nothing at all when no display is attached, and everything else a step prints kept in the log file.
The whole command is tested in tests/test_operations.py (a pipe, --verbose) and tests/test_run_once.py (a
terminal)."""

from __future__ import annotations

import io
import re
import subprocess
import sys

from pipeline import progress


def test_plain_lines_name_the_stage_in_danish_with_counts_and_rate(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)  # every update is a line
    with progress.display(out, live=False):
        with progress.task("indlaesning", total=3):
            progress.advance(rows=1_234_567)
            progress.advance(done=1)
        with progress.task("kontrol"):
            pass
    lines = out.getvalue().splitlines()
    assert all(re.match(r"\d\d:\d\d:\d\d ", ln) for ln in lines)
    assert lines[0].endswith("Indlæsning og kontrol (gate 1) …")
    assert "0 af 3 kommuner · 1.234.567 rækker (" in lines[1] and "rækker/s)" in lines[1]
    assert "1 af 3 kommuner · 1.234.567 rækker" in lines[2]
    assert re.search(
        r"Indlæsning og kontrol \(gate 1\): færdig, 1 af 3 kommuner · 1\.234\.567 rækker", lines[3]
    )
    assert re.fullmatch(r"\d\d:\d\d:\d\d Kvalitetsporte \(gate 2 og 3\): færdig, \d+ s", lines[-1])


def test_a_failed_stage_says_it_stopped(monkeypatch):
    out = io.StringIO()
    try:
        with progress.display(out, live=False), progress.task("dbt", total=10):
            progress.advance(done=4)
            raise RuntimeError("dbt fejlede")
    except RuntimeError:
        pass
    assert "Byg datamodellen (dbt): stoppet, 4 af 10 modeller" in out.getvalue()


def test_without_a_display_the_steps_show_nothing_and_advance_is_harmless(capsys):
    with progress.task("indlaesning", total=2) as t:
        progress.advance(done=1, rows=10)
    assert t is None
    assert capsys.readouterr() == ("", "")


def test_quiet_output_sends_python_and_child_process_output_to_the_log(tmp_path):
    """Run in a child process of its own, so its stdout is a real pipe, as for `kkm2 run | tee`."""
    log = tmp_path / "logs" / "koersel.log"
    code = f"""
import os, subprocess, sys
from pipeline import progress
with progress.quiet_output({str(log)!r}) as terminal, progress.display(terminal, live=False):
    with progress.task("dbt", total=1):
        print("fra python")
        print("fra python til stderr", file=sys.stderr)
        subprocess.run(["sh", "-c", "echo fra barnet; echo barnets fejl >&2"])
        os.write(1, b"direkte paa fd 1\\n")
        progress.advance(done=1)
print("efter")
"""
    code = code.replace(f"{str(log)!r}", f"__import__('pathlib').Path({str(log)!r})")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    kept = log.read_text(encoding="utf-8")
    for text in ("fra python", "fra python til stderr", "fra barnet", "barnets fejl", "direkte paa fd 1"):
        assert text in kept
        assert text not in p.stdout + p.stderr
    assert "Byg datamodellen (dbt): færdig, 1 af 1 modeller" in p.stdout
    assert p.stdout.rstrip().endswith("efter") and "efter" not in kept  # all is as it was afterwards
