-- =============================================================================
-- Paid limits follow the Stripe subscription's status, and a late checkout
-- cannot bring back a dead subscription.
--
-- * plan_in_force(org) is the plan whose limits apply: the subscribed plan
--   while its status is active or trialing, or past_due for at most
--   PAST_DUE_GRACE (7 days, from the Stripe event that made it past_due);
--   otherwise the free plan. The rate limit (check_rate_limit,
--   increment_rate_limit), the audit quota (begin_audit, through
--   provision_identity) and the billing overview's limits all use it.
-- * stripe_ended_subscriptions remembers every Stripe subscription reported
--   canceled or incomplete_expired. Stripe never revives one, so no later event
--   about it (a late checkout.session.completed included) changes anything.
-- * checkout.session.completed is no longer exempt from ordering: one older than
--   the newest event applied to the same subscription is stale, and one for
--   another subscription older than the organization's live one is superseded.
-- =============================================================================

alter table public.subscriptions add column past_due_since timestamptz;

comment on column public.subscriptions.past_due_since is
  'Stripe time of the event that made the subscription past_due; null in any other status. Paid limits last 7 days from it.';

update public.subscriptions s
   set past_due_since = s.updated_at
 where s.status = 'past_due';

/** Stripe subscriptions reported ended (canceled, incomplete_expired): final. */
create table public.stripe_ended_subscriptions (
  stripe_subscription_id text primary key,
  organization_id uuid references public.organizations (id) on delete set null,
  ended_at timestamptz not null,
  recorded_at timestamptz not null default now()
);
alter table public.stripe_ended_subscriptions enable row level security;

create index stripe_ended_subscriptions_organization_id_idx
  on public.stripe_ended_subscriptions (organization_id);

revoke all on table public.stripe_ended_subscriptions from public, anon, authenticated;
grant all on table public.stripe_ended_subscriptions to service_role;

create policy "Ended Stripe subscriptions are read by the service only"
  on public.stripe_ended_subscriptions
  for select
  to service_role
  using (true);

insert into public.stripe_ended_subscriptions (stripe_subscription_id, organization_id, ended_at)
select s.stripe_subscription_id, s.organization_id, coalesce(s.stripe_event_at, s.updated_at)
  from public.subscriptions s
 where s.status in ('canceled', 'incomplete_expired')
   and s.stripe_subscription_id is not null;

-- -----------------------------------------------------------------------------
-- The plan in force
-- -----------------------------------------------------------------------------

/**
 * The id of the plan whose limits apply to an organization now: its
 * subscription's plan while the status is active or trialing, or past_due for
 * at most 7 days (the grace period, counted from past_due_since); 'free' in
 * every other case (unpaid, incomplete, canceled, paused, no subscription).
 */
create function public.plan_in_force(organization_id uuid)
returns text
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(
    (select s.plan
       from public.subscriptions s
      where s.organization_id = plan_in_force.organization_id
        and (s.status in ('active', 'trialing')
             or (s.status = 'past_due'
                 and s.past_due_since > pg_catalog.now() - interval '7 days'))),
    'free'
  );
$$;

revoke all on function public.plan_in_force(uuid) from public, anon, authenticated;
grant execute on function public.plan_in_force(uuid) to service_role;

-- -----------------------------------------------------------------------------
-- Rate limits by the plan in force
-- -----------------------------------------------------------------------------

/** As in 20261125000300_core_functions.sql; the window comes from plan_in_force(). */
create or replace function public.increment_rate_limit(org_id uuid)
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  new_count integer;
begin
  if increment_rate_limit.org_id is null then
    raise exception using
      errcode = '22023',
      message = 'org_id is required',
      hint = 'Pass the organization''s uuid (organizations.id).';
  end if;

  insert into public.rate_limit_buckets as b (organization_id, request_count, window_reset_at)
  select
    increment_rate_limit.org_id,
    1,
    pg_catalog.now() + pg_catalog.make_interval(secs => coalesce(
      (select p.rate_limit_window_seconds
         from public.plans p
        where p.id = public.plan_in_force(increment_rate_limit.org_id)),
      60
    ))
  on conflict (organization_id) do update
    set request_count = case
          when b.window_reset_at <= pg_catalog.now() then 1
          else b.request_count + 1
        end,
        window_reset_at = case
          when b.window_reset_at <= pg_catalog.now() then excluded.window_reset_at
          else b.window_reset_at
        end
  returning b.request_count into new_count;

  return new_count;
exception
  when foreign_key_violation then
    raise exception using
      errcode = 'PT404',
      message = 'organization not found',
      detail = pg_catalog.format('No organization with id %s.', increment_rate_limit.org_id),
      hint = 'Provision the organization first (provision_identity).';
end;
$$;

/** As in 20261125030000_audit.sql; limit and window come from plan_in_force(). */
create or replace function public.check_rate_limit(org_id uuid)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_limit integer;
  v_window integer;
  v_count integer;
  v_reset_at timestamptz;
  v_state jsonb;
begin
  if check_rate_limit.org_id is null then
    raise exception using
      errcode = '22023',
      message = 'org_id is required',
      hint = 'Pass the organization''s uuid (organizations.id).';
  end if;

  select p.rate_limit_requests, p.rate_limit_window_seconds
    into v_limit, v_window
    from public.plans p
   where p.id = public.plan_in_force(check_rate_limit.org_id);
  v_limit := coalesce(v_limit, 100);
  v_window := coalesce(v_window, 60);

  insert into public.rate_limit_buckets as b (organization_id, request_count, window_reset_at)
  values (
    check_rate_limit.org_id,
    1,
    pg_catalog.now() + pg_catalog.make_interval(secs => v_window)
  )
  on conflict (organization_id) do update
    set request_count = case
          when b.window_reset_at <= pg_catalog.now() then 1
          else b.request_count + 1
        end,
        window_reset_at = case
          when b.window_reset_at <= pg_catalog.now() then excluded.window_reset_at
          else b.window_reset_at
        end
    where b.window_reset_at <= pg_catalog.now() or b.request_count < v_limit
  returning b.request_count, b.window_reset_at into v_count, v_reset_at;

  if v_count is null then
    -- refused: the row exists and is locked by this transaction's attempt
    select b.window_reset_at into v_reset_at
      from public.rate_limit_buckets b
     where b.organization_id = check_rate_limit.org_id;
  end if;

  v_state := pg_catalog.jsonb_build_object(
    'limit', v_limit,
    'remaining', greatest(v_limit - coalesce(v_count, v_limit), 0),
    'reset_at', v_reset_at,
    'reset_seconds', greatest(
      pg_catalog.ceil(extract(epoch from v_reset_at - pg_catalog.now()))::integer, 0),
    'window_seconds', v_window
  );

  if v_count is null then
    raise exception using
      errcode = 'PT429',
      message = 'rate limit exceeded',
      detail = (v_state || pg_catalog.jsonb_build_object(
        'retry_after', greatest((v_state ->> 'reset_seconds')::integer, 1)))::text,
      hint = 'Wait until the window resets (retry_after seconds).';
  end if;
  return v_state;
exception
  when foreign_key_violation then
    raise exception using
      errcode = 'PT404',
      message = 'organization not found',
      detail = pg_catalog.format('No organization with id %s.', check_rate_limit.org_id),
      hint = 'Provision the organization first (provision_identity).';
end;
$$;

-- -----------------------------------------------------------------------------
-- The billing overview shows the limits in force
-- -----------------------------------------------------------------------------

/**
 * As in 20261125040000_billing.sql, except that "plan" (the limits the
 * overview reports) is plan_in_force(): subscription.plan and .status still
 * say what the organization subscribed to, and in which state.
 */
create or replace function public.billing_overview_of(organization_id uuid)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_month_start timestamp := pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC');
  v_answer jsonb;
begin
  select pg_catalog.jsonb_build_object(
    'organization_id', o.id,
    'subscription', pg_catalog.jsonb_build_object(
      'plan', coalesce(s.plan, 'free'),
      'status', coalesce(s.status, 'active'),
      'current_period_start', s.current_period_start,
      'current_period_end', s.current_period_end,
      'cancel_at', s.cancel_at,
      'stripe_customer_id', s.stripe_customer_id,
      'stripe_subscription_id', s.stripe_subscription_id
    ),
    'plan', pg_catalog.to_jsonb(p),
    'usage', pg_catalog.jsonb_build_object(
      'month', pg_catalog.to_char(v_month_start, 'YYYY-MM'),
      'audits_this_month', coalesce(
        (select au.count
           from public.audit_usage au
          where au.organization_id = o.id
            and au.month_year = pg_catalog.to_char(v_month_start, 'YYYY-MM')),
        0
      ),
      'resets_at', (v_month_start + interval '1 month') at time zone 'UTC'
    ),
    'plans', (
      select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) order by c.audits_per_month nulls last, c.id)
        from public.plans c
    )
  )
  into v_answer
  from public.organizations o
  left join public.subscriptions s on s.organization_id = o.id
  join public.plans p on p.id = public.plan_in_force(o.id)
  where o.id = billing_overview_of.organization_id;

  if v_answer is null then
    raise exception using
      errcode = 'PT404',
      message = 'organization not found',
      detail = pg_catalog.format('No organization with id %s.', billing_overview_of.organization_id);
  end if;
  return v_answer;
end;
$$;

-- -----------------------------------------------------------------------------
-- Stripe events
-- -----------------------------------------------------------------------------

/**
 * As in 20261125040000_billing.sql (see there for matching, duplicates and
 * outcomes), with these changes:
 *   * an event naming a subscription in stripe_ended_subscriptions that would
 *     give it a live status is stale: an ended subscription never comes back;
 *   * checkout.session.completed is stale when an event newer than it was
 *     already applied to the same subscription, and superseded when the
 *     organization's live subscription is another one whose newest event is
 *     newer than the checkout;
 *   * a subscription event reporting canceled or incomplete_expired records the
 *     subscription in stripe_ended_subscriptions, whatever the outcome;
 *   * past_due_since is set when the status becomes past_due (the event's
 *     time) and cleared when it leaves past_due.
 */
create or replace function public.apply_stripe_event(
  event_id text,
  event_type text,
  event_created timestamptz,
  organization_id uuid default null,
  stripe_customer_id text default null,
  stripe_subscription_id text default null,
  plan text default null,
  status text default null,
  current_period_start timestamptz default null,
  current_period_end timestamptz default null,
  cancel_at timestamptz default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_org_id uuid;
  v_row public.subscriptions%rowtype;
  v_outcome text;
  v_is_checkout boolean := apply_stripe_event.event_type = 'checkout.session.completed';
  v_is_subscription boolean := apply_stripe_event.event_type like 'customer.subscription.%';
  v_ends boolean := apply_stripe_event.status in ('canceled', 'incomplete_expired');
  v_row_live boolean;
  v_new_status text;
begin
  if nullif(apply_stripe_event.event_id, '') is null
     or nullif(apply_stripe_event.event_type, '') is null
     or apply_stripe_event.event_created is null then
    raise exception using
      errcode = '22023',
      message = 'event_id, event_type and event_created are required';
  end if;

  if exists (select 1 from public.stripe_events e where e.id = apply_stripe_event.event_id) then
    return pg_catalog.jsonb_build_object('outcome', 'duplicate', 'organization_id', null);
  end if;

  select s.organization_id into v_org_id
    from public.subscriptions s
   where s.stripe_subscription_id = apply_stripe_event.stripe_subscription_id;
  if v_org_id is null then
    select s.organization_id into v_org_id
      from public.subscriptions s
     where s.stripe_customer_id = apply_stripe_event.stripe_customer_id
     order by s.updated_at desc
     limit 1;
  end if;
  if v_org_id is null then
    select o.id into v_org_id
      from public.organizations o
     where o.id = apply_stripe_event.organization_id;
  end if;

  if v_ends and apply_stripe_event.stripe_subscription_id is not null then
    insert into public.stripe_ended_subscriptions (stripe_subscription_id, organization_id, ended_at)
    values (apply_stripe_event.stripe_subscription_id, v_org_id, apply_stripe_event.event_created)
    on conflict on constraint stripe_ended_subscriptions_pkey do nothing;
  end if;

  if v_org_id is null then
    v_outcome := 'unmatched';
  else
    insert into public.subscriptions (organization_id)
    values (v_org_id)
    on conflict on constraint subscriptions_organization_id_key do nothing;

    select * into v_row
      from public.subscriptions s
     where s.organization_id = v_org_id
       for update;
    v_row_live := v_row.stripe_subscription_id is not null
                  and v_row.status not in ('canceled', 'incomplete_expired');

    if not v_ends and exists (
         select 1 from public.stripe_ended_subscriptions x
          where x.stripe_subscription_id = apply_stripe_event.stripe_subscription_id) then
      v_outcome := 'stale';  -- an ended Stripe subscription never comes back
    elsif apply_stripe_event.event_created < v_row.stripe_event_at
          and (not v_is_checkout
               or v_row.stripe_subscription_id = apply_stripe_event.stripe_subscription_id) then
      v_outcome := 'stale';
    elsif v_row_live
          and apply_stripe_event.stripe_subscription_id is not null
          and v_row.stripe_subscription_id <> apply_stripe_event.stripe_subscription_id
          and (not v_is_checkout or apply_stripe_event.event_created < v_row.stripe_event_at) then
      v_outcome := 'superseded';
    else
      v_new_status := coalesce(apply_stripe_event.status, v_row.status);
      update public.subscriptions s
         set stripe_customer_id = coalesce(apply_stripe_event.stripe_customer_id, s.stripe_customer_id),
             stripe_subscription_id = coalesce(apply_stripe_event.stripe_subscription_id, s.stripe_subscription_id),
             plan = coalesce(apply_stripe_event.plan, s.plan),
             status = v_new_status,
             past_due_since = case
               when v_new_status <> 'past_due' then null
               when s.status = 'past_due' then coalesce(s.past_due_since, apply_stripe_event.event_created)
               else apply_stripe_event.event_created end,
             current_period_start = case when v_is_subscription
               then apply_stripe_event.current_period_start else s.current_period_start end,
             current_period_end = case when v_is_subscription
               then apply_stripe_event.current_period_end else s.current_period_end end,
             cancel_at = case when v_is_subscription
               then apply_stripe_event.cancel_at else s.cancel_at end,
             stripe_event_at = case when v_is_checkout
               then s.stripe_event_at
               else greatest(s.stripe_event_at, apply_stripe_event.event_created) end
       where s.organization_id = v_org_id;
      v_outcome := 'applied';
    end if;
  end if;

  insert into public.stripe_events (id, event_type, stripe_created_at, organization_id, outcome)
  values (
    apply_stripe_event.event_id,
    apply_stripe_event.event_type,
    apply_stripe_event.event_created,
    v_org_id,
    v_outcome
  )
  on conflict (id) do nothing;
  if not found then
    -- the same event was processed concurrently and committed first: undo ours
    raise exception using
      errcode = 'PT409',
      message = 'Stripe event processed concurrently',
      detail = pg_catalog.format('Event %s was applied by another delivery.', apply_stripe_event.event_id),
      hint = 'Nothing to do: the other delivery applied it.';
  end if;

  return pg_catalog.jsonb_build_object('outcome', v_outcome, 'organization_id', v_org_id);
end;
$$;
