-- Paid limits follow the subscription's status (active, trialing, past_due within a
-- 7-day grace; free limits otherwise), and a late checkout.session.completed for a dead
-- or older subscription changes nothing.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(30);

-- A paid plan whose limits are easy to tell from the free plan's (10 audits, 100 requests).
insert into public.plans (id, name, audits_per_month, rate_limit_requests, rate_limit_window_seconds)
values ('test_paid55', 'Paid (test)', 500, 2, 60);

set local role service_role;

select public.provision_actor('{"clerk_user_id": "user_s55", "clerk_org_id": "org_s55", "org_role": "org:admin", "role_is_authoritative": true}') is not null as ok;
create function pg_temp.subscribe(status text, past_due_for interval default null) returns void
language sql as $$
  update public.subscriptions s
     set plan = 'test_paid55', status = subscribe.status, stripe_subscription_id = 'sub_s55',
         past_due_since = pg_catalog.now() - subscribe.past_due_for
    from public.organizations o
   where o.id = s.organization_id and o.clerk_org_id = 'org_s55' $$;
create function pg_temp.in_force() returns text language sql as $$
  select public.plan_in_force(o.id) from public.organizations o where o.clerk_org_id = 'org_s55' $$;
create function pg_temp.audit_limit() returns integer language sql as $$
  select (public.begin_audit('{"clerk_user_id": "user_s55", "clerk_org_id": "org_s55"}') #>> '{quota,limit}')::integer $$;

-- ---------------------------------------------------------------- which plan is in force
select pg_temp.subscribe('active');
select is(pg_temp.in_force(), 'test_paid55', 'an active subscription gets its plan');
select pg_temp.subscribe('trialing');
select is(pg_temp.in_force(), 'test_paid55', 'a trialing subscription gets its plan');
select pg_temp.subscribe('past_due', interval '1 day');
select is(pg_temp.in_force(), 'test_paid55', 'a subscription past due for a day is within the grace period');
select pg_temp.subscribe('past_due', interval '8 days');
select is(pg_temp.in_force(), 'free', 'past due for 8 days is beyond the 7-day grace: free limits');
select pg_temp.subscribe('unpaid');
select is(pg_temp.in_force(), 'free', 'an unpaid subscription gets the free plan''s limits');
select pg_temp.subscribe('incomplete');
select is(pg_temp.in_force(), 'free', 'an incomplete subscription (checkout not paid) gets the free limits');
select pg_temp.subscribe('canceled');
select is(pg_temp.in_force(), 'free', 'a canceled subscription gets the free limits');
select is(public.plan_in_force(gen_random_uuid()), 'free', 'an organization without subscription is free');

-- ---------------------------------------------------------------- limits follow it
select pg_temp.subscribe('unpaid');
select is(pg_temp.audit_limit(), 10, 'begin_audit gives an unpaid subscription the free quota');
select pg_temp.subscribe('active');
select is(pg_temp.audit_limit(), 500, 'and an active one its paid quota');
select pg_temp.subscribe('unpaid');
select is(
  (public.check_rate_limit((select id from public.organizations where clerk_org_id = 'org_s55')) ->> 'limit')::integer,
  100, 'the rate limit of an unpaid subscription is the free plan''s'
);
select is(
  public.billing_overview('{"clerk_user_id": "user_s55", "clerk_org_id": "org_s55"}') #>> '{plan,id}', 'free',
  'the billing overview reports the free limits in force'
);
select is(
  public.billing_overview('{"clerk_user_id": "user_s55", "clerk_org_id": "org_s55"}') #>> '{subscription,plan}', 'test_paid55',
  'beside the plan subscribed to'
);

-- ---------------------------------------------------------------- past_due_since
select public.provision_actor('{"clerk_user_id": "user_d55", "clerk_org_id": "org_d55", "org_role": "org:admin"}') is not null as ok;
select is(
  public.apply_stripe_event('evt_d55_1', 'customer.subscription.created', '2030-01-01 00:00:00+00',
    (select id from public.organizations where clerk_org_id = 'org_d55'), 'cus_d55', 'sub_d55', 'pro', 'active') ->> 'outcome',
  'applied', 'fixture: an active subscription'
);
select is(
  public.apply_stripe_event('evt_d55_2', 'invoice.payment_failed', '2030-01-05 00:00:00+00',
    null, 'cus_d55', 'sub_d55', null, 'past_due') ->> 'outcome',
  'applied', 'a failed invoice'
);
select is(
  (select past_due_since from public.subscriptions s join public.organizations o on o.id = s.organization_id
    where o.clerk_org_id = 'org_d55'),
  '2030-01-05 00:00:00+00'::timestamptz, 'starts the grace period at the event''s time'
);
select is(
  public.apply_stripe_event('evt_d55_3', 'invoice.payment_failed', '2030-01-08 00:00:00+00',
    null, 'cus_d55', 'sub_d55', null, 'past_due') ->> 'outcome',
  'applied', 'a second failed invoice'
);
select is(
  (select past_due_since from public.subscriptions s join public.organizations o on o.id = s.organization_id
    where o.clerk_org_id = 'org_d55'),
  '2030-01-05 00:00:00+00'::timestamptz, 'does not extend the grace period'
);
select is(
  public.apply_stripe_event('evt_d55_4', 'invoice.paid', '2030-01-09 00:00:00+00',
    null, 'cus_d55', 'sub_d55', null, 'active') ->> 'outcome',
  'applied', 'a paid invoice'
);
select is(
  (select past_due_since from public.subscriptions s join public.organizations o on o.id = s.organization_id
    where o.clerk_org_id = 'org_d55'),
  null, 'ends it'
);

-- ---------------------------------------------------------------- late checkouts
select public.provision_actor('{"clerk_user_id": "user_c55", "clerk_org_id": "org_c55", "org_role": "org:admin"}') is not null as ok;
create function pg_temp.event(id text, type text, at timestamptz, sub text, plan text, status text) returns text
language sql as $$
  select public.apply_stripe_event(id, type, at,
    (select o.id from public.organizations o where o.clerk_org_id = 'org_c55'), 'cus_c55', sub, plan, status) ->> 'outcome' $$;
create function pg_temp.c55() returns text language sql as $$
  select s.stripe_subscription_id || ' ' || s.plan || ' ' || s.status
    from public.subscriptions s join public.organizations o on o.id = s.organization_id
   where o.clerk_org_id = 'org_c55' $$;

-- subscription A is canceled, B replaces it and is canceled too; older checkouts arrive late
select is(pg_temp.event('evt_c55_1', 'customer.subscription.created', '2030-01-01 00:00+00', 'sub_c55_a', 'pro', 'active'),
  'applied', 'fixture: subscription A');
select is(pg_temp.event('evt_c55_2', 'customer.subscription.deleted', '2030-01-02 00:00+00', 'sub_c55_a', 'free', 'canceled'),
  'applied', 'fixture: A canceled');
select is(pg_temp.event('evt_c55_3', 'customer.subscription.created', '2030-01-03 00:00+00', 'sub_c55_b', 'pro', 'active'),
  'applied', 'fixture: subscription B');
select is(pg_temp.event('evt_c55_4', 'checkout.session.completed', '2030-01-01 00:00+00', 'sub_c55_x', 'pro', 'active'),
  'superseded', 'a late checkout of another subscription, older than the live B, is superseded');
select is(pg_temp.event('evt_c55_5', 'customer.subscription.deleted', '2030-01-04 00:00+00', 'sub_c55_b', 'free', 'canceled'),
  'applied', 'fixture: B canceled too');
select is(pg_temp.event('evt_c55_6', 'checkout.session.completed', '2030-01-05 00:00+00', 'sub_c55_a', 'pro', 'active'),
  'stale', 'a checkout of the canceled A is stale even when no live subscription is left');
select is(pg_temp.c55(), 'sub_c55_b free canceled', 'and the organization stays on the free plan');

-- subscription C falls past due; its checkout arrives after that
select is(pg_temp.event('evt_c55_7', 'customer.subscription.created', '2030-01-06 00:00+00', 'sub_c55_c', 'pro', 'active'),
  'applied', 'fixture: subscription C');
select is(pg_temp.event('evt_c55_8', 'invoice.payment_failed', '2030-01-07 00:00+00', 'sub_c55_c', null, 'past_due'),
  'applied', 'fixture: C past due');
select is(pg_temp.event('evt_c55_9', 'checkout.session.completed', '2030-01-06 00:00:05+00', 'sub_c55_c', 'pro', 'active'),
  'stale', 'C''s checkout, older than what is known of C, does not make it active again');

select * from finish();
rollback;
