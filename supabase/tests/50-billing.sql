-- Billing: who may call the billing functions, stripe_events RLS, the overview,
-- the switch to free, and Stripe events applied once and in order.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(34);

-- ---------------------------------------------------------------- privileges
select ok(
  (select c.relrowsecurity from pg_catalog.pg_class c where c.oid = 'public.stripe_events'::regclass),
  'stripe_events has row level security enabled'
);
select ok(
  not pg_catalog.has_table_privilege('authenticated', 'public.stripe_events', 'SELECT, INSERT, UPDATE, DELETE')
  and not pg_catalog.has_table_privilege('anon', 'public.stripe_events', 'SELECT, INSERT, UPDATE, DELETE'),
  'anon and authenticated have no privilege on stripe_events'
);
select is_empty(
  $$ select f from pg_catalog.unnest(array[
       'public.billing_overview(jsonb)',
       'public.billing_overview_of(uuid)',
       'public.downgrade_to_free(jsonb, timestamptz)',
       'public.apply_stripe_event(text, text, timestamptz, uuid, text, text, text, text, timestamptz, timestamptz, timestamptz)'
     ]) as f
     where pg_catalog.has_function_privilege('authenticated', f::regprocedure, 'EXECUTE')
        or pg_catalog.has_function_privilege('anon', f::regprocedure, 'EXECUTE')
        or not pg_catalog.has_function_privilege('service_role', f::regprocedure, 'EXECUTE') $$,
  'billing functions: service_role only (not anon, not authenticated)'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and p.proname in ('billing_overview', 'billing_overview_of', 'downgrade_to_free', 'apply_stripe_event')
        and p.prosecdef $$,
  'billing functions are SECURITY INVOKER'
);

-- ---------------------------------------------------------------- fixtures (as the service)
set local role service_role;

select is(
  public.billing_overview('{"clerk_user_id": "user_b1", "clerk_org_id": "org_b1", "org_role": "org:member"}') #>> '{subscription,plan}',
  'free',
  'billing_overview provisions a new organization on the free plan'
);
select is(
  (public.billing_overview('{"clerk_user_id": "user_b1", "clerk_org_id": "org_b1", "org_role": "org:member"}') -> 'plans')::text,
  (select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(p) order by p.audits_per_month nulls last, p.id)::text from public.plans p),
  'the overview lists every plan, unlimited last'
);
select is(
  public.billing_overview('{"clerk_user_id": "user_b1", "clerk_org_id": "org_b1", "org_role": "org:member"}') #>> '{usage,audits_this_month}',
  '0',
  'a new organization has used no audits this month'
);
-- admins of org_b2 and org_b3 and a member of org_b3, as Clerk's webhooks make them
select public.provision_actor('{"clerk_user_id": "user_b2", "clerk_org_id": "org_b2", "org_role": "org:admin", "role_is_authoritative": true}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_b3", "clerk_org_id": "org_b3", "org_role": "org:admin", "role_is_authoritative": true}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_b3m", "clerk_org_id": "org_b3", "org_role": "org:member", "role_is_authoritative": true}') is not null as ok;
do $$ begin
  perform pg_catalog.set_config('test.b1', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_b1'), true);
  perform pg_catalog.set_config('test.b2', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_b2'), true);
  perform pg_catalog.set_config('test.b3', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_b3'), true);
end $$;

select is(
  public.billing_overview('{"clerk_user_id": "user_b1", "clerk_org_id": "org_b1", "org_role": "org:member"}') #>> '{usage,month}',
  pg_catalog.to_char(now() at time zone 'UTC', 'YYYY-MM'),
  'usage is for the current UTC month'
);
select throws_ok(
  $$ select public.billing_overview_of(gen_random_uuid()) $$,
  'PT404', 'organization not found', 'an unknown organization id -> PT404'
);

-- ---------------------------------------------------------------- stripe events
select is(
  public.apply_stripe_event('evt_b1', 'checkout.session.completed', '2030-01-01 00:00:10+00',
    current_setting('test.b2')::uuid, 'cus_b2', 'sub_b2', 'pro', 'active') ->> 'outcome',
  'applied',
  'checkout completion is applied'
);
select results_eq(
  $$ select plan, status, stripe_customer_id, stripe_subscription_id, stripe_event_at
       from public.subscriptions where organization_id = current_setting('test.b2')::uuid $$,
  $$ values ('pro'::text, 'active'::text, 'cus_b2'::text, 'sub_b2'::text, null::timestamptz) $$,
  'checkout links customer and subscription, and does not advance the event clock'
);
select is(
  public.apply_stripe_event('evt_b1', 'checkout.session.completed', '2030-01-01 00:00:10+00',
    current_setting('test.b2')::uuid, 'cus_b2', 'sub_b2', 'pro', 'active') ->> 'outcome',
  'duplicate',
  'the same event id again is a duplicate'
);
select is(
  (select pg_catalog.count(*)::integer from public.stripe_events where id = 'evt_b1'),
  1,
  'a duplicate writes no second stripe_events row'
);
select is(
  public.apply_stripe_event('evt_b2', 'customer.subscription.created', '2030-01-01 00:00:05+00',
    null, 'cus_b2', 'sub_b2', 'pro', 'active',
    '2030-01-01 00:00:00+00', '2030-02-01 00:00:00+00', null) ->> 'outcome',
  'applied',
  'the subscription''s own earlier created event still applies after checkout'
);
select is(
  (select current_period_end from public.subscriptions where organization_id = current_setting('test.b2')::uuid),
  '2030-02-01 00:00:00+00'::timestamptz,
  'the period comes from the subscription event'
);
select is(
  public.apply_stripe_event('evt_b3', 'customer.subscription.updated', '2030-01-01 00:01:00+00',
    null, 'cus_b2', 'sub_b2', 'enterprise', 'active',
    '2030-01-01 00:00:00+00', '2030-02-01 00:00:00+00', '2030-02-01 00:00:00+00') ->> 'outcome',
  'applied',
  'a newer subscription update is applied'
);
select is(
  public.apply_stripe_event('evt_b4', 'customer.subscription.updated', '2030-01-01 00:00:30+00',
    null, 'cus_b2', 'sub_b2', 'pro', 'past_due',
    '2030-01-01 00:00:00+00', '2030-02-01 00:00:00+00', null) ->> 'outcome',
  'stale',
  'an older update arriving late is stale'
);
select results_eq(
  $$ select plan, status, cancel_at from public.subscriptions where organization_id = current_setting('test.b2')::uuid $$,
  $$ values ('enterprise'::text, 'active'::text, '2030-02-01 00:00:00+00'::timestamptz) $$,
  'a stale event changes nothing'
);
select is(
  (select outcome from public.stripe_events where id = 'evt_b4'),
  'stale',
  'a stale event is recorded as stale'
);
select is(
  public.apply_stripe_event('evt_b5', 'invoice.payment_failed', '2030-01-01 00:02:00+00',
    null, 'cus_b2', 'sub_b2', null, 'past_due') ->> 'outcome',
  'applied',
  'a failed invoice is applied'
);
select results_eq(
  $$ select plan, status, cancel_at from public.subscriptions where organization_id = current_setting('test.b2')::uuid $$,
  $$ values ('enterprise'::text, 'past_due'::text, '2030-02-01 00:00:00+00'::timestamptz) $$,
  'an invoice event changes the status only'
);
select is(
  public.apply_stripe_event('evt_b6', 'customer.subscription.updated', '2030-01-01 00:02:00+00',
    null, 'cus_b2', 'sub_other', 'pro', 'active') ->> 'outcome',
  'superseded',
  'an event of another subscription than the live one is superseded'
);
select is(
  public.apply_stripe_event('evt_b7', 'customer.subscription.deleted', '2030-01-01 00:03:00+00',
    null, 'cus_b2', 'sub_b2', 'free', 'canceled') ->> 'outcome',
  'applied',
  'the deletion is applied'
);
select is(
  public.apply_stripe_event('evt_b8', 'customer.subscription.updated', '2030-01-01 00:03:00+00',
    null, 'cus_b2', 'sub_b2', 'pro', 'active') ->> 'outcome',
  'stale',
  'an update of the same second does not revive a canceled subscription'
);
select results_eq(
  $$ select plan, status from public.subscriptions where organization_id = current_setting('test.b2')::uuid $$,
  $$ values ('free'::text, 'canceled'::text) $$,
  'the organization is on the free plan after the deletion'
);
select is(
  public.apply_stripe_event('evt_b9', 'invoice.paid', '2030-01-01 00:00:00+00',
    null, 'cus_nobody', 'sub_nobody', null, 'active') ->> 'outcome',
  'unmatched',
  'an event naming no known organization is unmatched'
);
select throws_ok(
  $$ select public.apply_stripe_event('', 'invoice.paid', now()) $$,
  '22023', 'event_id, event_type and event_created are required', 'an empty event id -> 22023'
);

-- ---------------------------------------------------------------- downgrade_to_free
select throws_ok(
  $$ select public.downgrade_to_free('{"clerk_user_id": "user_b3m", "clerk_org_id": "org_b3", "org_role": "org:member"}') $$,
  'PT403', 'only organization admins can change the plan', 'a member cannot switch to free'
);
select throws_ok(
  $$ select public.downgrade_to_free('{"clerk_user_id": "user_b3m", "clerk_org_id": "org_b3", "org_role": "org:admin"}') $$,
  'PT403', 'only organization admins can change the plan', 'a member claiming admin cannot either: the stored role decides'
);
update public.subscriptions set plan = 'pro', stripe_subscription_id = 'sub_b3', status = 'active'
 where organization_id = current_setting('test.b3')::uuid;
select throws_ok(
  $$ select public.downgrade_to_free('{"clerk_user_id": "user_b3", "clerk_org_id": "org_b3", "org_role": "org:admin"}') $$,
  '22023', 'stripe_cancel_at is required', 'a live Stripe subscription needs its cancel_at'
);
select results_eq(
  $$ select d #>> '{subscription,plan}', (d #>> '{subscription,cancel_at}')::timestamptz
       from public.downgrade_to_free('{"clerk_user_id": "user_b3", "clerk_org_id": "org_b3", "org_role": "org:admin"}',
                                     '2030-03-01 00:00:00+00') d $$,
  $$ values ('pro'::text, '2030-03-01 00:00:00+00'::timestamptz) $$,
  'with a live subscription the paid plan runs until cancel_at'
);
select is(
  public.downgrade_to_free('{"clerk_user_id": "user_b2", "clerk_org_id": "org_b2", "org_role": "admin"}') #>> '{subscription,plan}',
  'free',
  'without a live subscription the plan is free at once (v2 role spelling accepted)'
);

-- ---------------------------------------------------------------- as a member
reset role;
set local role authenticated;
set local "request.jwt.claims" = '{"sub":"user_b2","org_id":"org_b2","org_role":"org:admin"}';

select throws_ok(
  $$ select * from public.stripe_events $$,
  '42501', null, 'authenticated cannot read stripe_events'
);
select throws_ok(
  $$ select public.downgrade_to_free('{"clerk_user_id": "user_b2", "clerk_org_id": "org_b2", "org_role": "org:admin"}') $$,
  '42501', null, 'authenticated cannot switch plans'
);

select * from finish();
rollback;
