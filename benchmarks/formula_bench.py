"""Benchmark: our full audit vs openpyxl merely tokenizing every formula, in one run.

Run: .venv/bin/python benchmarks/formula_bench.py          (speed, per-rule scores)
     .venv/bin/python benchmarks/formula_bench.py --cli N  (CLI on an N-formula .xlsx)

Prints, for two corpus sizes (10x apart): formulas, unique shapes, audit and tokenize
times, the ratio tokenize_time / audit_time (target >= 1.0), formulas per second, and
precision/recall of the planted defects (warnings and errors only); then precision
and recall per rule, for all error-severity findings, and the false alarms on a
corpus without defects.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from openpyxl.formula.tokenizer import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))

import formula_corpus  # sibling module: benchmarks/ is not a package
from sheetbrain.formulas import CellInput, Severity, audit, rule_catalog

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


def raised_by(corpus: formula_corpus.Corpus) -> dict[tuple[str, str], Severity]:
    """(rule id, cell) -> severity of every finding on the corpus."""
    return {
        (finding.rule_id, cell): finding.severity
        for finding in audit(corpus.cells).findings
        for cell in finding.cells
    }


def score(corpus: formula_corpus.Corpus) -> tuple[float, float, int, int]:
    """Precision and recall of warnings and errors against the planted defects of rules
    that report at that level (volatile functions and approximate lookups are notes)."""
    raised = {key for key, severity in raised_by(corpus).items() if severity.rank >= 2}
    notes = {info.rule_id for info in rule_catalog() if info.severity.rank < 2}
    planted = {key for key in corpus.planted if key[0] not in notes}
    hits = len(raised & planted)
    precision = hits / len(raised) if raised else 1.0
    return precision, hits / len(planted), len(raised), len(planted)


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "-"


def per_rule_table(corpus: formula_corpus.Corpus, clean: formula_corpus.Corpus) -> None:
    """Precision/recall per rule (every severity), for error findings, and on clean sheets."""
    raised = raised_by(corpus)
    rules = sorted({rule for rule, _ in raised} | {rule for rule, _ in corpus.planted})
    print(f"\n{'rule':<32} {'planted':>7} {'raised':>6} {'hits':>5} {'precision':>9} {'recall':>6}")
    for rule in rules:
        planted = {key for key in corpus.planted if key[0] == rule}
        found = {key for key in raised if key[0] == rule}
        hits = len(found & planted)
        print(
            f"{rule:<32} {len(planted):>7} {len(found):>6} {hits:>5} "
            f"{_ratio(hits, len(found)):>9} {_ratio(hits, len(planted)):>6}"
        )
    errors = {key for key, severity in raised.items() if severity is Severity.ERROR}
    planted_errors = {key for key in corpus.planted if key in errors}
    print(
        f"{'all error-severity findings':<32} {'':>7} {len(errors):>6} "
        f"{len(planted_errors):>5} {_ratio(len(planted_errors), len(errors)):>9}"
    )
    alarms = raised_by(clean)
    by_severity = {s.value: sum(1 for v in alarms.values() if v is s) for s in Severity}
    formulas = len(clean.formulas)
    print(f"clean corpus ({formulas:,} formulas, no defects): false alarms {by_severity}")
    for (rule, cell), severity in sorted(alarms.items())[:5]:
        print(f"  e.g. {severity.value:<7} {rule} {cell}")


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

    per_rule_table(formula_corpus.build(40), formula_corpus.build(40, seed=7, defects_per_table=0))


def time_cli(formulas: int) -> None:
    """Write a workbook of at least `formulas` formulas and time `sheetbrain audit` on it."""
    low, high = 1, 2
    while len(formula_corpus.build(high).formulas) < formulas:
        low, high = high, high * 2
    while low < high:  # fewest tables reaching `formulas`
        middle = (low + high) // 2
        if len(formula_corpus.build(middle).formulas) < formulas:
            low = middle + 1
        else:
            high = middle
    corpus = formula_corpus.build(high)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.xlsx"
        formula_corpus.write_xlsx(corpus, path)
        command = [str(Path(sys.executable).parent / "sheetbrain"), "audit", str(path)]
        start = time.perf_counter()
        # our own CLI on a file written just above
        subprocess.run([*command, "--format", "json"], stdout=subprocess.DEVNULL, check=False)  # noqa: S603
        seconds = time.perf_counter() - start
    print(f"sheetbrain audit: {len(corpus.formulas):,} formulas in one .xlsx, {seconds:.1f} s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--cli"]:
        time_cli(int(sys.argv[2]) if len(sys.argv) > 2 else 50_000)
    else:
        main()
