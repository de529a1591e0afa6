-- get_org_stats exact values and archive_audit_logs moving exactly the old rows.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(17);

-- archive whatever old rows the database already has, so the counts below are ours
select public.archive_audit_logs() >= 0 as ok;

-- ---------------------------------------------------------------- fixture
-- org_s: 3 users (2 members + 1 whose primary org it is without membership),
-- templates + 1 manual policy, 3 recent + 2 old audit logs, 1 archived log,
-- 2 audits this month (+ 5 in an older month), subscription pro/trialing.
select public.provision_actor('{"clerk_user_id": "user_s1", "clerk_org_id": "org_s", "org_role": "org:admin"}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_s2", "clerk_org_id": "org_s", "org_role": "org:member"}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_other", "clerk_org_id": "org_other", "org_role": "org:admin"}') is not null as ok;
do $$
declare
  s uuid := (select o.id from public.organizations o where o.clerk_org_id = 'org_s');
  this_month text := pg_catalog.to_char(pg_catalog.now() at time zone 'UTC', 'YYYY-MM');
begin
  perform pg_catalog.set_config('test.org_s', s::text, true);
  perform pg_catalog.set_config('test.org_other', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_other'), true);
  insert into public.users (clerk_user_id, organization_id) values ('user_s3', s);
  insert into public.policies (organization_id, title, content) values (s, 'Manual', 'Text');
  insert into public.audit_logs (organization_id, formula_count, created_at) values
    (s, 1, pg_catalog.now()),
    (s, 2, pg_catalog.now() - interval '10 days'),
    (s, 3, pg_catalog.now() - interval '89 days'),
    (s, 4, pg_catalog.now() - interval '91 days'),
    (s, 5, pg_catalog.now() - interval '400 days');
  insert into public.audit_logs_archive (organization_id, formula_count, created_at)
    values (s, 6, pg_catalog.now() - interval '500 days');
  perform public.increment_audit_usage(s, this_month);
  perform public.increment_audit_usage(s, this_month);
  insert into public.audit_usage (organization_id, month_year, count) values (s, '2001-01', 5);
  update public.subscriptions set plan = 'pro', status = 'trialing' where organization_id = s;
end $$;

-- ---------------------------------------------------------------- get_org_stats
select results_eq(
  $$ select * from public.get_org_stats(current_setting('test.org_s')::uuid) $$,
  $$ select 3::bigint, (select pg_catalog.count(*) + 1 from public.policy_templates), 6::bigint, 2, 'pro'::text, 'trialing'::text $$,
  'get_org_stats: exact values (users, policies, audits incl. archive, this month, plan, status)'
);
select is_empty(
  $$ select * from public.get_org_stats(gen_random_uuid()) $$,
  'get_org_stats of an unknown organization returns no row'
);

-- as a member of org_s: same values; for another org: nothing
set local role authenticated;
set local "request.jwt.claims" = '{"sub":"user_s2","org_id":"org_s","org_role":"org:member"}';
select results_eq(
  $$ select * from public.get_org_stats(current_setting('test.org_s')::uuid) $$,
  $$ select 3::bigint, (select pg_catalog.count(*) + 1 from public.policy_templates), 6::bigint, 2, 'pro'::text, 'trialing'::text $$,
  'get_org_stats as a member returns the same values'
);
select is_empty(
  $$ select * from public.get_org_stats(current_setting('test.org_other')::uuid) $$,
  'get_org_stats as a member of another org returns no row'
);
reset role;

-- ---------------------------------------------------------------- archive_audit_logs
select throws_ok(
  $$ select public.archive_audit_logs(interval '-1 day') $$,
  '22023', 'invalid older_than', 'a negative interval is rejected'
);
select throws_ok(
  $$ select public.archive_audit_logs(null) $$,
  '22023', 'invalid older_than', 'a null interval is rejected'
);

create temporary table expected_moved on commit drop as
  select * from public.audit_logs
   where organization_id = current_setting('test.org_s')::uuid
     and created_at < now() - interval '90 days';

select is(public.archive_audit_logs(), 2, 'archive_audit_logs() moves the 2 rows older than 90 days');
select set_eq(
  $$ select formula_count from public.audit_logs where organization_id = current_setting('test.org_s')::uuid $$,
  array[1, 2, 3],
  'recent rows (incl. 89 days old) stay in audit_logs'
);
select results_eq(
  $$ select * from public.audit_logs_archive
      where id in (select id from expected_moved) order by id $$,
  $$ select * from expected_moved order by id $$,
  'moved rows arrive in the archive unchanged'
);
select is(
  (select pg_catalog.count(*)::integer from public.audit_logs_archive where organization_id = current_setting('test.org_s')::uuid),
  3,
  'archive holds the previously archived row plus the 2 moved ones'
);
select is(
  (select total_audits from public.get_org_stats(current_setting('test.org_s')::uuid)),
  6::bigint,
  'total_audits is unchanged by archiving'
);
select is(public.archive_audit_logs(), 0, 'a second run moves nothing');
select is(public.archive_audit_logs(interval '5 days'), 2, 'a 5-day cut-off moves the 10- and 89-day-old rows');
select ok(public.archive_audit_logs(interval '0') >= 0, 'cut-off 0 runs');
select is_empty(
  $$ select 1 from public.audit_logs where organization_id = current_setting('test.org_s')::uuid
      and created_at < now() $$,
  'nothing older than now() remains'
);
select is(
  (select pg_catalog.count(*)::integer from public.audit_logs where organization_id = current_setting('test.org_s')::uuid),
  1,
  'the row created at now() stays'
);

-- the seed guide's manual archive statements still run verbatim
select lives_ok(
  $$ INSERT INTO audit_logs_archive
     SELECT * FROM audit_logs
     WHERE created_at < NOW() - INTERVAL '90 days' $$,
  'seed guide: INSERT INTO audit_logs_archive SELECT * FROM audit_logs ... runs'
);

select * from finish();
rollback;
