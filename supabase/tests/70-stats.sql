-- Statistics reads (exact values, tenancy, unknown orgs), audit history keyset
-- pagination, finding totals, the dashboard bundle, archive purge and grants.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(37);

-- ---------------------------------------------------------------- fixture
-- org_st70: 2 users, templates + 1 policy, 3 live audits (2 recent, 1 old),
-- 1 archived audit 400 days old and 1 archived 10 days old, usage this month 4
-- and two months ago 2, pro plan, a live rate-limit window at 7 requests.
select public.provision_actor('{"clerk_user_id": "user_st70a", "clerk_org_id": "org_st70", "org_role": "org:admin"}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_st70b", "clerk_org_id": "org_st70", "org_role": "org:member"}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_st70x", "clerk_org_id": "org_st70_other", "org_role": "org:admin"}') is not null as ok;
do $$
declare
  s uuid := (select o.id from public.organizations o where o.clerk_org_id = 'org_st70');
  a uuid := (select u.id from public.users u where u.clerk_user_id = 'user_st70a');
  this_month timestamptz := pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC') at time zone 'UTC';
begin
  perform pg_catalog.set_config('test.org', s::text, true);
  insert into public.policies (organization_id, title, content) values (s, 'Manual', 'Text');
  insert into public.audit_logs (id, organization_id, user_id, formula_count, issues_found, created_at, findings_by_severity) values
    ('00000000-0000-4000-8000-000000000001', s, a, 10, 2, pg_catalog.now() - interval '1 hour', '{"error": 1, "warning": 1}'),
    ('00000000-0000-4000-8000-000000000002', s, a, 20, 3, pg_catalog.now() - interval '1 hour', '{"warning": 3}'),
    ('00000000-0000-4000-8000-000000000003', s, null, 30, 0, pg_catalog.now() - interval '2 days', '{}');
  insert into public.audit_logs_archive (id, organization_id, formula_count, created_at) values
    ('00000000-0000-4000-8000-000000000004', s, 40, pg_catalog.now() - interval '10 days'),
    ('00000000-0000-4000-8000-000000000005', s, 50, pg_catalog.now() - interval '400 days');
  insert into public.audit_usage (organization_id, month_year, count) values
    (s, pg_catalog.to_char(this_month, 'YYYY-MM'), 4),
    (s, pg_catalog.to_char(this_month - interval '2 months', 'YYYY-MM'), 2);
  update public.subscriptions set plan = 'pro' where organization_id = s;
  insert into public.rate_limit_buckets (organization_id, request_count, window_reset_at)
    values (s, 7, pg_catalog.now() + interval '30 seconds');
end $$;

-- ---------------------------------------------------------------- as the service, for a member (actor)
do $$ begin
  perform pg_catalog.set_config('test.member', '{"clerk_user_id":"user_st70b","clerk_org_id":"org_st70","org_role":"org:member"}', true);
  perform pg_catalog.set_config('test.foreign', '{"clerk_user_id":"user_st70x","clerk_org_id":"org_st70_other","org_role":"org:admin"}', true);
  perform pg_catalog.set_config('test.v2_admin', '{"clerk_user_id":"user_st70a","clerk_org_id":"org_st70","org_role":"admin"}', true);
  perform pg_catalog.set_config('test.newcomer', '{"clerk_user_id":"user_st70_new","clerk_org_id":"org_st70_never_seen","org_role":"org:admin"}', true);
end $$;
set local role service_role;

select results_eq(
  $$ select clerk_org_id, total_users, total_policies, total_audits, audits_this_month, monthly_quota, plan, subscription_status
       from public.org_stats(current_setting('test.member')::jsonb) $$,
  $$ select 'org_st70'::text, 2::bigint, (select pg_catalog.count(*) + 1 from public.policy_templates), 5::bigint, 4, 1000, 'pro'::text, 'active'::text $$,
  'org_stats: the actor''s org, exact values'
);
select results_eq(
  $$ select organization_id = current_setting('test.org')::uuid, total_policies, total_audits, audits_this_month, monthly_quota, plan
       from public.org_stats(current_setting('test.foreign')::jsonb) $$,
  $$ select false, (select pg_catalog.count(*) from public.policy_templates), 0::bigint, 0, 10, 'free'::text $$,
  'org_stats: another org''s actor reads its own org, nothing of org_st70'
);
select results_eq(
  $$ select audits from public.org_usage_by_month(current_setting('test.member')::jsonb, 3) $$,
  $$ values (2), (0), (4) $$,
  'org_usage_by_month: oldest first, empty months 0, ending this month'
);
select is(
  (select pg_catalog.max(month) from public.org_usage_by_month(current_setting('test.member')::jsonb, 1)),
  pg_catalog.to_char(pg_catalog.now() at time zone 'UTC', 'YYYY-MM'),
  'org_usage_by_month(1) is the current UTC month'
);
select throws_ok($$ select * from public.org_usage_by_month(current_setting('test.member')::jsonb, 0) $$, '22023', 'invalid months', 'months 0 is rejected');
select throws_ok($$ select * from public.org_usage_by_month(current_setting('test.member')::jsonb, 37) $$, '22023', 'invalid months', 'months 37 is rejected');
select results_eq(
  $$ select request_count, request_limit, remaining, window_seconds, window_reset_at > now() from public.org_rate_limit(current_setting('test.member')::jsonb) $$,
  $$ values (7, 100, 93, 60, true) $$,
  'org_rate_limit: the live window of the actor''s org'
);
select results_eq(
  $$ select id, user_id, formula_count, archived from public.org_audit_history(current_setting('test.member')::jsonb, 3) $$,
  $$ values ('00000000-0000-4000-8000-000000000002'::uuid, 'user_st70a'::text, 20, false),
            ('00000000-0000-4000-8000-000000000001'::uuid, 'user_st70a'::text, 10, false),
            ('00000000-0000-4000-8000-000000000003'::uuid, null::text, 30, false) $$,
  'org_audit_history: newest first, ties broken by id descending'
);
select results_eq(
  $$ select h.id, h.archived from public.org_audit_history(
       current_setting('test.member')::jsonb,
       3,
       (select l.created_at from public.audit_logs l where l.id = '00000000-0000-4000-8000-000000000003'),
       '00000000-0000-4000-8000-000000000003') h $$,
  $$ values ('00000000-0000-4000-8000-000000000004'::uuid, true),
            ('00000000-0000-4000-8000-000000000005'::uuid, true) $$,
  'org_audit_history: the page after a cursor continues into the archive'
);
select results_eq(
  $$ select h.id from public.org_audit_history(
       current_setting('test.member')::jsonb,
       1,
       (select l.created_at from public.audit_logs l where l.id = '00000000-0000-4000-8000-000000000002'),
       '00000000-0000-4000-8000-000000000002') h $$,
  $$ values ('00000000-0000-4000-8000-000000000001'::uuid) $$,
  'org_audit_history: a cursor inside a created_at tie resumes at the next id'
);
select is(
  (select details -> 'findings_by_severity' from public.org_audit_history(current_setting('test.member')::jsonb, 1)),
  '{"warning": 3}'::jsonb,
  'org_audit_history: details carry the columns later migrations add'
);
select throws_ok(
  $$ select * from public.org_audit_history(current_setting('test.member')::jsonb, 10, now(), null) $$,
  '22023', 'invalid cursor', 'half a cursor is rejected'
);
select throws_ok($$ select * from public.org_audit_history(current_setting('test.member')::jsonb, 0) $$, '22023', 'invalid page_size', 'page_size 0 is rejected');
select results_eq(
  $$ select dimension, key, hits from private.org_finding_totals(current_setting('test.org')::uuid, 10) $$,
  $$ values ('severity'::text, 'warning'::text, 4::bigint), ('severity', 'error', 1) $$,
  'org_finding_totals: severities summed over live audits, most hits first'
);
select throws_ok($$ select * from private.org_finding_totals(current_setting('test.org')::uuid, 0) $$, '22023', 'invalid top', 'top 0 is rejected');
select is(
  (select pg_catalog.array_agg(k order by k) from pg_catalog.jsonb_object_keys(public.org_dashboard(current_setting('test.member')::jsonb)) k),
  array['finding_totals', 'policies', 'rate_limit', 'recent_audits', 'stats', 'usage'],
  'org_dashboard: one object with every section'
);
select is(
  (select pg_catalog.jsonb_array_length(public.org_dashboard(current_setting('test.member')::jsonb, 2, 2) -> 'recent_audits')),
  2,
  'org_dashboard: recent audits limited to `recent`'
);
select is(
  (select pg_catalog.jsonb_array_length(public.org_dashboard(current_setting('test.member')::jsonb) -> 'policies')),
  (select pg_catalog.count(*)::integer + 1 from public.policy_templates),
  'org_dashboard: every policy of the org'
);

-- an actor of the other org sees none of org_st70
select is_empty($$ select * from public.org_audit_history(current_setting('test.foreign')::jsonb, 10) $$,
  'org_audit_history: another org''s history never reaches a foreign actor');
select is(
  (select pg_catalog.count(*)::integer from public.org_usage_by_month(current_setting('test.foreign')::jsonb, 12) where audits > 0),
  0,
  'org_usage_by_month: another org''s usage never reaches a foreign actor'
);

-- Clerk v2 roles come without the org: prefix
select is((select total_audits from public.org_stats(current_setting('test.v2_admin')::jsonb)), 5::bigint,
  'org_stats takes an actor with a v2 role');

-- an org never seen
select results_eq(
  $$ select organization_id, total_users, total_audits, audits_this_month, plan, subscription_status from public.org_stats(current_setting('test.newcomer')::jsonb) $$,
  $$ select null::uuid, 0::bigint, 0::bigint, 0, 'free'::text, 'active'::text $$,
  'org_stats of an org never seen: zeros on the free plan'
);
select results_eq(
  $$ select request_count, remaining, window_reset_at from public.org_rate_limit(current_setting('test.newcomer')::jsonb) $$,
  $$ values (0, 100, null::timestamptz) $$,
  'org_rate_limit of an org never seen: an empty window'
);
select is_empty($$ select * from public.org_audit_history(current_setting('test.newcomer')::jsonb) $$, 'org_audit_history of an org never seen is empty');
reset role;

-- members may not purge
set local role authenticated;
select throws_ok(
  $$ select public.purge_audit_archive(interval '1 day') $$,
  '42501', null, 'authenticated cannot execute purge_audit_archive'
);
reset role;

-- ---------------------------------------------------------------- as an operator (service_role)
set local role service_role;
select is(
  (select (public.org_report('org_st70') -> 'stats' ->> 'total_audits')::bigint),
  5::bigint,
  'org_report by Clerk org id'
);
select is(
  (select public.org_report(current_setting('test.org')) -> 'stats' ->> 'clerk_org_id'),
  'org_st70',
  'org_report by organization uuid'
);
select is(
  (select public.org_report('org_st70', 3) -> 'usage'),
  pg_catalog.jsonb_build_array(
    pg_catalog.jsonb_build_object('month', pg_catalog.to_char(pg_catalog.now() at time zone 'UTC' - interval '2 months', 'YYYY-MM'), 'audits', 2),
    pg_catalog.jsonb_build_object('month', pg_catalog.to_char(pg_catalog.now() at time zone 'UTC' - interval '1 month', 'YYYY-MM'), 'audits', 0),
    pg_catalog.jsonb_build_object('month', pg_catalog.to_char(pg_catalog.now() at time zone 'UTC', 'YYYY-MM'), 'audits', 4)),
  'org_report: usage by month, oldest first'
);
select is(
  (select ((public.org_report('org_st70_other') -> 'rate_limit') - 'window_seconds'::text) - 'request_limit'::text),
  '{"request_count": 0, "remaining": 100, "window_reset_at": null}'::jsonb,
  'org_report: no bucket is an empty window'
);
select is(
  (select public.org_report('org_nobody_has') -> 'stats' ->> 'organization_id'),
  null,
  'org_report of an unknown organization has no organization_id'
);
select throws_ok($$ select public.org_report(' ') $$, '22023', 'org is required', 'org_report needs an org');
select throws_ok(
  $$ select public.purge_audit_archive(interval '-1 day') $$,
  '22023', 'invalid older_than', 'purge_audit_archive rejects a negative interval'
);
select throws_ok(
  $$ select public.purge_audit_archive(null) $$,
  '22023', 'invalid older_than', 'purge_audit_archive rejects null'
);
select ok(public.purge_audit_archive(interval '365 days') >= 1, 'purge_audit_archive deletes rows past the cut-off');
select results_eq(
  $$ select id from public.audit_logs_archive where organization_id = current_setting('test.org')::uuid $$,
  $$ values ('00000000-0000-4000-8000-000000000004'::uuid) $$,
  'purge_audit_archive keeps archived rows younger than the cut-off'
);
reset role;

-- ---------------------------------------------------------------- grants and the cron migration
select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and p.proname in ('org_report', 'org_stats', 'org_usage_by_month', 'org_rate_limit',
                          'org_audit_history', 'org_dashboard', 'purge_audit_archive')
        and (pg_catalog.has_function_privilege('authenticated', p.oid, 'EXECUTE')
             or pg_catalog.has_function_privilege('anon', p.oid, 'EXECUTE')
             or not pg_catalog.has_function_privilege('service_role', p.oid, 'EXECUTE')) $$,
  'the statistics reads and purge_audit_archive are service_role only'
);
select ok(
  exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')
  or not exists (select 1 from pg_catalog.pg_namespace where nspname = 'cron'),
  'without pg_cron the retention schedule migration created nothing'
);

select * from finish();
rollback;
