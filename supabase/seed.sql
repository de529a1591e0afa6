-- =============================================================================
-- SheetBrain seed: plans and default policy templates. Idempotent (ON CONFLICT DO
-- NOTHING), safe to re-run. No organization or user: `supabase db push --include-seed`
-- on a production project must create no account. Local mode creates its demo
-- organization and admin at start-up (service/sheetbrain/store/connect.py).
-- =============================================================================

/** Plans. audits_per_month null = unlimited. Rate limit: 100 requests per 60 s. */
insert into public.plans (id, name, audits_per_month, rate_limit_requests, rate_limit_window_seconds, price_cents)
values
  ('free', 'Free', 10, 100, 60, 0),
  ('pro', 'Pro', 1000, 100, 60, 0),
  ('enterprise', 'Enterprise', null, 100, 60, 0)
on conflict (id) do nothing;

/** Default formula policies, copied into every new organization. */
insert into public.policy_templates (key, title, content, category)
values
  (
    'no-volatile',
    'Avoid volatile functions',
    'Do not use volatile functions such as NOW(), TODAY(), RAND(), RANDBETWEEN(), OFFSET() or INDIRECT() in reporting formulas. '
    'They recalculate on every change, slow large workbooks down and make results irreproducible. '
    'Put the date or random seed in a single input cell and reference it instead.',
    'performance'
  ),
  (
    'named-ranges',
    'Prefer named ranges over absolute references',
    'Reference key inputs and lookup tables through named ranges (e.g. TaxRate, PriceTable) instead of absolute references such as $B$2 or Sheet2!$A$1:$D$200. '
    'Named ranges document intent, survive inserted rows and columns, and make formulas reviewable.',
    'maintainability'
  ),
  (
    'max-nesting-depth',
    'Keep nesting depth at three levels or less',
    'Formulas must not nest functions more than three levels deep. '
    'Deeply nested IFs are hard to read and easy to get wrong; use IFS, SWITCH, a lookup table or helper columns instead.',
    'maintainability'
  ),
  (
    'external-refs-error-handling',
    'Wrap external data references with error handling',
    'References to other workbooks or imported data (IMPORTRANGE, IMPORTDATA, external links) must be wrapped with error handling such as IFERROR or IFNA. '
    'External sources can be missing, renamed or unshared; the formula should show a clear fallback instead of an error cascade.',
    'reliability'
  ),
  (
    'prefer-conditional-aggregates',
    'Prefer SUMIF/COUNTIF over array formulas',
    'Use SUMIF(S), COUNTIF(S) and AVERAGEIF(S) rather than array formulas such as SUM(IF(...)) or SUMPRODUCT over whole ranges for conditional totals. '
    'They are faster, easier to audit and do not depend on array entry.',
    'performance'
  ),
  (
    'no-circular-references',
    'No circular references',
    'A formula must never depend, directly or indirectly, on its own cell. '
    'Circular references require iterative calculation, can converge to wrong values silently and must be removed by restructuring the model.',
    'correctness'
  ),
  (
    'iferror-user-facing',
    'Use IFERROR on user-facing outputs',
    'Cells shown to end users (dashboards, summaries, exported reports) must wrap lookups and divisions in IFERROR (or IFNA for lookups) with a meaningful fallback. '
    'Raw errors such as #N/A or #DIV/0! confuse readers and break downstream formulas.',
    'presentation'
  )
on conflict (key) do nothing;
