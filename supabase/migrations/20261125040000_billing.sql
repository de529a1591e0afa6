-- =============================================================================
-- Billing: the plan overview members read, the switch to the free plan, and
-- Stripe webhook events.
--
-- Every function here runs as service_role only (SECURITY INVOKER; the
-- service passes the verified Clerk identity as explicit arguments):
--   * billing_overview() provisions an organization seen for the first time
--     (through provision_identity) before answering, so a member's very first
--     GET /api/billing works. A SECURITY INVOKER read run as `authenticated`
--     could not provision (authenticated never writes), and answering "not
--     found" for a real, verified organization would be wrong.
--   * downgrade_to_free() checks the admin role itself, as a second line
--     behind the service's own check.
--   * apply_stripe_event() records each Stripe event id in stripe_events in the
--     same transaction as its effect, so a replay changes nothing.
-- Stripe may deliver events late, twice and in any order. Each subscription row
-- remembers the Stripe `created` time of the newest event applied to it
-- (stripe_event_at); an older event is recorded as 'stale' and changes nothing.
-- The service parses Stripe's payloads in Python and passes normalised fields.
-- =============================================================================

alter table public.subscriptions add column stripe_event_at timestamptz;

comment on column public.subscriptions.stripe_event_at is
  'Stripe created time of the newest subscription or invoice event applied to this row; older events are ignored.';

-- -----------------------------------------------------------------------------
-- Stripe events (service only)
-- -----------------------------------------------------------------------------

/** One row per processed Stripe event id; the primary key makes a replay a no-op. */
create table public.stripe_events (
  id text primary key,
  event_type text not null,
  stripe_created_at timestamptz not null,
  organization_id uuid references public.organizations (id) on delete set null,
  outcome text not null check (outcome in ('applied', 'stale', 'superseded', 'unmatched')),
  received_at timestamptz not null default now()
);
alter table public.stripe_events enable row level security;

create index stripe_events_organization_id_idx on public.stripe_events (organization_id);
create index stripe_events_received_at_idx on public.stripe_events (received_at);

revoke all on table public.stripe_events from public, anon, authenticated;
grant all on table public.stripe_events to service_role;

-- Members never read Stripe events; the policy states that only the service does.
create policy "Stripe events are read by the service only"
  on public.stripe_events
  for select
  to service_role
  using (true);

-- -----------------------------------------------------------------------------
-- Overview
-- -----------------------------------------------------------------------------

/**
 * The billing overview of one organization (by organizations.id):
 *   {"organization_id", "subscription": {plan, status, current_period_start,
 *    current_period_end, cancel_at, stripe_customer_id, stripe_subscription_id},
 *    "plan": <plans row>, "usage": {month, audits_this_month, resets_at},
 *    "plans": [<plans rows>]}
 * Month boundaries are UTC; audits_per_month null means unlimited. An org
 * without a subscription row reads as free/active. PT404 on an unknown org.
 */
create function public.billing_overview_of(organization_id uuid)
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
      'plan', p.id,
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
  join public.plans p on p.id = coalesce(s.plan, 'free')
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

revoke all on function public.billing_overview_of(uuid) from public, anon, authenticated;
grant execute on function public.billing_overview_of(uuid) to service_role;

/**
 * GET /api/billing: provisions the verified identity (provision_identity: a
 * first request of an unknown org or user creates it), then returns
 * billing_overview_of() for its organization. Service_role only: see the
 * header of this file for why this read is not a SECURITY INVOKER function run
 * as authenticated.
 */
create function public.billing_overview(
  clerk_user_id text,
  clerk_org_id text,
  org_role text default 'org:member',
  email text default null,
  name text default null,
  org_name text default null,
  personal boolean default false
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_identity jsonb;
begin
  v_identity := public.provision_identity(
    clerk_user_id => billing_overview.clerk_user_id,
    clerk_org_id => billing_overview.clerk_org_id,
    org_role => billing_overview.org_role,
    email => billing_overview.email,
    name => billing_overview.name,
    org_name => billing_overview.org_name,
    personal => billing_overview.personal
  );
  return public.billing_overview_of((v_identity ->> 'organization_id')::uuid);
end;
$$;

revoke all on function public.billing_overview(text, text, text, text, text, text, boolean) from public, anon, authenticated;
grant execute on function public.billing_overview(text, text, text, text, text, text, boolean) to service_role;

-- -----------------------------------------------------------------------------
-- Switching to the free plan
-- -----------------------------------------------------------------------------

/**
 * POST /api/billing {"plan": "free"} by an org admin; returns the new overview.
 *   * No live Stripe subscription (none, or canceled / incomplete_expired):
 *     the plan becomes 'free' now (status active, period and cancel_at cleared).
 *   * A live one, which the service has just asked Stripe to cancel at the end
 *     of its period (stripe_cancel_at = that time): the paid plan runs until
 *     then and cancel_at records it; Stripe's customer.subscription.deleted
 *     event moves the org to 'free' when the period ends.
 * PT403 unless org_role is the admin role, PT404 for an unknown org, 22023
 * when a live subscription exists but stripe_cancel_at is missing.
 */
create function public.downgrade_to_free(
  clerk_org_id text,
  org_role text,
  stripe_cancel_at timestamptz default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_org_id uuid;
  v_live_subscription text;
begin
  if coalesce(downgrade_to_free.org_role, '') not in ('org:admin', 'admin') then
    raise exception using
      errcode = 'PT403',
      message = 'only organization admins can change the plan';
  end if;

  select o.id, s.stripe_subscription_id
    into v_org_id, v_live_subscription
    from public.organizations o
    left join public.subscriptions s
      on s.organization_id = o.id
     and s.status not in ('canceled', 'incomplete_expired')
   where o.clerk_org_id = downgrade_to_free.clerk_org_id
     for update of o;
  if v_org_id is null then
    raise exception using
      errcode = 'PT404',
      message = 'organization not found',
      detail = pg_catalog.format('No organization %L.', downgrade_to_free.clerk_org_id);
  end if;

  if v_live_subscription is null then
    insert into public.subscriptions as s (organization_id, plan, status)
    values (v_org_id, 'free', 'active')
    on conflict (organization_id) do update
      set plan = 'free',
          status = 'active',
          current_period_start = null,
          current_period_end = null,
          cancel_at = null;
  elsif downgrade_to_free.stripe_cancel_at is null then
    raise exception using
      errcode = '22023',
      message = 'stripe_cancel_at is required',
      detail = pg_catalog.format('Organization %L has the live Stripe subscription %s.', downgrade_to_free.clerk_org_id, v_live_subscription),
      hint = 'Cancel the Stripe subscription at period end first and pass its cancel_at.';
  else
    update public.subscriptions s
       set cancel_at = downgrade_to_free.stripe_cancel_at
     where s.organization_id = v_org_id;
  end if;

  return public.billing_overview_of(v_org_id);
end;
$$;

revoke all on function public.downgrade_to_free(text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.downgrade_to_free(text, text, timestamptz) to service_role;

-- -----------------------------------------------------------------------------
-- Stripe events
-- -----------------------------------------------------------------------------

/**
 * Applies one verified Stripe event, normalised by the service; returns
 * {"outcome": applied|duplicate|stale|superseded|unmatched, "organization_id"}.
 *
 * The organization is found by stripe_subscription_id, else by
 * stripe_customer_id, else by organization_id (Checkout's client_reference_id
 * or the subscription's metadata). Then, under a row lock:
 *   * duplicate:  the event id was processed before; nothing changes (and no
 *                 second stripe_events row is written);
 *   * unmatched:  no organization found; recorded, nothing else changes;
 *   * stale:      event_created is older than the newest event applied to the
 *                 row, or it would revive a subscription already canceled;
 *   * superseded: it concerns another Stripe subscription than the org's live
 *                 one (e.g. an old one's late event);
 *   * applied:    by event type
 *       checkout.session.completed  links customer and subscription, sets
 *                                   plan and status; it does not advance
 *                                   stripe_event_at, so the subscription's
 *                                   own (earlier) created event still fills
 *                                   the period afterwards;
 *       customer.subscription.*     plan (when given), status, period and
 *                                   cancel_at exactly as given (null clears);
 *       invoice.*                   status only.
 * plan null keeps the current plan. 22023 on a missing id, type or time.
 */
create function public.apply_stripe_event(
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

    if not v_is_checkout and apply_stripe_event.event_created < v_row.stripe_event_at then
      v_outcome := 'stale';
    elsif v_row.stripe_subscription_id = apply_stripe_event.stripe_subscription_id
          and v_row.status = 'canceled'
          and apply_stripe_event.status is distinct from 'canceled' then
      v_outcome := 'stale';  -- a canceled Stripe subscription never comes back
    elsif not v_is_checkout
          and v_row.stripe_subscription_id is not null
          and apply_stripe_event.stripe_subscription_id is not null
          and v_row.stripe_subscription_id <> apply_stripe_event.stripe_subscription_id
          and v_row.status not in ('canceled', 'incomplete_expired') then
      v_outcome := 'superseded';
    else
      update public.subscriptions s
         set stripe_customer_id = coalesce(apply_stripe_event.stripe_customer_id, s.stripe_customer_id),
             stripe_subscription_id = coalesce(apply_stripe_event.stripe_subscription_id, s.stripe_subscription_id),
             plan = coalesce(apply_stripe_event.plan, s.plan),
             status = coalesce(apply_stripe_event.status, s.status),
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

revoke all on function public.apply_stripe_event(text, text, timestamptz, uuid, text, text, text, text, timestamptz, timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function public.apply_stripe_event(text, text, timestamptz, uuid, text, text, text, text, timestamptz, timestamptz, timestamptz) to service_role;
