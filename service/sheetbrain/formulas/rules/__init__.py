"""The index of rules. Importing a module registers its rules; the catalog (docs, SARIF)
lists shape rules, then sheet rules, each in the import order below.

| module | rules |
|---|---|
| constants | magic-number, hard-coded-adjustment, adjusted-copy, |
|           | constant-in-formula-run, formula-where-constant-expected |
| cycles | circular-reference |
| division | unguarded-division |
| lookups | lookup-without-error-handling, approximate-lookup, lookup-not-found |
| ranges | omitted-adjacent-cells, range-spans-label-or-blank-row, |
|        | subtotal-double-counted, total-of-wrong-column |
| references | broken-reference, error-literal, whole-column-reference, |
|            | absolute-reference-has-name, unguarded-external-reference, reference-slip, |
|            | drifted-input-reference |
| structure | volatile-function, nesting-depth, if-chain, array-aggregate, operator-precedence |
| tables | inconsistent-formula |

A new rule goes in the module of its concern (or a new one listed here), registered
with `catalog.register` into `registry.SHAPE_RULES` (checked once per unique shape,
given its syntax tree) or `registry.SHEET_RULES` (checked once per sheet, given the
located cells, values, runs and tables).
"""

from sheetbrain.formulas.rules import (  # noqa: F401 - imported to register their rules
    constants,
    cycles,
    division,
    lookups,
    ranges,
    references,
    structure,
    tables,
)
from sheetbrain.formulas.rules.registry import SHAPE_RULES, SHEET_RULES

__all__ = ["SHAPE_RULES", "SHEET_RULES"]
