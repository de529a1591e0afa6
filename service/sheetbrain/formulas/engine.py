"""`audit`: group formulas by shape, run each rule once per shape, then the sheet-wide rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from sheetbrain.formulas.catalog import PARSE_ERROR, Issue, Rule, RuleInfo, ShapeContext
from sheetbrain.formulas.errors import FormulaError
from sheetbrain.formulas.evidence import ParsedShape
from sheetbrain.formulas.model import AuditConfig, AuditReport, CellInput, Finding, Shape
from sheetbrain.formulas.nodes import Binary, Call, Group, Node, Reference
from sheetbrain.formulas.parser import parse_formula
from sheetbrain.formulas.references import ReferenceKind, parse_address
from sheetbrain.formulas.regions import Position, SheetCell, cell_value
from sheetbrain.formulas.rules import SHAPE_RULES, SHEET_RULES
from sheetbrain.formulas.shapes import shape_of
from sheetbrain.formulas.sheet import RelativeArea, ShapeReferences, SheetContext

ProgressCallback = Callable[[int, int], None]
_PROGRESS_EVERY = 2_000
_AGGREGATING = frozenset(
    {
        "SUM",
        "AVERAGE",
        "COUNT",
        "COUNTA",
        "MIN",
        "MAX",
        "PRODUCT",
        "SUBTOTAL",
        "AGGREGATE",
        "MEDIAN",
    }
)
_COUNTING_TEXT = frozenset({"COUNTA"})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "^"})


@dataclass
class _ShapeGroup:
    shape: str
    indices: list[int]


def audit(
    cells: Sequence[CellInput],
    config: AuditConfig = AuditConfig(),  # noqa: B008 - immutable
    *,
    sheet: str | None = None,
    progress: ProgressCallback | None = None,
) -> AuditReport:
    """Audit the formulas of one sheet. Never raises for malformed formulas.

    `sheet` names the sheet the cells are on, so that `Sheet1!A1` counts as a
    same-sheet reference. `progress(done, total)` is called while cells are read.
    """
    cells = tuple(cells)
    positions: dict[int, tuple[int, int]] = {}
    groups: dict[str, _ShapeGroup] = {}
    sheet_cells: dict[Position, SheetCell] = {}
    labels: dict[Position, str] = {}
    formulas: dict[int, str] = {}
    total = len(cells)
    for index, cell in enumerate(cells):
        if progress is not None and not index % _PROGRESS_EVERY:
            progress(index, total)
        position = parse_address(cell.address) if cell.address else None
        formula = (
            cell.formula if isinstance(cell.formula, str) and cell.formula[:1] == "=" else None
        )
        if formula is None:
            if position is not None:
                positions[index] = position
                value = cell.value
                if isinstance(value, int | float) and not isinstance(value, bool):
                    sheet_cells[position] = SheetCell(index, *position, None, float(value))
                elif _is_label(value):
                    labels[position] = str(value)
            continue
        if position is not None:
            positions[index] = position
        formulas[index] = formula
        shape = cell.shape or (formula if position is None else shape_of(formula, *position))
        group = groups.get(shape)
        if group is None:
            group = groups[shape] = _ShapeGroup(shape, [])
        group.indices.append(index)
        if position is not None:
            sheet_cells[position] = SheetCell(index, *position, shape, cell_value(cell.value))
    if progress is not None:
        progress(total, total)

    findings: list[Finding] = []
    shapes: list[Shape] = []
    references: dict[str, ShapeReferences] = {}
    parsed: dict[str, ParsedShape] = {}
    shape_rules = [rule for rule in SHAPE_RULES if _runs(rule.info, config)]
    for group in groups.values():
        representative = group.indices[0]
        analysis = _analyse_shape(
            group,
            formulas[representative],
            cells[representative].address,
            positions.get(representative),
            tuple(cells[i].address or "" for i in group.indices if i in positions),
            shape_rules,
            config,
            sheet,
        )
        shapes.append(analysis.shape)
        references[group.shape] = analysis.references
        if analysis.tree is not None:
            origin = positions.get(representative)
            parsed[group.shape] = ParsedShape(
                group.shape, analysis.tree, origin, tuple(group.indices)
            )
        findings.extend(analysis.findings)

    sheet_context = SheetContext(sheet_cells, formulas, references, config, labels, parsed, sheet)
    for sheet_rule in SHEET_RULES:
        if _runs(sheet_rule.info, config):
            for issue in sheet_rule.check(sheet_context):
                indices = list(issue.cell_indices)
                located = tuple(cells[i].address or "" for i in indices if i in positions)
                findings.extend(
                    _findings(
                        sheet_rule.info,
                        [issue],
                        config,
                        indices,
                        located,
                        lambda suggestion: suggestion,
                    )
                )

    findings = [
        f
        for f in findings
        if f.confidence >= config.min_confidence and f.severity.rank >= config.min_severity.rank
    ]
    findings.sort(key=lambda f: (-f.severity.rank, f.cell_indices[0] if f.cell_indices else 0))
    by_index: dict[int, list[Finding]] = defaultdict(list)
    for finding in findings:
        for index in finding.cell_indices:
            by_index[index].append(finding)
    return AuditReport(
        cells=cells,
        findings=tuple(findings),
        shapes=tuple(shapes),
        formula_count=len(formulas),
        _by_index={i: tuple(f) for i, f in by_index.items()},
    )


@dataclass(frozen=True)
class _ShapeAnalysis:
    shape: Shape
    references: ShapeReferences
    findings: list[Finding]
    tree: Node | None = None


def _analyse_shape(
    group: _ShapeGroup,
    formula: str,
    address: str | None,
    origin: tuple[int, int] | None,
    addresses: tuple[str, ...],
    rules: Sequence[Rule[ShapeContext]],
    config: AuditConfig,
    sheet: str | None,
) -> _ShapeAnalysis:
    """Parse the shape's representative formula once and run the given shape rules."""
    indices = tuple(group.indices)
    try:
        tree = parse_formula(formula)
        findings: list[Finding] = []
        context = ShapeContext(formula, tree, config, sheet)
        to_shape = partial(_as_shape, origin=origin)
        for rule in rules:
            issues = list(rule.check(context))
            findings += _findings(rule.info, issues, config, indices, addresses, to_shape)
        shape = Shape(group.shape, address, formula, addresses, indices, _functions(context))
        references = _shape_references(context, origin, sheet)
        return _ShapeAnalysis(shape, references, findings, tree)
    except FormulaError as error:
        reason, issue = error.reason, _parse_issue(error)
    # the parser bounds tree depth, so this is a last line of defence for the
    # never-raises promise rather than an expected path
    except RecursionError:
        reason = "formula too deeply nested to analyse"
        issue = Issue(reason, "Split the formula into helper cells.", 0.9)
    shape = Shape(group.shape, address, formula, addresses, indices, (), reason)
    findings = _findings(PARSE_ERROR, [issue], config, indices, addresses, lambda _: None)
    return _ShapeAnalysis(shape, ShapeReferences((), ()), findings)


def _runs(info: RuleInfo, config: AuditConfig) -> bool:
    return config.enables(info.rule_id, info.tags) and config.reports(
        info.rule_id, info.severity, info.escalates
    )


def _is_label(value: object) -> bool:
    """Text a reader would take for a label (not blank, not a number stored as text)."""
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        float(value.replace(",", ""))
    except ValueError:
        return True
    return False


def _parse_issue(error: FormulaError) -> Issue:
    return Issue(
        f"Cannot parse the formula: {error.reason} (at character {error.position + 1})",
        "Fix the syntax; the formula will show an error or was stored incorrectly.",
        0.9,
    )


def _as_shape(suggestion: str | None, origin: tuple[int, int] | None) -> str | None:
    if suggestion is None:
        return None
    return suggestion if origin is None else shape_of(suggestion, *origin)


def _findings(
    info: RuleInfo,
    issues: Iterable[Issue],
    config: AuditConfig,
    indices: Sequence[int],
    addresses: tuple[str, ...],
    to_shape: Callable[[str | None], str | None],
) -> list[Finding]:
    override = config.severity_overrides.get(info.rule_id)
    return [
        Finding(
            rule_id=info.rule_id,
            severity=override or issue.severity or info.severity,
            message=issue.message,
            fix_hint=issue.fix_hint,
            cells=addresses,
            cell_indices=tuple(indices),
            tags=info.tags,
            confidence=issue.confidence,
            suggested_shape=to_shape(issue.suggestion),
        )
        for issue in issues
    ]


def _functions(context: ShapeContext) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for node in context.nodes:
        if isinstance(node, Call):
            names.setdefault(node.name)
    return tuple(names)


def _divides_by(call: Call, ancestors: tuple[Node, ...]) -> bool:
    """Is `call` (looking through parentheses) the divisor of a division?"""
    child: Node = call
    for ancestor in reversed(ancestors[:-1]):
        if isinstance(ancestor, Group):
            child = ancestor
            continue
        return isinstance(ancestor, Binary) and ancestor.operator == "/" and ancestor.right is child
    return False


def _shape_references(
    context: ShapeContext, origin: tuple[int, int] | None, sheet: str | None
) -> ShapeReferences:
    """Same-sheet references of the representative, relative to its cell."""
    if origin is None:
        return ShapeReferences((), ())
    areas: list[RelativeArea] = []
    aggregated: list[RelativeArea] = []
    counted: list[RelativeArea] = []
    calculated: list[RelativeArea] = []
    for node, ancestors in context.walked:
        if not isinstance(node, Reference) or node.workbook is not None:
            continue
        if node.sheet is not None and (sheet is None or node.sheet.upper() != sheet.upper()):
            continue
        relative = RelativeArea.of(node.area, *origin)
        areas.append(relative)
        parent = ancestors[-1] if ancestors else None
        if isinstance(parent, Call) and parent.name in _AGGREGATING:
            if _divides_by(parent, ancestors):
                continue  # the denominator of a share (=D12/SUM(D12:E12)) is not a total
            aggregated.append(relative)
            if parent.name in _COUNTING_TEXT:
                counted.append(relative)
        elif (
            isinstance(parent, Binary)
            and parent.operator in _ARITHMETIC
            and node.area.kind is ReferenceKind.CELL
        ):
            calculated.append(relative)
    return ShapeReferences(tuple(areas), tuple(aggregated), tuple(calculated), tuple(counted))
