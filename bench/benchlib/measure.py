"""Timing: wall time with perf_counter around fork/exec/wait, peak RSS from wait4's rusage
(ru_maxrss covers the process across execve, so `vault exec -- true` reports vault's
own peak), alternation of tools within every iteration, medians."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Step:
    """One command of a measured unit."""
    argv: list[str]
    cwd: str
    env: dict[str, str]
    stdout: str | None = None  # a file to write stdout to (None: /dev/null)
    ok_codes: tuple[int, ...] = (0,)


@dataclass
class Case:
    """A tool's side of a scenario: a unit of one or more commands, timed as a whole.
    `prepare` runs before every measurement, outside the timed window (e.g. copy a
    fixture that the command mutates) and returns the steps to run."""
    name: str
    prepare: Callable[[int], list[Step]]
    every: int = 1  # take part in every n-th round only (for a peer 100× slower than the rest)
    reference: bool = False  # shown for context only: no ratio, no target
    samples: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "name": self.name,
            "median_s": statistics.median(self.samples) if self.samples else None,
            "min_s": min(self.samples) if self.samples else None,
            "max_s": max(self.samples) if self.samples else None,
            "samples_s": [round(s, 6) for s in self.samples],
            "peak_rss_mib": round(statistics.median(self.rss_kib) / 1024, 2) if self.rss_kib else None,
            "exit_codes": sorted(set(self.codes)),
            "runs": len(self.samples),
            "reference": self.reference,
        }


class CommandFailed(RuntimeError):
    pass


LAUNCHER: str | None = None  # bench-measure (see bench/measure.c), set by use_launcher()


def use_launcher(path: str | None):
    global LAUNCHER
    LAUNCHER = path


def run_step(step: Step) -> tuple[float, int, int]:
    """Runs one command; returns (wall seconds, peak RSS KiB, exit code). With the
    bench-measure launcher, the time and rusage come from it (fork/exec/wait4 in a tiny
    process); without it, from Python (peak RSS then includes Python's own size)."""
    out = open(step.stdout, "wb") if step.stdout else subprocess.DEVNULL
    try:
        if LAUNCHER:
            r, w = os.pipe()
            try:
                proc = subprocess.Popen([LAUNCHER, str(w), "--", *step.argv], cwd=step.cwd, env=step.env,
                                        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
                                        pass_fds=(w,))
            finally:
                os.close(w)
            err = proc.stderr.read()
            proc.wait()
            with os.fdopen(r) as f:
                line = f.read().split()
            if proc.returncode != 0 or len(line) != 3:
                raise CommandFailed(f"bench-measure failed for `{' '.join(step.argv)}`: {err.decode(errors='replace')}")
            wall, rss, code = int(line[0]) / 1e9, int(line[1]), int(line[2])
        else:
            t0 = time.perf_counter()
            proc = subprocess.Popen(step.argv, cwd=step.cwd, env=step.env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.PIPE)
            err = proc.stderr.read()
            _, status, ru = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
            rss, code = ru.ru_maxrss, proc.returncode
        proc.stderr.close()
    finally:
        if step.stdout:
            out.close()
    if code not in step.ok_codes:
        raise CommandFailed(f"`{' '.join(step.argv)}` in {step.cwd} exited {code}:\n"
                            f"{err.decode(errors='replace')[-3000:]}")
    return wall, rss, code


def measure_once(case: Case, i: int) -> tuple[float, int, int]:
    steps = case.prepare(i)
    total, peak, last = 0.0, 0, 0
    for step in steps:
        wall, rss, code = run_step(step)
        total += wall
        peak = max(peak, rss)
        last = code if code != 0 else last
    return total, peak, last


def alternate(cases: list[Case], iterations: int, warmup: int = 1, label: str = "",
              progress: bool = True) -> list[Case]:
    """Warm-up runs (discarded), then `iterations` rounds; in each round every case runs
    once, in an order rotated per round (A B C, B C A, …) so that no tool always runs
    first or last after another's cache effects."""
    for w in range(warmup):
        for case in cases:
            measure_once(case, -1 - w)
    n = len(cases)
    for it in range(iterations):
        order = [cases[(it + k) % n] for k in range(n)]
        for case in order:
            if it % case.every:
                continue
            wall, rss, code = measure_once(case, it)
            case.samples.append(wall)
            case.rss_kib.append(rss)
            case.codes.append(code)
        if progress:
            sys.stderr.write(f"\r  {label}: round {it + 1}/{iterations}   ")
            sys.stderr.flush()
    if progress:
        sys.stderr.write("\r" + " " * 70 + "\r")
    return cases


def median(case: Case) -> float:
    return statistics.median(case.samples)
