"""Measuring for the benchmark runner: targets, interleaved timings, child processes.

* :class:`Targets` prints every target as ``[MET ]`` or ``[MISSED]`` with its figure and
  lists the missed ones at the end.
* :func:`interleaved` times several contenders in one process, round by round (a noisy
  neighbour slows all of them alike), and gives the median of each.
* :func:`run_child` runs a command under a small watcher process with a timeout: wall
  time, exit status and the peak resident memory of the command and its children.
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Targets:
    missed: list[str] = field(default_factory=list)
    met: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool, figure: str) -> bool:
        line = f"{name}: {figure}"
        print(f"  [{'MET ' if ok else 'MISSED'}] {line}", flush=True)
        (self.met if ok else self.missed).append(line)
        return ok

    def summary(self) -> None:
        print(f"\n{len(self.met)} targets met, {len(self.missed)} missed.")
        for line in self.missed:
            print(f"  MISSED: {line}")


def ratio_text(ratio: float, limit: float) -> str:
    over = "" if ratio <= limit else f", {ratio / limit:.2f}× over the target"
    return f"{ratio:.2f}× (target ≤ {limit:g}×{over})"


def interleaved(contenders: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Every contender once per round, in a rotating order; the seconds of each run."""
    names = list(contenders)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            gc.collect()
            start = time.perf_counter()
            out = contenders[name]()
            times[name].append(time.perf_counter() - start)
            del out
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# The watcher: a small process whose only child is the command, so that its children's
# peak resident memory (``RUSAGE_CHILDREN``: the largest of the command and every process
# it waited for) is the command's own — a child forked from a large process could report
# the large one's pages, and ``ru_maxrss`` survives exec.
WATCHER = r"""
import json, os, resource, signal, subprocess, sys, time
timeout, output, cmd = float(sys.argv[1]), sys.argv[2], sys.argv[3:]
start = time.perf_counter()
with open(output, "wb") as sink:
    proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the command's whole session, started above
        _, err = proc.communicate()
        timed_out = True
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "rc": proc.returncode,
    "timed_out": timed_out,
    "peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "stderr": err.decode(errors="replace")[-2000:],
}))
"""


@dataclass
class Child:
    seconds: float
    rc: int
    timed_out: bool
    peak_mib: float
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out

    def failure(self) -> str:
        if self.timed_out:
            return f"timeout after {self.seconds:.0f} s"
        return f"exit status {self.rc}: {self.stderr.strip().splitlines()[-1] if self.stderr.strip() else ''}"

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout.strip().splitlines()[-1]) if self.ok else {}


def run_child(cmd: Sequence[str], timeout: float) -> Child:
    """Run ``cmd`` with a timeout; its wall time, status, peak memory and output."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stdout"
        watcher = subprocess.run(
            [sys.executable, "-c", WATCHER, str(timeout), str(out), *cmd],
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(watcher.stdout)
        stdout = out.read_text(errors="replace")
    return Child(got["seconds"], got["rc"], got["timed_out"], got["peak_mib"], stdout, got["stderr"])


def python_child(code: str, *args: str, timeout: float) -> Child:
    """Run Python source in a fresh interpreter (this one's) under :func:`run_child`."""
    return run_child([sys.executable, "-c", code, *args], timeout)
