"""Benchmark: our full audit vs openpyxl merely tokenizing every formula, in one run.

Run: .venv/bin/python benchmarks/formula_bench.py

Prints, for two corpus sizes (10x apart): formulas, unique shapes, audit and tokenize
times, the ratio tokenize_time / audit_time (target >= 1.0), formulas per second, and
precision/recall of the planted defects (warnings and errors only).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from openpyxl.formula.tokenizer import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))

import formula_corpus  # sibling module: benchmarks/ is not a package
from sheetbrain.formulas import CellInput, Severity, audit

REPEATS = 5


def best_times(*jobs: Callable[[], object]) -> list[float]:
    """Best wall time of each job; repetitions alternate so machine load hits all alike."""
    best = [float("inf")] * len(jobs)
    for _ in range(REPEATS):
        for index, job in enumerate(jobs):
            start = time.perf_counter()
            job()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def tokenize_all(formulas: list[str]) -> None:
    for formula in formulas:
        Tokenizer(formula)


def score(corpus: formula_corpus.Corpus) -> tuple[float, float, int, int]:
    report = audit(corpus.cells)
    raised = {
        (finding.rule_id, cell)
        for finding in report.findings
        if finding.severity.rank >= Severity.WARNING.rank
        for cell in finding.cells
    }
    hits = len(raised & corpus.planted)
    precision = hits / len(raised) if raised else 1.0
    return precision, hits / len(corpus.planted), len(raised), len(corpus.planted)


def main() -> None:
    print(
        f"{'tables':>6} {'formulas':>9} {'shapes':>7} {'audit s':>8} {'tokenize s':>10} "
        f"{'ratio':>6} {'formulas/s':>11} {'precision':>9} {'recall':>6}"
    )
    for tables in (20, 200):
        corpus = formula_corpus.build(tables)
        formulas = corpus.formulas
        audit_seconds, tokenize_seconds = best_times(
            lambda corpus=corpus: audit(corpus.cells),
            lambda formulas=formulas: tokenize_all(formulas),
        )
        shapes = audit(corpus.cells).unique_shape_count
        precision, recall, _, _ = score(corpus)
        print(
            f"{tables:>6} {len(formulas):>9,} {shapes:>7} {audit_seconds:>8.3f} "
            f"{tokenize_seconds:>10.3f} {tokenize_seconds / audit_seconds:>6.2f} "
            f"{len(formulas) / audit_seconds:>11,.0f} {precision:>9.2f} {recall:>6.2f}"
        )

    # Same number of formula cells, copied (one shape) vs all different (one shape each):
    # the difference is what a unique shape costs on top of a cell.
    count = 5_000
    copied = [CellInput(f"C{r}", f"=IF(B{r}=0,0,A{r}/B{r})") for r in range(1, count + 1)]
    distinct = [CellInput(f"C{r}", f"=IF(B{r}=0,0,A{r}/B{r}*{r}.5)") for r in range(1, count + 1)]
    copied_seconds, distinct_seconds = best_times(lambda: audit(copied), lambda: audit(distinct))
    print(
        f"\n{count:,} formula cells: 1 shape {copied_seconds:.3f} s, "
        f"{count:,} shapes {distinct_seconds:.3f} s "
        f"({distinct_seconds / copied_seconds:.0f}x: cost follows unique shapes)"
    )


if __name__ == "__main__":
    main()
