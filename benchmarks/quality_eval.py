"""Quality on real labelled workbooks: precision and recall per rule, and the noise.

Run: .venv/bin/python benchmarks/quality_eval.py [--set realworld|dev] [--min-severity S]

Two labelled sets, in the same format (`labels.csv`: workbook,sheet,cell,label with
`formula_error` or `missing_formula`; `reviewed_sheets.csv`; only reviewed sheets count):

- `realworld` (default): 36 public workbooks from 27 GitHub repositories (budgets,
  financial statements, engineering budgets, grade books, ...), labelled cell by cell
  by our team without running the engine; labels in `benchmarks/realworld/`, with a
  manifest naming each file's repository, commit and path. The workbooks themselves
  are not in this repository: set SHEETBRAIN_REALWORLD_DIR to the folder holding them
  (default `../shared/realworld/workbooks` beside the checkout).
- `dev`: the development half of the independent benchmark (35 workbooks), read from
  SHEETBRAIN_EVAL_DEV_DIR (default `../shared/eval-dev`).

Workbooks are read by the product's reader and audited as `sheetbrain audit` does by
default (errors and warnings; `--min-severity info` adds style notes). Prints, as the
independent measurement reads a report:
  formula task   error findings on formula cells vs `formula_error` labels
  all task       error findings on any cell vs both labels
  noise          non-error flagged cells per 1000 formula cells of the reviewed sheets
and per rule and severity: cells flagged, of which labelled (precision), and recall
per label type.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from sheetbrain.formulas import AuditConfig, Severity, audit
from sheetbrain.offline.readers import WorkbookReadError, read_cells

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
Key = tuple[str, str, str]  # workbook, sheet, cell


@dataclass(frozen=True)
class LabelledSet:
    workbooks: Path
    labels: dict[Key, str]
    reviewed: set[tuple[str, str]]


def labelled_set(name: str) -> LabelledSet:
    if name == "dev":
        root = Path(os.environ.get("SHEETBRAIN_EVAL_DEV_DIR", SHARED / "eval-dev"))
        labels_dir, workbooks = root, root / "workbooks"
    else:
        labels_dir = HERE / "realworld"
        default = SHARED / "realworld" / "workbooks"
        workbooks = Path(os.environ.get("SHEETBRAIN_REALWORLD_DIR", default))
    with (labels_dir / "labels.csv").open(newline="") as handle:
        labels = {
            (r["workbook"], r["sheet"], r["cell"]): r["label"] for r in csv.DictReader(handle)
        }
    with (labels_dir / "reviewed_sheets.csv").open(newline="") as handle:
        reviewed = {(r["workbook"], r["sheet"]) for r in csv.DictReader(handle)}
    return LabelledSet(workbooks, labels, reviewed)


@dataclass
class Scores:
    formula_cells: set[Key]
    flagged: dict[Key, Severity]  # the most severe finding of each flagged cell
    by_rule: dict[tuple[str, Severity], set[Key]]
    seconds: float


def run(labelled: LabelledSet, config: AuditConfig) -> Scores:
    scores = Scores(set(), {}, defaultdict(set), 0.0)
    books = sorted({book for book, _ in labelled.reviewed})
    started = time.perf_counter()
    for book in books:
        try:
            sheets = read_cells(labelled.workbooks / book)
        except WorkbookReadError as error:
            sys.exit(f"cannot read {book}: {error} (is the labelled set's folder right?)")
        for sheet in sheets:
            if (book, sheet.name) not in labelled.reviewed:
                continue
            scores.formula_cells |= {
                (book, sheet.name or "", c.address or "") for c in sheet.cells if c.formula
            }
            for finding in audit(sheet.cells, config, sheet=sheet.name).findings:
                for cell in finding.cells:
                    key = (book, sheet.name or "", cell)
                    scores.by_rule[(finding.rule_id, finding.severity)].add(key)
                    worst = scores.flagged.get(key)
                    if worst is None or finding.severity.rank > worst.rank:
                        scores.flagged[key] = finding.severity
    scores.seconds = time.perf_counter() - started
    return scores


def prf(flagged: set[Key], truth: set[Key]) -> tuple[float, float, float, int]:
    hits = len(flagged & truth)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, hits


def report(name: str, labelled: LabelledSet, scores: Scores) -> None:
    errors = {k for k, v in labelled.labels.items() if v == "formula_error"}
    missing = {k for k, v in labelled.labels.items() if v == "missing_formula"}
    error_cells = {k for k, v in scores.flagged.items() if v is Severity.ERROR}
    formula_task = prf(error_cells & scores.formula_cells, errors)
    all_task = prf(error_cells, errors | missing)
    noise = len(set(scores.flagged) - error_cells)
    per_thousand = 1000 * noise / max(1, len(scores.formula_cells))
    print(
        f"{name}: {len(labelled.reviewed)} sheets, {len(scores.formula_cells)} formula cells, "
        f"{len(errors)} formula errors and {len(missing)} missing formulas labelled "
        f"({scores.seconds:.1f} s)"
    )
    for task, (precision, recall, f1, hits) in (("formula", formula_task), ("all", all_task)):
        print(f"  {task:8s} P={precision:.2f} R={recall:.2f} F1={f1:.2f} ({hits} found)")
    print(f"  noise    {noise} non-error flagged cells = {per_thousand:.0f} per 1000 formula cells")
    print(f"  {'rule':34s} {'severity':8s} {'cells':>6s} {'labelled':>8s} {'precision':>9s}")
    counts = Counter({key: len(cells) for key, cells in scores.by_rule.items()})
    for (rule, severity), flagged in counts.most_common():
        cells = scores.by_rule[(rule, severity)]
        labelled_cells = len(cells & (errors | missing))
        print(
            f"  {rule:34s} {severity.value:8s} {flagged:6d} {labelled_cells:8d} "
            f"{labelled_cells / flagged:9.2f}"
        )
    for label, truth in (("formula_error", errors), ("missing_formula", missing)):
        caught = len(truth & error_cells)
        share = caught / len(truth) if truth else 0.0
        print(f"  recall of {label}: {caught}/{len(truth)} = {share:.2f} (error findings)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["realworld", "dev"], default="realworld")
    parser.add_argument("--min-severity", choices=["error", "warning", "info"], default="warning")
    arguments = parser.parse_args()
    labelled = labelled_set(arguments.set)
    config = AuditConfig(min_severity=Severity(arguments.min_severity))
    report(arguments.set, labelled, run(labelled, config))


if __name__ == "__main__":
    main()
