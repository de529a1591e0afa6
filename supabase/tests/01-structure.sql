-- Structure smoke test: tables, archive shape, functions, indexes, seed data.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(31);

-- tables
select has_table('public', 'organizations', 'organizations exists');
select has_table('public', 'users', 'users exists');
select has_table('public', 'organization_memberships', 'organization_memberships exists');
select has_table('public', 'plans', 'plans exists');
select has_table('public', 'subscriptions', 'subscriptions exists');
select has_table('public', 'policy_templates', 'policy_templates exists');
select has_table('public', 'policies', 'policies exists');
select has_table('public', 'audit_usage', 'audit_usage exists');
select has_table('public', 'rate_limit_buckets', 'rate_limit_buckets exists');
select has_table('public', 'audit_logs', 'audit_logs exists');
select has_table('public', 'audit_logs_archive', 'audit_logs_archive exists');
select has_table('public', 'ingestion_logs', 'ingestion_logs exists');

-- audit_logs_archive must match audit_logs column for column (INSERT ... SELECT *)
select results_eq(
  $$ select a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod)
       from pg_catalog.pg_attribute a
      where a.attrelid = 'public.audit_logs'::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum $$,
  $$ select a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod)
       from pg_catalog.pg_attribute a
      where a.attrelid = 'public.audit_logs_archive'::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum $$,
  'audit_logs_archive has exactly the columns (names, order, types) of audit_logs'
);

-- seed guide column names
select has_column('public', 'audit_usage', 'month_year', 'audit_usage.month_year exists');
select has_column('public', 'audit_usage', 'count', 'audit_usage.count exists');
select has_column('public', 'rate_limit_buckets', 'request_count', 'rate_limit_buckets.request_count exists');
select has_column('public', 'rate_limit_buckets', 'window_reset_at', 'rate_limit_buckets.window_reset_at exists');

-- functions and return types
select function_returns('public', 'increment_audit_usage', array['uuid', 'text'], 'integer', 'increment_audit_usage(uuid, text) returns integer');
select function_returns('public', 'increment_rate_limit', array['uuid'], 'integer', 'increment_rate_limit(uuid) returns integer');
select function_returns('public', 'cleanup_expired_rate_limits', array[]::text[], 'integer', 'cleanup_expired_rate_limits() returns integer');
select function_returns('public', 'get_org_stats', array['uuid'], 'setof record', 'get_org_stats(uuid) returns a table');
select function_returns('public', 'archive_audit_logs', array['interval'], 'integer', 'archive_audit_logs(interval) returns integer');
select function_returns('public', 'provision_actor', array['jsonb'], 'jsonb', 'provision_actor(jsonb) returns jsonb');
select is(
  (select pg_catalog.pg_get_function_result('public.get_org_stats(uuid)'::regprocedure)),
  'TABLE(total_users bigint, total_policies bigint, total_audits bigint, audits_this_month integer, plan text, subscription_status text)',
  'get_org_stats returns the seed guide''s columns'
);

-- indexes the queries need
select has_index('public', 'audit_logs', 'idx_audit_logs_user_created', array['user_id', 'created_at'], 'idx_audit_logs_user_created exists');
select has_index('public', 'audit_logs', 'audit_logs_organization_created_idx', array['organization_id', 'created_at', 'id'], 'audit_logs org/created/id index exists');
select is_empty(
  $$ select c.conrelid::regclass::text || '.' || c.conname
       from pg_catalog.pg_constraint c
      where c.contype = 'f'
        and c.connamespace = 'public'::regnamespace
        and not exists (
          select 1 from pg_catalog.pg_index i
           where i.indrelid = c.conrelid
             and (i.indkey::int2[])[0:pg_catalog.array_length(c.conkey, 1) - 1] = c.conkey
        ) $$,
  'every foreign key in public has a covering index'
);

-- seeded data
select results_eq(
  $$ select id, audits_per_month, rate_limit_requests, rate_limit_window_seconds
       from public.plans where id in ('free', 'pro', 'enterprise') order by id $$,
  $$ values ('enterprise'::text, null::integer, 100, 60), ('free', 10, 100, 60), ('pro', 1000, 100, 60) $$,
  'seeded plans: free 10, pro 1000, enterprise unlimited; 100 requests / 60 s'
);
select set_eq(
  $$ select key from public.policy_templates $$,
  array['no-volatile', 'named-ranges', 'max-nesting-depth', 'external-refs-error-handling',
        'prefer-conditional-aggregates', 'no-circular-references', 'iferror-user-facing'],
  'seeded policy templates'
);
select is(
  (select pg_catalog.count(*)::integer from public.organizations),
  0,
  'the seed creates no organization (a production db push gets no demo account)'
);
select is(
  (select pg_catalog.count(*)::integer from public.users),
  0,
  'the seed creates no user'
);

select * from finish();
rollback;
