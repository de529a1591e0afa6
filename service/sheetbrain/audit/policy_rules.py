"""How an organisation's policies tune the deterministic engine.

The default policy templates (supabase/seed.sql) each cover rules the engine can check.
While an organisation keeps such a policy, its rules cite it (`policyId`) and count at
least as warnings: breaking a written policy is more than a style hint. A number in the
nesting policy's title ("three levels", "4 levels") sets the engine's nesting threshold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from sheetbrain.formulas import AuditConfig, Severity, rule_catalog
from sheetbrain.store.audits import PolicyText

TEMPLATE_RULES: Mapping[str, tuple[str, ...]] = {
    "no-volatile": ("volatile-function",),
    "named-ranges": ("absolute-reference-has-name",),
    "max-nesting-depth": ("nesting-depth", "if-chain"),
    "external-refs-error-handling": ("unguarded-external-reference",),
    "prefer-conditional-aggregates": ("array-aggregate",),
    "no-circular-references": ("circular-reference",),
    "iferror-user-facing": ("lookup-without-error-handling", "unguarded-division"),
}
_NESTING_TEMPLATE = "max-nesting-depth"
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_LEVELS = re.compile(r"\b(\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")\s+levels?\b", re.IGNORECASE)


@dataclass(frozen=True)
class PolicyRules:
    config: AuditConfig
    policy_by_rule: Mapping[str, UUID]


def rules_from_policies(policies: Sequence[PolicyText]) -> PolicyRules:
    defaults = {info.rule_id: info.severity for info in rule_catalog()}
    policy_by_rule: dict[str, UUID] = {}
    overrides: dict[str, Severity] = {}
    max_nesting = AuditConfig().max_nesting
    for policy in policies:
        for rule_id in TEMPLATE_RULES.get(policy.template_key or "", ()):
            policy_by_rule.setdefault(rule_id, policy.id)
            if defaults[rule_id].rank < Severity.WARNING.rank:
                overrides[rule_id] = Severity.WARNING
        if policy.template_key == _NESTING_TEMPLATE:
            max_nesting = _levels(policy.title) or max_nesting
    return PolicyRules(
        AuditConfig(max_nesting=max_nesting, severity_overrides=overrides), policy_by_rule
    )


def _levels(text: str) -> int | None:
    match = _LEVELS.search(text)
    if match is None:
        return None
    word = match.group(1).lower()
    return _NUMBER_WORDS.get(word) or int(word)
