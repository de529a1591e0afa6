-- Usage and rate-limit counters: increment_audit_usage, increment_rate_limit,
-- cleanup_expired_rate_limits. now() is fixed inside this transaction.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(22);

select public.provision_actor('{"clerk_user_id": "user_c1", "clerk_org_id": "org_c1", "org_role": "org:admin"}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_c2", "clerk_org_id": "org_c2", "org_role": "org:admin"}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_c3", "clerk_org_id": "org_c3", "org_role": "org:admin"}') is not null as ok;
do $$ begin
  perform pg_catalog.set_config('test.c1', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_c1'), true);
  perform pg_catalog.set_config('test.c2', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_c2'), true);
  perform pg_catalog.set_config('test.c3', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_c3'), true);
end $$;

-- ---------------------------------------------------------------- increment_audit_usage
select is(public.increment_audit_usage(current_setting('test.c1')::uuid, '2026-11'), 1, 'first audit of the month -> 1');
select is(public.increment_audit_usage(current_setting('test.c1')::uuid, '2026-11'), 2, 'second audit of the month -> 2');
select is(public.increment_audit_usage(current_setting('test.c1')::uuid, '2026-12'), 1, 'another month counts separately');
select is(
  (select count from public.audit_usage where organization_id = current_setting('test.c1')::uuid and month_year = '2026-11'),
  2, 'audit_usage row holds the count'
);
select throws_ok(
  $$ select public.increment_audit_usage(current_setting('test.c1')::uuid, '2026-13') $$,
  '22023', 'invalid month', 'month 13 is rejected with 22023'
);
select throws_ok(
  $$ select public.increment_audit_usage(current_setting('test.c1')::uuid, 'November') $$,
  '22023', 'invalid month', 'free text month is rejected with 22023'
);
select throws_ok(
  $$ select public.increment_audit_usage(null, '2026-11') $$,
  '22023', 'org_id is required', 'null org is rejected with 22023'
);
select throws_ok(
  $$ select public.increment_audit_usage(gen_random_uuid(), '2026-11') $$,
  'PT404', 'organization not found', 'unknown organization -> PT404'
);

-- ---------------------------------------------------------------- increment_rate_limit
select is(public.increment_rate_limit(current_setting('test.c1')::uuid), 1, 'first request in window -> 1');
select is(public.increment_rate_limit(current_setting('test.c1')::uuid), 2, 'second request -> 2');
select is(public.increment_rate_limit(current_setting('test.c1')::uuid), 3, 'third request -> 3');
select is(
  (select window_reset_at from public.rate_limit_buckets where organization_id = current_setting('test.c1')::uuid),
  now() + interval '60 seconds',
  'free plan window is 60 s'
);

-- window ended -> restarts at 1 with a fresh window
update public.rate_limit_buckets set window_reset_at = now() - interval '1 second'
 where organization_id = current_setting('test.c1')::uuid;
select is(public.increment_rate_limit(current_setting('test.c1')::uuid), 1, 'after the window ended the count restarts at 1');
select is(
  (select window_reset_at from public.rate_limit_buckets where organization_id = current_setting('test.c1')::uuid),
  now() + interval '60 seconds',
  'a fresh window starts'
);
select is(public.increment_rate_limit(current_setting('test.c1')::uuid), 2, 'and counts on in the new window');

-- window length comes from the plan
update public.plans set rate_limit_window_seconds = 3600 where id = 'pro';
update public.subscriptions set plan = 'pro' where organization_id = current_setting('test.c2')::uuid;
select is(public.increment_rate_limit(current_setting('test.c2')::uuid), 1, 'pro org: first request');
select is(
  (select window_reset_at from public.rate_limit_buckets where organization_id = current_setting('test.c2')::uuid),
  now() + interval '3600 seconds',
  'window length follows the org''s plan'
);

-- no subscription -> default 60 s
delete from public.subscriptions where organization_id = current_setting('test.c3')::uuid;
select is(public.increment_rate_limit(current_setting('test.c3')::uuid), 1, 'org without subscription: first request');
select is(
  (select window_reset_at from public.rate_limit_buckets where organization_id = current_setting('test.c3')::uuid),
  now() + interval '60 seconds',
  'org without subscription gets the default 60 s window'
);

select throws_ok(
  $$ select public.increment_rate_limit(gen_random_uuid()) $$,
  'PT404', 'organization not found', 'unknown organization -> PT404'
);

-- ---------------------------------------------------------------- cleanup_expired_rate_limits
-- clear whatever expired buckets the database already had, then expire two of ours
select public.cleanup_expired_rate_limits() >= 0 as ok;
update public.rate_limit_buckets set window_reset_at = now() - interval '5 minutes'
 where organization_id in (current_setting('test.c1')::uuid, current_setting('test.c2')::uuid);
select is(public.cleanup_expired_rate_limits(), 2, 'cleanup returns the number of expired buckets deleted');
select results_eq(
  $$ select organization_id from public.rate_limit_buckets
      where organization_id in (current_setting('test.c1')::uuid, current_setting('test.c2')::uuid,
                                current_setting('test.c3')::uuid) $$,
  $$ select current_setting('test.c3')::uuid $$,
  'only the bucket with a running window is left'
);

select * from finish();
rollback;
