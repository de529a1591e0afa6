"""Benchmark: the one-pass .xlsx reader and the offline audit against openpyxl, in one run.

Run: .venv/bin/python benchmarks/reader_bench.py          (a, b, c below)
     .venv/bin/python benchmarks/reader_bench.py --cli    (adds d: one process per workbook)

Real workbooks come from SHEETBRAIN_REAL_WORKBOOKS (default: the 35 development
workbooks in /work/shared/eval-dev/workbooks); the generated ones are written the way
Excel saves them (shared formulas, cached values; benchmarks/workbook_corpus.py).

Prints, each time as the best of several alternating runs and a ratio to its baseline:
  a. reading formulas and cached values: our reader vs openpyxl, which needs two loads
     (data_only=False, then data_only=True);
  b. the offline audit (read + audit every sheet, what `sheetbrain audit` does before
     printing) vs openpyxl merely loading the workbook (read_only) and tokenizing every
     formula with its Tokenizer; our time split into reading and engine;
  c. scaling on one generated sheet of 20k, 100k and 1M cells, with one shape per formula
     column and with 1,000 shapes: time per cell and peak memory (RSS) of the audit, each
     size in its own process, beside openpyxl load + tokenize;
  d. (--cli) `sheetbrain audit FILE --format json` as a process per real workbook vs a
     process per workbook running openpyxl load + tokenize: interpreter start and
     imports included, as a command-line measurement sees them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import openpyxl
from openpyxl.formula.tokenizer import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workbook_corpus  # sibling modules: benchmarks/ is not a package
from formula_bench import best_times
from sheetbrain.formulas import audit
from sheetbrain.offline.readers import MAX_CELLS, read_cells
from sheetbrain.offline.xlsx import read_xlsx

REAL_WORKBOOKS = Path(
    os.environ.get("SHEETBRAIN_REAL_WORKBOOKS", "/work/shared/eval-dev/workbooks")
)
SCALING_CELLS = (20_000, 100_000, 1_000_000)
MANY_SHAPES = 1_000
CELLS_PER_ROW = 50 / 7  # workbook_corpus: 7 cells a row, and one more every 7th row


def read_ours(paths: list[Path]) -> int:
    return sum(len(w.cells) for p in paths for w in read_xlsx(p, max_cells=MAX_CELLS).worksheets)


def read_openpyxl(paths: list[Path]) -> int:
    """Formulas, then cached values: openpyxl reads one or the other per load."""
    cells = 0
    for path in paths:
        for data_only in (False, True):
            book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
            for sheet in book.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    cells += sum(value is not None for value in row)
            book.close()
    return cells // 2


def audit_ours(paths: list[Path]) -> int:
    """Read and audit every sheet, as `sheetbrain audit` does before printing."""
    formulas = 0
    for path in paths:
        for sheet in read_cells(path):
            formulas += audit(sheet.cells, sheet=sheet.name).formula_count
    return formulas


def tokenize_openpyxl(paths: list[Path]) -> int:
    """openpyxl merely loading the workbook and tokenizing every formula."""
    formulas = 0
    for path in paths:
        book = openpyxl.load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    text = getattr(value, "text", value)  # array formulas
                    if isinstance(text, str) and text.startswith("="):
                        Tokenizer(text)
                        formulas += 1
        book.close()
    return formulas


def corpora(folder: Path) -> dict[str, list[Path]]:
    generated = [folder / "orders-100k.xlsx", folder / "orders-4x25k.xlsx"]
    workbook_corpus.write_workbook(generated[0], rows_per_sheet=14_000)
    workbook_corpus.write_workbook(generated[1], rows_per_sheet=3_500, sheets=4)
    return {
        f"{len(list(REAL_WORKBOOKS.glob('*.xlsx')))} real workbooks": sorted(
            REAL_WORKBOOKS.glob("*.xlsx")
        ),
        "2 generated workbooks": generated,
    }


def reading(sets: dict[str, list[Path]]) -> None:
    print("a. reading every cell's formula and cached value (best of 5)")
    print(f"   {'corpus':<22} {'cells':>9} {'reader s':>9} {'openpyxl s':>11} {'ratio':>6}")
    for name, paths in sets.items():
        ours, theirs = best_times(lambda p=paths: read_ours(p), lambda p=paths: read_openpyxl(p))
        print(
            f"   {name:<22} {read_ours(paths):>9,} {ours:>9.3f} {theirs:>11.3f} "
            f"{theirs / ours:>5.1f}x"
        )


def auditing(sets: dict[str, list[Path]]) -> None:
    print("b. offline audit (read + audit) vs openpyxl load + tokenize (best of 5)")
    print(
        f"   {'corpus':<22} {'formulas':>9} {'audit s':>8} {'(read s':>8} {'engine s)':>9} "
        f"{'openpyxl s':>11} {'ratio':>6}"
    )
    for name, paths in sets.items():
        ours, theirs, read = best_times(
            lambda p=paths: audit_ours(p),
            lambda p=paths: tokenize_openpyxl(p),
            lambda p=paths: [read_cells(path) for path in p],
        )
        print(
            f"   {name:<22} {audit_ours(paths):>9,} {ours:>8.3f} {read:>8.3f} "
            f"{ours - read:>9.3f} {theirs:>11.3f} {theirs / ours:>5.2f}x"
        )


def measure(kind: str, path: Path) -> None:
    """Child process: one job on one workbook; prints seconds and peak RSS as JSON."""
    started = time.perf_counter()
    read = 0.0
    shapes = 0
    if kind == "ours":
        sheets = read_cells(path)
        read = time.perf_counter() - started
        shapes = sum(audit(s.cells, sheet=s.name).unique_shape_count for s in sheets)
    else:
        tokenize_openpyxl([path])
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "read": read, "peak_mb": peak_mb(), "shapes": shapes}))


def peak_mb() -> float:
    """This process's peak RSS. Not getrusage's ru_maxrss: on Linux a child started by
    fork + exec inherits its parent's peak there; /proc's VmHWM belongs to this process."""
    status = Path("/proc/self/status").read_text()
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    return int(kilobytes) / 1024


def in_process(kind: str, path: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure", kind, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return result


def scaling(folder: Path) -> None:
    print("c. scaling: one sheet, each run in its own process (best of 2)")
    print(
        f"   {'cells':>9} {'shapes':>6} {'read us/cell':>12} {'audit us/cell':>13} "
        f"{'peak MB':>8} {'openpyxl us/cell':>16} {'peak MB':>8} {'ratio':>6}"
    )
    for thresholds in (1, MANY_SHAPES):
        for cells in SCALING_CELLS:
            path = folder / f"scale-{cells}-{thresholds}.xlsx"
            rows = round(cells / CELLS_PER_ROW)
            written = workbook_corpus.write_workbook(path, rows, thresholds=thresholds)
            ours = min((in_process("ours", path) for _ in range(2)), key=lambda r: r["seconds"])
            theirs = min(
                (in_process("openpyxl", path) for _ in range(2)), key=lambda r: r["seconds"]
            )
            print(
                f"   {written:>9,} {ours['shapes']:>6,} {ours['read'] / written * 1e6:>12.2f} "
                f"{ours['seconds'] / written * 1e6:>13.2f} {ours['peak_mb']:>8.0f} "
                f"{theirs['seconds'] / written * 1e6:>16.2f} {theirs['peak_mb']:>8.0f} "
                f"{theirs['seconds'] / ours['seconds']:>5.2f}x"
            )
            path.unlink()


def command_line(paths: list[Path]) -> None:
    print(f"d. one process per workbook, {len(paths)} real workbooks (one run)")
    sheetbrain = str(Path(sys.executable).parent / "sheetbrain")
    baseline = (
        "import sys, openpyxl; from openpyxl.formula.tokenizer import Tokenizer\n"
        "book = openpyxl.load_workbook(sys.argv[1], read_only=True)\n"
        "for sheet in book.worksheets:\n"
        "    for row in sheet.iter_rows(values_only=True):\n"
        "        for value in row:\n"
        "            text = getattr(value, 'text', value)\n"
        "            if isinstance(text, str) and text.startswith('='): Tokenizer(text)\n"
    )
    ours = theirs = 0.0
    for path in paths:
        for command, into in (
            ([sheetbrain, "audit", str(path), "--format", "json", "--fail-on", "never"], "ours"),
            ([sys.executable, "-W", "ignore", "-c", baseline, str(path)], "theirs"),
        ):
            started = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)  # noqa: S603
            if into == "ours":
                ours += time.perf_counter() - started
            else:
                theirs += time.perf_counter() - started
    print(
        f"   sheetbrain audit {ours:.2f} s, openpyxl load + tokenize {theirs:.2f} s: "
        f"ratio {theirs / ours:.2f}x"
    )


def main() -> None:
    warnings.simplefilter("ignore")  # openpyxl warns about headers and print areas
    with tempfile.TemporaryDirectory() as folder:
        sets = corpora(Path(folder))
        reading(sets)
        auditing(sets)
        scaling(Path(folder))
        if "--cli" in sys.argv:
            command_line(next(iter(sets.values())))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        warnings.simplefilter("ignore")
        measure(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
