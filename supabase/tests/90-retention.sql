-- Retention: Svix deliveries, Stripe events, settled reservations, expired refresh
-- tokens and sign-in windows are purged; tombstones are not; every job is listed once
-- and runs.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(10);

select is_empty(
  $$ select f from pg_catalog.unnest(array[
       'public.purge_service_records(interval)',
       'public.retention_jobs()',
       'public.cleanup_expired_sign_in_rate_limits()']) as f
      where pg_catalog.has_function_privilege('anon', f::regprocedure, 'EXECUTE')
         or pg_catalog.has_function_privilege('authenticated', f::regprocedure, 'EXECUTE')
         or not pg_catalog.has_function_privilege('service_role', f::regprocedure, 'EXECUTE') $$,
  'retention functions are executable by service_role only'
);

-- fixtures: rows on both sides of a 90-day cut-off (after purging what was already old)
select public.purge_service_records() is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_r90", "clerk_org_id": "org_r90", "org_role": "org:admin", "role_is_authoritative": true}') is not null as ok;
insert into public.webhook_events (svix_id, event_type, occurred_at, received_at) values
  ('msg_r90_old', 'user.updated', now() - interval '100 days', now() - interval '100 days'),
  ('msg_r90_new', 'user.updated', now() - interval '1 day', now() - interval '1 day');
insert into public.stripe_events (id, event_type, stripe_created_at, outcome, received_at) values
  ('evt_r90_old', 'invoice.paid', now() - interval '100 days', 'unmatched', now() - interval '100 days'),
  ('evt_r90_new', 'invoice.paid', now() - interval '1 day', 'unmatched', now() - interval '1 day');
insert into public.audit_reservations (organization_id, month_year, status, created_at, settled_at)
select o.id, '2030-01', r.status, now() - r.age, case when r.status <> 'reserved' then now() - r.age end
  from public.organizations o,
       (values ('confirmed', interval '100 days'), ('reserved', interval '100 days'),
               ('released', interval '1 day')) as r(status, age)
 where o.clerk_org_id = 'org_r90';
insert into public.clerk_deletions (kind, clerk_id, deleted_at)
values ('membership', 'org_r90/user_gone_r90', now() - interval '400 days');

set local role service_role;

select is(
  public.purge_service_records(interval '90 days'),
  '{"webhook_events": 1, "stripe_events": 1, "audit_reservations": 1}'::jsonb,
  'purges the deliveries, events and settled reservations older than 90 days'
);
select is(
  (select pg_catalog.array_agg(svix_id order by svix_id) from public.webhook_events where svix_id like 'msg_r90%'),
  array['msg_r90_new'], 'a recent Svix delivery stays (it still deduplicates retries)'
);
select is(
  (select pg_catalog.array_agg(id order by id) from public.stripe_events where id like 'evt_r90%'),
  array['evt_r90_new'], 'a recent Stripe event stays'
);
select is(
  (select pg_catalog.array_agg(r.status order by r.status) from public.audit_reservations r
     join public.organizations o on o.id = r.organization_id where o.clerk_org_id = 'org_r90'),
  array['released', 'reserved'], 'an open reservation is never purged, however old'
);
select is(
  (select count(*)::integer from public.clerk_deletions where clerk_id = 'org_r90/user_gone_r90'),
  1, 'deletion tombstones are never purged'
);
select throws_ok(
  $$ select public.purge_service_records(interval '1 day') $$,
  '22023', 'invalid older_than', 'a cut-off shorter than 7 days is refused'
);

-- ---------------------------------------------------------------- the job list
select is(
  (select pg_catalog.array_agg(name order by name) from public.retention_jobs()),
  array['sheetbrain-archive-audit-logs', 'sheetbrain-cleanup-rate-limits',
        'sheetbrain-cleanup-refresh-tokens', 'sheetbrain-cleanup-sign-in-rate-limits',
        'sheetbrain-purge-audit-archive', 'sheetbrain-purge-service-records'],
  'every retention job is listed once'
);
select lives_ok(
  $$ do $run$
     declare v_job record;
     begin
       for v_job in select * from public.retention_jobs() loop
         execute v_job.command;
       end loop;
     end $run$ $$,
  'every job''s statement runs as service_role'
);
select ok(
  exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')
  or not exists (select 1 from pg_catalog.pg_namespace where nspname = 'cron'),
  'without pg_cron the schedule created nothing'
);

select * from finish();
rollback;
