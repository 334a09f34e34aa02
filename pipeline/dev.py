"""`make dev`: the Dagster UI (`dagster dev`), stopped at once by Ctrl-C or SIGTERM.

On its own, `dagster dev` asks its webserver, daemon and code server to stop and waits up to 60 s for each;
they took ~40 s. Here `dagster dev` runs in a process group of its own: a stop signal is passed on as Ctrl-C,
and whatever of the group is still alive after DEV_STOP_S is killed. A run the daemon had started is then
left as started; the daemon's run monitoring marks it failed at the next start, and `kkm2 run` never
waits on it (pipeline.run.recover_dead_runs)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

DEV_STOP_S = 8.0  # how long the Dagster processes get to stop by themselves


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    exe = os.path.join(os.path.dirname(sys.executable), "dagster")
    child = subprocess.Popen([exe, "dev", *args], start_new_session=True)
    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\nkkm2 dev: stopper Dagster …", file=sys.stderr, flush=True)
        try:
            os.killpg(child.pid, signal.SIGINT)
        except ProcessLookupError:
            return

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while child.poll() is None and not stopping:
        time.sleep(0.2)
    deadline = time.monotonic() + DEV_STOP_S
    while stopping and _group_alive(child.pid) and time.monotonic() < deadline:
        child.poll()
        time.sleep(0.2)
    if _group_alive(child.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
    rc = child.wait()
    if stopping:
        print("kkm2 dev: Dagster er stoppet.", file=sys.stderr, flush=True)
        return 0
    return rc


if __name__ == "__main__":
    sys.exit(main())
