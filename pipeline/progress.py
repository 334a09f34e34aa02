"""What `kkm2 run` shows while it works: one live line per stage, in Danish (municipalities done of all, rows
per second, elapsed time), drawn by rich on a terminal and written as plain lines elsewhere (CI, cron).

The pipeline's steps announce themselves with `task(...)` and `advance(...)` wherever they run (the Dagster
assets, in process); with no display attached (the Dagster UI, the daemon, tests) both cost nothing. The
command attaches one with `display(...)`, and `quiet_output(...)` sends everything else the steps print (dbt's
and GX's own output, Dagster's log) to a log file in the home."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pipeline.text import da_number

# The stages a build goes through, by the name the steps use, with their Danish names and what they count
STAGES = {
    "forberedelse": ("Finder ændrede indberetninger", None),
    "indlaesning": ("Indlæsning og kontrol (gate 1)", "kommuner"),
    "dbt": ("Byg datamodellen (dbt)", "modeller"),
    "kontrol": ("Kvalitetsporte (gate 2 og 3)", None),
    "status": ("Indberetningsstatus (dbt)", "modeller"),
    "udgivelse": ("Udgivelse og rapport", None),
}
PLAIN_EVERY_S = 10.0  # plain output: a progress line at most this often per stage, besides start and end


@dataclass
class Task:
    name: str
    total: int | None
    unit: str | None
    done: int = 0
    rows: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def label(self) -> str:
        return STAGES.get(self.name, (self.name, None))[0]

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def counts(self) -> str:
        """'3 af 5 kommuner · 1.234.567 rækker (45.678 rækker/s)', as far as the stage counts anything."""
        parts = []
        if self.unit:
            parts.append(
                f"{da_number(self.done)} af {da_number(self.total)} {self.unit}"
                if self.total is not None
                else f"{da_number(self.done)} {self.unit}"
            )
        if self.rows:
            rate = self.rows / max(self.elapsed(), 1e-3)
            parts.append(f"{da_number(self.rows)} rækker ({da_number(round(rate))} rækker/s)")
        return " · ".join(parts)


def seconds(s: float) -> str:
    s = round(s)
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


class PlainDisplay:
    """Lines, for output that is not a terminal: a stage's start, its progress now and then, its end."""

    def __init__(self, out: TextIO):
        self.out = out
        self.last: dict[str, float] = {}

    def _line(self, text: str) -> None:
        self.out.write(f"{time.strftime('%H:%M:%S')} {text}\n")
        self.out.flush()

    def say(self, text: str) -> None:
        self._line(text)

    def begin(self, t: Task) -> None:
        self.last[t.name] = time.monotonic()
        self._line(f"{t.label} …")

    def update(self, t: Task) -> None:
        if time.monotonic() - self.last.get(t.name, 0) >= PLAIN_EVERY_S:
            self.last[t.name] = time.monotonic()
            self._line(f"  {t.label}: {t.counts()}, {seconds(t.elapsed())}")

    def end(self, t: Task, ok: bool) -> None:
        counts = t.counts()
        self._line(
            f"{t.label}: {'færdig' if ok else 'stoppet'}{', ' + counts if counts else ''}, {seconds(t.elapsed())}"
        )

    def close(self) -> None:
        pass


class RichDisplay:
    """rich's live progress: one line per stage, kept on screen when the stage is done."""

    def __init__(self, out: TextIO):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = Console(file=out, force_terminal=True)
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=self.console,
            redirect_stdout=False,
            redirect_stderr=False,
            refresh_per_second=4,
        )
        self.ids: dict[int, int] = {}
        self.progress.start()

    def say(self, text: str) -> None:
        self.progress.console.print(text, highlight=False, markup=False)

    def begin(self, t: Task) -> None:
        self.ids[id(t)] = self.progress.add_task(t.label, total=t.total, counts=t.counts())

    def update(self, t: Task) -> None:
        self.progress.update(self.ids[id(t)], completed=t.done, counts=t.counts())

    def end(self, t: Task, ok: bool) -> None:
        label = t.label if ok else f"{t.label} [red](stoppet)[/]"
        total = t.total if t.total is not None else max(t.done, 1)
        done = total if ok else t.done
        self.progress.update(
            self.ids[id(t)], description=label, total=total, completed=done, counts=t.counts()
        )
        self.progress.stop_task(self.ids[id(t)])

    def close(self) -> None:
        self.progress.stop()


_display: PlainDisplay | RichDisplay | None = None
_tasks: list[Task] = []
_lock = threading.Lock()


@contextlib.contextmanager
def task(name: str, total: int | None = None) -> Iterator[Task | None]:
    """A stage of the run, shown while it lasts (nothing happens when no display is attached)."""
    if _display is None:
        yield None
        return
    t = Task(name, total, STAGES.get(name, (name, None))[1])
    with _lock:
        _tasks.append(t)
        _display.begin(t)
    ok = False
    try:
        yield t
        ok = True
    finally:
        with _lock:
            _tasks.remove(t)
            if _display is not None:
                _display.end(t, ok)


def advance(done: int = 0, rows: int = 0) -> None:
    """The innermost running stage did `done` more of what it counts, and read `rows` more rows."""
    if _display is None:
        return
    with _lock:
        if not _tasks:
            return
        t = _tasks[-1]
        t.done += done
        t.rows += rows
        _display.update(t)


def say(text: str) -> None:
    """A line for the person waiting (e.g. that the run queues behind another): on the display when one is
    attached, else on stderr."""
    with _lock:
        if _display is not None:
            _display.say(text)
            return
    print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def display(out: TextIO, live: bool | None = None) -> Iterator[None]:
    """Attach a display writing to `out`: rich's live lines on a terminal, plain lines otherwise."""
    global _display
    if live is None:
        live = out.isatty() and os.environ.get("TERM") != "dumb"
    _display = RichDisplay(out) if live else PlainDisplay(out)
    try:
        yield
    finally:
        with _lock:
            d, _display = _display, None
            _tasks.clear()
        d.close()


@contextlib.contextmanager
def quiet_output(log: Path) -> Iterator[TextIO]:
    """Everything written to this process's stdout and stderr meanwhile, by Python or by a child process
    (dbt, GX, Dagster's log), goes to `log`; yields a stream to what stdout was (the terminal), for the
    display and the summary."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    try:  # a real stream (a terminal, a pipe): keep its file descriptor open past the redirection
        fd = sys.stdout.fileno()
        terminal: TextIO = open(os.dup(fd), "w", encoding="utf-8", buffering=1, closefd=True)  # noqa: SIM115
        owned = True
    except (OSError, ValueError, io.UnsupportedOperation):  # an in-memory stream (pytest's capsys)
        terminal, owned = sys.stdout, False
    saved = {n: os.dup(n) for n in (1, 2)}
    old = sys.stdout, sys.stderr
    with open(log, "a", encoding="utf-8", buffering=1) as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        sys.stdout = sys.stderr = f
        try:
            yield terminal
        finally:
            sys.stdout, sys.stderr = old
            with contextlib.suppress(Exception):
                f.flush()
            for n, s in saved.items():
                os.dup2(s, n)
                os.close(s)
            if owned:
                terminal.flush()
                terminal.close()
