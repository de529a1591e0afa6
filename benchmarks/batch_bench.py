"""Benchmark: `sheetbrain audit FOLDER` with --jobs 1 vs --jobs 2, in one run.

Run: .venv/bin/python benchmarks/batch_bench.py

Writes 50 workbooks (formula_corpus, a different seed each) to a temporary folder, then
times the CLI end to end (process start, workers, reading, auditing, one JSON report)
with --jobs 1 and --jobs 2, alternating, best of REPEATS. Prints both times, the ratio
jobs-1 time / jobs-2 time (on 2 idle cores at most 2), the same ratio for the time beyond
a baseline measured in the same run (the command on an empty folder: its start, which no
number of workers shortens), and whether both reports are byte for byte the same.

Then one sampled run each (psutil over the process tree, /proc VmHWM: Linux): the CPU
seconds all processes of a run used (the work the workers add, whatever the load), and
the peak memory of the command's own process and of its largest child over the first 10
workbooks and over all 50: memory follows the largest workbook, not the number of
workbooks, so those ratios stay near 1.

Linux shares CPU fairly between sessions (autogroup), not processes: while other
sessions keep the cores busy, more workers cannot get this run more CPU, and the time
ratio falls towards (or below) 1. The load average is printed with the figures.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import formula_corpus  # sibling module: benchmarks/ is not a package

WORKBOOKS = 50
TABLES_PER_WORKBOOK = 10
REPEATS = 3
SHEETBRAIN = str(Path(sys.executable).parent / "sheetbrain")
SAMPLE_SECONDS = 0.02


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float  # every process of the run
    command_mb: float  # peak memory of the command's own process
    largest_child_mb: float  # peak memory of its largest child (a worker)


def write_workbooks(folder: Path) -> int:
    """The generated workbooks; returns their formula count."""
    formulas = 0
    for index in range(WORKBOOKS):
        corpus = formula_corpus.build(TABLES_PER_WORKBOOK, seed=index)
        formula_corpus.write_xlsx(corpus, folder / f"model-{index:02}.xlsx")
        formulas += len(corpus.formulas)
    return formulas


def audit_command(paths: list[Path], jobs: int) -> list[str]:
    return [SHEETBRAIN, "audit", *map(str, paths), "--format", "json", "--jobs", str(jobs)]


def timed(command: list[str]) -> tuple[float, bytes]:
    start = time.perf_counter()
    # our own CLI on files written by this script
    done = subprocess.run(command, capture_output=True, check=False)  # noqa: S603
    return time.perf_counter() - start, done.stdout


def _high_water_kib(pid: int) -> int:
    """A process's peak resident memory so far (VmHWM): it only grows, so late samples do."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def sampled(command: list[str]) -> Usage:
    """CPU time and peak memory of a run, read from each of its processes while they live."""
    # our own CLI on files written by this script
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    root = psutil.Process(process.pid)
    cpu: dict[int, float] = {}
    peaks: dict[int, int] = {}
    while process.poll() is None:
        with contextlib.suppress(psutil.Error, OSError):  # a process may end mid-sample
            for member in [root, *root.children(recursive=True)]:
                times = member.cpu_times()
                cpu[member.pid] = times.user + times.system
                peaks[member.pid] = max(peaks.get(member.pid, 0), _high_water_kib(member.pid))
        time.sleep(SAMPLE_SECONDS)
    command_kib = peaks.pop(process.pid, 0)
    return Usage(sum(cpu.values()), command_kib / 1024, max(peaks.values(), default=0) / 1024)


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder, empty = Path(name) / "models", Path(name) / "empty"
        folder.mkdir()
        empty.mkdir()
        formulas = write_workbooks(folder)
        print(f"{WORKBOOKS} generated workbooks, {formulas:,} formulas")
        commands = {
            "empty": audit_command([empty], 1),
            1: audit_command([folder], 1),
            2: audit_command([folder], 2),
        }
        best = dict.fromkeys(commands, float("inf"))
        reports: dict[object, bytes] = {}
        for _ in range(REPEATS):  # alternate, so machine load hits all alike
            for key, command in commands.items():
                seconds, reports[key] = timed(command)
                best[key] = min(best[key], seconds)
        start = best["empty"]
        print(f"baseline (the command on an empty folder): {start:.2f} s")
        print(f"{'jobs':>4} {'seconds':>8} {'files/s':>8} {'formulas/s':>11}")
        for jobs in (1, 2):
            seconds = best[jobs]
            print(
                f"{jobs:>4} {seconds:>8.2f} {WORKBOOKS / seconds:>8.1f} "
                f"{formulas / seconds:>11,.0f}"
            )
        print(f"ratio jobs-1 / jobs-2: {best[1] / best[2]:.2f}")
        print(f"ratio beyond the baseline: {(best[1] - start) / (best[2] - start):.2f}")
        print(f"reports identical: {'yes' if reports[1] == reports[2] else 'NO'}")
        alone, fifty = sampled(commands[1]), sampled(commands[2])
        ten = sampled(audit_command(sorted(folder.iterdir())[:10], 2))
        print(
            f"CPU seconds, all processes: jobs 1 {alone.cpu_seconds:.2f}, "
            f"jobs 2 {fifty.cpu_seconds:.2f}, ratio {fifty.cpu_seconds / alone.cpu_seconds:.2f}"
        )
        for role, small, large in (
            ("command", ten.command_mb, fifty.command_mb),
            ("largest child", ten.largest_child_mb, fifty.largest_child_mb),
        ):
            print(
                f"peak memory, {role} (--jobs 2): 10 workbooks {small:.0f} MB, "
                f"{WORKBOOKS} workbooks {large:.0f} MB, ratio {large / small:.2f}"
            )
        print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
