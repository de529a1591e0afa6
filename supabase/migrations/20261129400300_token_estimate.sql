-- =============================================================================
-- One token estimate, in SQL and mirrored once in Python.
--
-- The default-policy chunk trigger (20261125020000_policies.sql) wrote the estimate
-- out inline; private.estimate_tokens now holds it, with the words counted exactly as
-- the service's policies/chunking.py estimate_tokens counts them (runs of
-- non-whitespace: Python's str.split()), so a chunk the database makes and one the
-- service makes cost the same. A test holds the two to the same answers.
-- =============================================================================

/**
 * Estimated tokens of a text, without a tokenizer: English prose averages about 0.75
 * words and 4 characters per token, so max(ceil(words * 4/3), ceil(characters / 4)),
 * words being runs of non-whitespace characters. 0 for an empty text. Mirrored by
 * estimate_tokens in service/sheetbrain/policies/chunking.py.
 */
create function private.estimate_tokens(content text)
returns integer
language sql
immutable
security invoker
set search_path = ''
as $$
  select greatest(
    pg_catalog.ceil(
      (select pg_catalog.count(*) from pg_catalog.regexp_matches(estimate_tokens.content, '\S+', 'g')) * 4 / 3.0
    ),
    pg_catalog.ceil(pg_catalog.length(estimate_tokens.content) / 4.0)
  )::integer;
$$;

revoke all on function private.estimate_tokens(text) from public, anon, authenticated;
grant execute on function private.estimate_tokens(text) to service_role;

comment on column public.policy_chunks.token_count is
  'Estimated tokens: private.estimate_tokens(content), max(words * 4/3, characters / 4) rounded up (the service mirrors it in policies/chunking.py).';

/**
 * A policy copied from a template (by provisioning or restore_default_policies) gets
 * one chunk holding its whole text: templates are a few sentences, well under one
 * chunk. As in 20261125020000_policies.sql, with the estimate from
 * private.estimate_tokens.
 */
create or replace function public.chunk_template_policy()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  insert into public.policy_chunks (policy_id, organization_id, ordinal, content, token_count)
  values (new.id, new.organization_id, 0, new.content, private.estimate_tokens(new.content));
  return new;
end;
$$;
