-- Audit round trips: begin_audit (provision, rate limit, quota reservation, policies),
-- finish_audit, release_audit, check_rate_limit. now() is fixed inside this transaction.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(41);

-- ---------------------------------------------------------------- begin provisions unknown ids
create temporary table first_begin on commit drop as
  select public.begin_audit('{"clerk_user_id": "user_a40", "clerk_org_id": "org_a40", "org_role": "org:admin"}', retrieval_query => 'VLOOKUP NOW') as r;
do $$ begin
  perform pg_catalog.set_config('test.org', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_a40'), true);
  perform pg_catalog.set_config('test.res1', (select r ->> 'reservation_id' from first_begin), true);
end $$;

select isnt(current_setting('test.org'), '', 'begin_audit creates an unknown organization');
select is(
  (select (r ->> 'user_id')::uuid from first_begin),
  (select id from public.users where clerk_user_id = 'user_a40'),
  'begin_audit creates an unknown user and returns its id'
);
select is(
  (select pg_catalog.array_agg(k order by k) from first_begin, pg_catalog.jsonb_object_keys(r) as k),
  array['chunks', 'organization_id', 'plan', 'policies', 'quota', 'rate_limit', 'reservation_id', 'role', 'user_id'],
  'begin_audit returns ids, plan, quota, rate limit, policies and chunks'
);
select is((select r -> 'plan' ->> 'id' from first_begin), 'free', 'a new organization is on the free plan');
select is(
  (select (r -> 'quota') - 'resets_at' from first_begin),
  pg_catalog.jsonb_build_object('limit', 10, 'used', 1, 'remaining', 9,
                                'month', pg_catalog.to_char(now() at time zone 'UTC', 'YYYY-MM')),
  'one audit of the free plan''s 10 is reserved'
);
select is(
  (select (r -> 'quota' ->> 'resets_at')::timestamptz from first_begin),
  (date_trunc('month', now() at time zone 'UTC') + interval '1 month') at time zone 'UTC',
  'the quota resets at the start of the next UTC month'
);
select is(
  (select (r -> 'rate_limit') - 'reset_at' from first_begin),
  '{"limit": 100, "remaining": 99, "reset_seconds": 60, "window_seconds": 60}'::jsonb,
  'the request is admitted in a fresh 60 s window of 100'
);
select is(
  (select pg_catalog.jsonb_array_length(r -> 'policies') from first_begin),
  (select count(*)::integer from public.policy_templates),
  'the organization''s default policies are returned'
);
select ok(
  (select pg_catalog.jsonb_array_length(r -> 'chunks') between 1 and 5 from first_begin),
  'policy chunks are retrieved for the function names'
);
select is(
  (select count from public.audit_usage where organization_id = current_setting('test.org')::uuid),
  1, 'the reservation is counted in audit_usage'
);
select is(
  (select request_count from public.rate_limit_buckets where organization_id = current_setting('test.org')::uuid),
  1, 'the request is counted in rate_limit_buckets'
);

-- ---------------------------------------------------------------- finish confirms
select is(
  (select public.finish_audit(current_setting('test.res1')::uuid, 2, 1, 3, 40, true, 2, 'claude-x',
                              100, 20, 80, 0, 'ok', false, 2, '{"warning": 1}',
                              '{"nested-too-deep": 1}') ->> 'used')::integer,
  1, 'finish_audit returns the month''s usage'
);
select results_eq(
  $$ select formula_count, compliant_count, issues_found, duration_ms, rag_used, rag_context_count,
            model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, ai_status,
            degraded, unique_shapes, findings_by_severity, findings_by_rule,
            user_id = (select id from public.users where clerk_user_id = 'user_a40')
       from public.audit_logs where organization_id = current_setting('test.org')::uuid $$,
  $$ values (2, 1, 3, 40, true, 2, 'claude-x'::text, 100, 20, 80, 0, 'ok'::text, false, 2,
             '{"warning": 1}'::jsonb, '{"nested-too-deep": 1}'::jsonb, true) $$,
  'finish_audit writes the audit_logs row'
);
select is(
  (select status from public.audit_reservations where id = current_setting('test.res1')::uuid),
  'confirmed', 'the reservation is confirmed'
);
select is(
  (select count from public.audit_usage where organization_id = current_setting('test.org')::uuid),
  1, 'confirming does not count the audit twice'
);
select throws_ok(
  $$ select public.finish_audit(current_setting('test.res1')::uuid, 1, 1, 0, 1) $$,
  'PT409', 'reservation already settled', 'a reservation is finished once'
);
select throws_ok(
  $$ select public.finish_audit(gen_random_uuid(), 1, 1, 0, 1) $$,
  'PT404', 'reservation not found', 'an unknown reservation -> PT404'
);
select throws_ok(
  $$ select public.release_audit(current_setting('test.res1')::uuid) $$,
  'PT409', 'reservation already confirmed', 'a confirmed audit cannot be released'
);

-- ---------------------------------------------------------------- release gives it back
do $$ begin
  perform pg_catalog.set_config('test.res2',
    public.begin_audit('{"clerk_user_id": "user_a40", "clerk_org_id": "org_a40", "org_role": "org:admin"}') ->> 'reservation_id', true);
end $$;
select is(
  (select count from public.audit_usage where organization_id = current_setting('test.org')::uuid),
  2, 'a second audit is reserved'
);
select is(
  public.release_audit(current_setting('test.res2')::uuid),
  '{"released": true, "used": 1}'::jsonb,
  'release_audit gives the reserved audit back'
);
select is(
  public.release_audit(current_setting('test.res2')::uuid),
  '{"released": false, "used": 1}'::jsonb,
  'releasing twice changes nothing'
);
select is(
  (select status from public.audit_reservations where id = current_setting('test.res2')::uuid),
  'released', 'the reservation is marked released'
);

-- ---------------------------------------------------------------- quota exhausted
update public.audit_usage set count = 10 where organization_id = current_setting('test.org')::uuid;
select throws_ok(
  $$ select public.begin_audit('{"clerk_user_id": "user_a40", "clerk_org_id": "org_a40", "org_role": "org:admin"}') $$,
  'PT402', 'monthly audit quota used up', 'the 11th audit of a free month -> PT402'
);
select is(
  (select count from public.audit_usage where organization_id = current_setting('test.org')::uuid),
  10, 'a refused audit is not counted'
);

-- ---------------------------------------------------------------- stale reservations expire
update public.audit_usage set count = 5 where organization_id = current_setting('test.org')::uuid;
insert into public.audit_reservations (organization_id, month_year, created_at)
values (current_setting('test.org')::uuid, pg_catalog.to_char(now() at time zone 'UTC', 'YYYY-MM'),
        now() - interval '16 minutes');
update public.audit_usage set count = 6 where organization_id = current_setting('test.org')::uuid;
do $$ begin
  perform pg_catalog.set_config('test.res3',
    public.begin_audit('{"clerk_user_id": "user_a40", "clerk_org_id": "org_a40", "org_role": "org:admin"}') ->> 'reservation_id', true);
end $$;
select is(
  (select count from public.audit_usage where organization_id = current_setting('test.org')::uuid),
  6, 'an audit left open for 15 minutes is given back before the next is reserved'
);
select is(
  (select pg_catalog.array_agg(status order by status) from public.audit_reservations
    where organization_id = current_setting('test.org')::uuid and status in ('expired', 'reserved')),
  array['expired', 'reserved'], 'the stale reservation is marked expired'
);

-- ---------------------------------------------------------------- unlimited plan
insert into public.plans (id, name, audits_per_month, rate_limit_requests, rate_limit_window_seconds)
values ('test_unlimited_a40', 'Unlimited (test)', null, 3, 600);
select public.provision_actor('{"clerk_user_id": "user_u40", "clerk_org_id": "org_u40", "org_role": "org:admin"}') is not null as ok;
update public.subscriptions set plan = 'test_unlimited_a40'
 where organization_id = (select id from public.organizations where clerk_org_id = 'org_u40');
select is(
  (public.begin_audit('{"clerk_user_id": "user_u40", "clerk_org_id": "org_u40"}') -> 'quota') - 'resets_at' - 'month',
  '{"limit": null, "used": 1, "remaining": null}'::jsonb,
  'an unlimited plan reserves without a limit'
);

-- ---------------------------------------------------------------- rate window: admit, deny, reset
do $$ begin
  perform pg_catalog.set_config('test.org_u', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_u40'), true);
end $$;
select is(
  public.check_rate_limit(current_setting('test.org_u')::uuid) - 'reset_at'::text,
  '{"limit": 3, "remaining": 1, "reset_seconds": 600, "window_seconds": 600}'::jsonb,
  'the plan''s limit and window apply (second request of 3)'
);
select is(
  (public.check_rate_limit(current_setting('test.org_u')::uuid) ->> 'remaining')::integer,
  0, 'the third request is admitted with nothing left'
);
select throws_ok(
  $$ select public.check_rate_limit(current_setting('test.org_u')::uuid) $$,
  'PT429', 'rate limit exceeded', 'the fourth request in the window -> PT429'
);
create function pg_temp.rate_limit_detail(org uuid) returns jsonb language plpgsql as $$
declare detail text;
begin
  perform public.check_rate_limit(org);
  return null;
exception when sqlstate 'PT429' then
  get stacked diagnostics detail = pg_exception_detail;
  return detail::jsonb;
end $$;
select is(
  pg_temp.rate_limit_detail(current_setting('test.org_u')::uuid) - 'reset_at'::text,
  '{"limit": 3, "remaining": 0, "reset_seconds": 600, "retry_after": 600, "window_seconds": 600}'::jsonb,
  'the refusal carries the retry-after seconds as JSON in DETAIL'
);
select is(
  (select request_count from public.rate_limit_buckets where organization_id = current_setting('test.org_u')::uuid),
  3, 'refused requests are not counted'
);
select throws_ok(
  $$ select public.begin_audit('{"clerk_user_id": "user_u40", "clerk_org_id": "org_u40"}') $$,
  'PT429', 'rate limit exceeded', 'begin_audit applies the same rate limit'
);
update public.rate_limit_buckets set window_reset_at = now() - interval '1 second'
 where organization_id = current_setting('test.org_u')::uuid;
select is(
  (public.check_rate_limit(current_setting('test.org_u')::uuid) ->> 'remaining')::integer,
  2, 'after the window ends a new one starts'
);
select throws_ok(
  $$ select public.check_rate_limit(gen_random_uuid()) $$,
  'PT404', 'organization not found', 'an unknown organization -> PT404'
);
select is(public.increment_rate_limit(current_setting('test.org_u')::uuid), 2,
  'the seed''s increment_rate_limit still counts in the same bucket');

-- ---------------------------------------------------------------- the seed guide's archive query
select lives_ok(
  $$ insert into audit_logs_archive select * from audit_logs where organization_id = current_setting('test.org')::uuid $$,
  'INSERT INTO audit_logs_archive SELECT * FROM audit_logs still runs'
);

-- ---------------------------------------------------------------- authenticated cannot execute
set local role authenticated;
set local "request.jwt.claims" = '{"sub":"user_a40","org_id":"org_a40","org_role":"org:admin"}';
select throws_ok(
  $$ select public.begin_audit('{"clerk_user_id": "user_a40", "clerk_org_id": "org_a40", "org_role": "org:admin"}') $$,
  '42501', null, 'authenticated cannot execute begin_audit'
);
select throws_ok(
  $$ select public.finish_audit(current_setting('test.res3')::uuid, 1, 1, 0, 1) $$,
  '42501', null, 'authenticated cannot execute finish_audit'
);
select throws_ok(
  $$ select public.release_audit(current_setting('test.res3')::uuid) $$,
  '42501', null, 'authenticated cannot execute release_audit'
);
select throws_ok(
  $$ select public.check_rate_limit(current_setting('test.org')::uuid) $$,
  '42501', null, 'authenticated cannot execute check_rate_limit'
);
reset role;

select * from finish();
rollback;
