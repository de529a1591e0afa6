"""Audit many files in worker processes; each file comes back as a compact FileResult.

A worker reads one file, audits it and returns counts and findings only, so the parent
holds a few records per file and a worker's memory is that of the largest file it read,
never the sum of the files of the run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sheetbrain.formulas import AuditConfig, AuditReport, Finding, Severity, audit
from sheetbrain.offline.discover import Target
from sheetbrain.offline.readers import MAX_FILE_BYTES, WorkbookReadError, read_cells
from sheetbrain.offline.records import FileResult, FindingRecord, ShapeRecord, SheetResult

if TYPE_CHECKING:
    from concurrent.futures import Future
    from multiprocessing.context import BaseContext

# A fresh worker after this many files, so whatever a reader or the engine keeps cannot
# pile up over a run of thousands of files (one process auditing the same six workbooks
# over and over grew by about 1 MB a round); a fresh worker is a fork of the fork server.
MAX_FILES_PER_WORKER = 50
# Imported once by the fork server, so every worker starts with them loaded; "__main__"
# (the `sheetbrain` script) spares each worker from importing it again when it starts.
FORKSERVER_PRELOAD = ["__main__", "sheetbrain.offline.batch"]
# The keys of the add-on's request shapes (seed/ADDON_CONTRACT.md).
_ADDON_KEYS = frozenset({"formulas", "context", "sheetContext", "data"})


@dataclass(frozen=True, slots=True)
class AuditOptions:
    sheet: str | None = None
    max_nesting: int = 3
    min_severity: Severity = Severity.WARNING  # the command's default
    min_confidence: float = 0.0
    with_shapes: bool = False  # the JSON report lists each sheet's shapes


def default_jobs() -> int:
    """The CPUs this process may run on (fewer than the machine's in a container)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def audit_files(
    targets: Sequence[Target],
    options: AuditOptions,
    jobs: int,
    on_done: Callable[[FileResult], None] = lambda result: None,
) -> list[FileResult]:
    """Audit every target, `jobs` at a time; results in the order they finished.

    With jobs > 1 the workers import the caller's main module, so a script calling this
    needs the usual `if __name__ == "__main__":` guard.
    """
    if jobs == 1 or len(targets) < 2:
        results = []
        for target in targets:
            results.append(audit_file(target, options))
            on_done(results[-1])
        return results
    # the pool's modules are a tenth of the command's start-up: a run of one file,
    # like the pre-commit hook's usual call, never loads them
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(
        max_workers=min(jobs, len(targets)),
        mp_context=_worker_context(),
        max_tasks_per_child=MAX_FILES_PER_WORKER,
    ) as pool:
        futures = {pool.submit(audit_file, target, options): target for target in targets}
        results = []
        for future in as_completed(futures):
            results.append(_outcome(future, futures[future]))
            on_done(results[-1])
        return results


def _worker_context() -> BaseContext:
    """Workers forked from a clean server process that has imported the engine once.

    Not plain fork: the parent runs a progress thread, and forking a threaded process can
    deadlock (max_tasks_per_child refuses fork anyway). Not plain spawn where it can be
    helped: each spawned worker would import the `sheetbrain` command again (about 0.6 s).
    """
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # Windows
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(FORKSERVER_PRELOAD)
    return context


def _outcome(future: Future[FileResult], target: Target) -> FileResult:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        reason = "the worker process auditing it stopped (out of memory?)"
        return FileResult(target.path, unreadable=reason)


def audit_file(target: Target, options: AuditOptions) -> FileResult:
    """Read and audit one file (in a worker process): counts and findings, no cells."""
    path = Path(target.path)
    try:
        if not target.explicit and path.suffix.lower() == ".json" and not _is_request(path):
            return FileResult(target.path, skipped="not an add-on request")
        config = AuditConfig(
            max_nesting=options.max_nesting,
            min_severity=options.min_severity,
            min_confidence=options.min_confidence,
        )
        sheets = []
        digests: set[bytes] = set()
        for sheet in read_cells(path, options.sheet):
            report = audit(sheet.cells, config, sheet=sheet.name)
            sheets.append(_sheet_result(sheet.name, report, options.with_shapes))
            digests.update(_digest(shape.shape) for shape in report.shapes)
    except WorkbookReadError as error:
        return FileResult(target.path, unreadable=str(error).removeprefix(f"{path}: "))
    except Exception as error:  # one odd file (a reader bug, a strange XML) must not end a run
        reason = f"cannot audit the file ({type(error).__name__}: {error})"
        return FileResult(target.path, unreadable=reason)
    return FileResult(target.path, tuple(sheets), frozenset(digests))


def _is_request(path: Path) -> bool:
    """Whether a .json found in a folder is an add-on request (package.json is not)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return True  # the reader refuses it, with the size, as unreadable
        document = json.loads(path.read_bytes())
    except OSError:
        return True  # the reader says why it cannot be read
    except ValueError:  # not JSON (or not UTF-8): a data file, not a request
        return False
    return isinstance(document, dict) and not _ADDON_KEYS.isdisjoint(document)


def _sheet_result(name: str | None, report: AuditReport, with_shapes: bool) -> SheetResult:
    shapes = tuple(
        ShapeRecord(
            shape.shape,
            shape.representative_cell,
            shape.representative_formula,
            len(shape.cell_indices),
            shape.functions,
        )
        for shape in (report.shapes if with_shapes else ())
    )
    return SheetResult(
        name,
        report.formula_count,
        report.unique_shape_count,
        report.cells_with_findings,
        tuple(_finding_record(finding) for finding in report.findings),
        shapes,
    )


def _finding_record(finding: Finding) -> FindingRecord:
    first = finding.cells[0] if finding.cells else None
    return FindingRecord(
        finding.rule_id,
        finding.severity,
        finding.message,
        finding.fix_hint,
        finding.cells,
        tuple(sorted(finding.tags)),
        finding.confidence,
        finding.suggested_formula(first),
    )


def _digest(shape: str) -> bytes:
    """8 bytes standing for one R1C1 shape, to count distinct shapes across a run cheaply."""
    return hashlib.blake2b(shape.encode(), digest_size=8).digest()
