-- =============================================================================
-- SheetBrain audits: two round trips per audit, exact rate limits and quotas.
--
--   begin_audit(...)   provision the caller, admit the request in the org's
--                      rate-limit window, reserve one audit of the monthly
--                      quota, load policies + retrieved policy chunks.
--   finish_audit(...)  write the audit_logs row and confirm the reservation.
--   release_audit(...) give a reserved audit back (the audit failed).
--   check_rate_limit(org_id) the same admission, for other endpoints.
--
-- Every counter changes in one INSERT ... ON CONFLICT DO UPDATE ... WHERE
-- statement, so concurrent requests on any number of replicas can never be
-- admitted beyond the limit. Rejections raise PT429 / PT402 with a JSON DETAIL
-- the service turns into headers and problem details.
-- All functions: SECURITY INVOKER, service_role only.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- audit_logs: review metadata (and the same columns, in the same order, on the
-- archive, so `INSERT INTO audit_logs_archive SELECT * FROM audit_logs` works)
-- -----------------------------------------------------------------------------

alter table public.audit_logs
  add column model text,
  add column input_tokens integer not null default 0 check (input_tokens >= 0),
  add column output_tokens integer not null default 0 check (output_tokens >= 0),
  add column cache_read_tokens integer not null default 0 check (cache_read_tokens >= 0),
  add column cache_write_tokens integer not null default 0 check (cache_write_tokens >= 0),
  add column ai_status text,
  add column degraded boolean not null default false,
  add column unique_shapes integer not null default 0 check (unique_shapes >= 0),
  add column findings_by_severity jsonb not null default '{}'::jsonb,
  add column findings_by_rule jsonb not null default '{}'::jsonb;

alter table public.audit_logs_archive
  add column model text,
  add column input_tokens integer not null default 0 check (input_tokens >= 0),
  add column output_tokens integer not null default 0 check (output_tokens >= 0),
  add column cache_read_tokens integer not null default 0 check (cache_read_tokens >= 0),
  add column cache_write_tokens integer not null default 0 check (cache_write_tokens >= 0),
  add column ai_status text,
  add column degraded boolean not null default false,
  add column unique_shapes integer not null default 0 check (unique_shapes >= 0),
  add column findings_by_severity jsonb not null default '{}'::jsonb,
  add column findings_by_rule jsonb not null default '{}'::jsonb;

-- -----------------------------------------------------------------------------
-- Quota reservations
-- -----------------------------------------------------------------------------

/**
 * One audit of the monthly quota, counted in audit_usage when reserved.
 *   reserved  -> confirmed (finish_audit) or released (release_audit, count given back)
 *   reserved  -> expired   (never finished within 15 minutes: the service died
 *                           mid-audit; begin_audit gives the count back)
 * An expired reservation that finishes after all is counted again.
 */
create table public.audit_reservations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references public.users (id) on delete set null,
  month_year text not null check (month_year ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  status text not null default 'reserved' check (status in ('reserved', 'confirmed', 'released', 'expired')),
  created_at timestamptz not null default now(),
  settled_at timestamptz
);
alter table public.audit_reservations enable row level security;

create index audit_reservations_open_idx on public.audit_reservations (organization_id, status, created_at);
create index audit_reservations_user_id_idx on public.audit_reservations (user_id);

revoke all on table public.audit_reservations from public, anon, authenticated;
grant select on table public.audit_reservations to authenticated;
grant all on table public.audit_reservations to service_role;

create policy "Members can view their organization's audit reservations"
  on public.audit_reservations
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );

-- -----------------------------------------------------------------------------
-- Rate limit
-- -----------------------------------------------------------------------------

/**
 * Admits one request in the organization's fixed window, or refuses it.
 * Limit and window come from the org's plan (subscriptions -> plans; default
 * 100 per 60 s). One statement decides: the bucket row is locked by the upsert
 * and the WHERE is evaluated on its latest version, so N concurrent callers
 * against a limit L admit exactly min(N, L).
 * Returns {"limit", "remaining", "reset_at", "reset_seconds", "window_seconds"}.
 * Refused: PT429, DETAIL = the same JSON plus "retry_after" (seconds).
 * PT404 for an unknown org, 22023 for null.
 */
create function public.check_rate_limit(org_id uuid)
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
    from public.subscriptions s
    join public.plans p on p.id = s.plan
   where s.organization_id = check_rate_limit.org_id;
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

revoke all on function public.check_rate_limit(uuid) from public, anon, authenticated;
grant execute on function public.check_rate_limit(uuid) to service_role;

-- -----------------------------------------------------------------------------
-- Audit: begin, finish, release
-- -----------------------------------------------------------------------------

/**
 * The first round trip of an audit, in one transaction:
 *   1. provision_identity(...) (unknown users and orgs are created, never an FK error);
 *   2. check_rate_limit(org) (PT429 when refused);
 *   3. give back reservations left open for 15 minutes (a service died mid-audit);
 *   4. reserve one audit of this UTC month's quota: one upsert that only counts
 *      while count < plans.audits_per_month (null = unlimited); PT402 when used up,
 *      DETAIL {"plan", "limit", "used", "month", "resets_at", "rate_limit"} (the
 *      rate-limit state as admitted; the rollback gives that request back);
 *   5. the org's policies (content cut at policy_chars) and
 *      retrieve_policy_chunks(org, retrieval_query, chunk_limit).
 * Returns {"reservation_id", "organization_id", "user_id", "role",
 *          "plan": {"id", "name"}, "quota": {"limit", "used", "remaining", "month", "resets_at"},
 *          "rate_limit": <check_rate_limit answer>, "policies": [...], "chunks": [...]};
 * quota limit/remaining are null when unlimited.
 * A rejection rolls back everything, including the rate-limit count.
 */
create function public.begin_audit(
  clerk_user_id text,
  clerk_org_id text,
  org_role text default 'org:member',
  email text default null,
  name text default null,
  org_name text default null,
  personal boolean default false,
  retrieval_query text default '',
  chunk_limit integer default 5,
  policy_limit integer default 50,
  policy_chars integer default 4000
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_identity jsonb;
  v_org_id uuid;
  v_user_id uuid;
  v_plan_id text;
  v_plan_name text;
  v_quota integer;
  v_rate jsonb;
  v_month text := pg_catalog.to_char(pg_catalog.now() at time zone 'UTC', 'YYYY-MM');
  v_resets_at timestamptz :=
    (pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC') + interval '1 month') at time zone 'UTC';
  v_used integer;
  v_reservation_id uuid;
  v_policies jsonb;
  v_chunks jsonb := '[]'::jsonb;
begin
  if begin_audit.chunk_limit is null or begin_audit.chunk_limit not between 0 and 50
     or begin_audit.policy_limit is null or begin_audit.policy_limit not between 0 and 500
     or begin_audit.policy_chars is null or begin_audit.policy_chars not between 1 and 100000 then
    raise exception using
      errcode = '22023',
      message = 'invalid retrieval limits',
      hint = 'chunk_limit 0-50, policy_limit 0-500, policy_chars 1-100000.';
  end if;

  v_identity := public.provision_identity(
    clerk_user_id => begin_audit.clerk_user_id,
    clerk_org_id => begin_audit.clerk_org_id,
    org_role => begin_audit.org_role,
    email => begin_audit.email,
    name => begin_audit.name,
    org_name => begin_audit.org_name,
    personal => begin_audit.personal
  );
  v_org_id := (v_identity ->> 'organization_id')::uuid;
  v_user_id := (v_identity ->> 'user_id')::uuid;

  select p.id, p.name, p.audits_per_month
    into v_plan_id, v_plan_name, v_quota
    from public.plans p
   where p.id = v_identity ->> 'plan';

  v_rate := public.check_rate_limit(v_org_id);

  with expired as (
    update public.audit_reservations r
       set status = 'expired', settled_at = pg_catalog.now()
     where r.organization_id = v_org_id
       and r.status = 'reserved'
       and r.created_at < pg_catalog.now() - interval '15 minutes'
    returning r.month_year
  ), per_month as (
    select e.month_year, pg_catalog.count(*)::integer as n from expired e group by e.month_year
  )
  update public.audit_usage au
     set count = greatest(au.count - pm.n, 0)
    from per_month pm
   where au.organization_id = v_org_id and au.month_year = pm.month_year;

  if v_quota is null or v_quota > 0 then
    insert into public.audit_usage as au (organization_id, month_year, count)
    values (v_org_id, v_month, 1)
    on conflict (organization_id, month_year) do update
      set count = au.count + 1
      where v_quota is null or au.count < v_quota
    returning au.count into v_used;
  end if;

  if v_used is null then
    select au.count into v_used
      from public.audit_usage au
     where au.organization_id = v_org_id and au.month_year = v_month;
    raise exception using
      errcode = 'PT402',
      message = 'monthly audit quota used up',
      detail = pg_catalog.jsonb_build_object(
        'plan', v_plan_id,
        'limit', v_quota,
        'used', coalesce(v_used, 0),
        'month', v_month,
        'resets_at', v_resets_at,
        'rate_limit', v_rate
      )::text,
      hint = 'Upgrade the plan, or wait until resets_at (UTC month start).';
  end if;

  insert into public.audit_reservations (organization_id, user_id, month_year)
  values (v_org_id, v_user_id, v_month)
  returning id into v_reservation_id;

  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'id', p.id,
           'title', p.title,
           'content', pg_catalog.left(p.content, begin_audit.policy_chars),
           'truncated', pg_catalog.length(p.content) > begin_audit.policy_chars,
           'category', p.category,
           'template_key', p.template_key
         ) order by p.is_default desc, p.created_at, p.id), '[]'::jsonb)
    into v_policies
    from (
      select pol.*
        from public.policies pol
       where pol.organization_id = v_org_id
       order by pol.is_default desc, pol.created_at, pol.id
       limit begin_audit.policy_limit
    ) p;

  if begin_audit.chunk_limit > 0 and nullif(pg_catalog.btrim(begin_audit.retrieval_query), '') is not null then
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
             'policy_id', c.policy_id,
             'chunk_id', c.chunk_id,
             'title', c.title,
             'content', pg_catalog.left(c.content, begin_audit.policy_chars),
             'rank', c.rank
           ) order by c.rank desc), '[]'::jsonb)
      into v_chunks
      from public.retrieve_policy_chunks(v_org_id, begin_audit.retrieval_query, begin_audit.chunk_limit) c;
  end if;

  return pg_catalog.jsonb_build_object(
    'reservation_id', v_reservation_id,
    'organization_id', v_org_id,
    'user_id', v_user_id,
    'role', v_identity ->> 'role',
    'plan', pg_catalog.jsonb_build_object('id', v_plan_id, 'name', v_plan_name),
    'quota', pg_catalog.jsonb_build_object(
      'limit', v_quota,
      'used', v_used,
      'remaining', v_quota - v_used,
      'month', v_month,
      'resets_at', v_resets_at
    ),
    'rate_limit', v_rate,
    'policies', v_policies,
    'chunks', v_chunks
  );
end;
$$;

revoke all on function public.begin_audit(text, text, text, text, text, text, boolean, text, integer, integer, integer) from public, anon, authenticated;
grant execute on function public.begin_audit(text, text, text, text, text, text, boolean, text, integer, integer, integer) to service_role;

/**
 * The second round trip: writes the audit_logs row and confirms the reservation,
 * in one transaction. An expired reservation (see audit_reservations) is counted
 * again. Returns {"audit_log_id", "organization_id", "month", "used"}.
 * PT404 for an unknown reservation, PT409 when it was already confirmed or released.
 */
create function public.finish_audit(
  reservation_id uuid,
  formula_count integer,
  compliant_count integer,
  issues_found integer,
  duration_ms integer,
  rag_used boolean default false,
  rag_context_count integer default 0,
  model text default null,
  input_tokens integer default 0,
  output_tokens integer default 0,
  cache_read_tokens integer default 0,
  cache_write_tokens integer default 0,
  ai_status text default null,
  degraded boolean default false,
  unique_shapes integer default 0,
  findings_by_severity jsonb default '{}'::jsonb,
  findings_by_rule jsonb default '{}'::jsonb
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_reservation public.audit_reservations%rowtype;
  v_log_id uuid;
  v_used integer;
begin
  select r.* into v_reservation
    from public.audit_reservations r
   where r.id = finish_audit.reservation_id
   for update;
  if not found then
    raise exception using
      errcode = 'PT404',
      message = 'reservation not found',
      detail = pg_catalog.format('No audit reservation with id %s.', finish_audit.reservation_id),
      hint = 'Pass the reservation_id begin_audit returned.';
  end if;
  if v_reservation.status in ('confirmed', 'released') then
    raise exception using
      errcode = 'PT409',
      message = 'reservation already settled',
      detail = pg_catalog.format('Reservation %s is %s.', v_reservation.id, v_reservation.status),
      hint = 'Each reservation is finished or released once.';
  end if;

  if v_reservation.status = 'expired' then
    insert into public.audit_usage as au (organization_id, month_year, count)
    values (v_reservation.organization_id, v_reservation.month_year, 1)
    on conflict (organization_id, month_year) do update set count = au.count + 1
    returning au.count into v_used;
  else
    select au.count into v_used
      from public.audit_usage au
     where au.organization_id = v_reservation.organization_id
       and au.month_year = v_reservation.month_year;
  end if;

  update public.audit_reservations r
     set status = 'confirmed', settled_at = pg_catalog.now()
   where r.id = v_reservation.id;

  insert into public.audit_logs (
    organization_id, user_id, formula_count, compliant_count, issues_found, duration_ms,
    rag_used, rag_context_count, model, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, ai_status, degraded, unique_shapes, findings_by_severity,
    findings_by_rule
  )
  values (
    v_reservation.organization_id, v_reservation.user_id, finish_audit.formula_count,
    finish_audit.compliant_count, finish_audit.issues_found, finish_audit.duration_ms,
    coalesce(finish_audit.rag_used, false), coalesce(finish_audit.rag_context_count, 0),
    finish_audit.model, coalesce(finish_audit.input_tokens, 0), coalesce(finish_audit.output_tokens, 0),
    coalesce(finish_audit.cache_read_tokens, 0), coalesce(finish_audit.cache_write_tokens, 0),
    finish_audit.ai_status, coalesce(finish_audit.degraded, false),
    coalesce(finish_audit.unique_shapes, 0), coalesce(finish_audit.findings_by_severity, '{}'::jsonb),
    coalesce(finish_audit.findings_by_rule, '{}'::jsonb)
  )
  returning id into v_log_id;

  return pg_catalog.jsonb_build_object(
    'audit_log_id', v_log_id,
    'organization_id', v_reservation.organization_id,
    'month', v_reservation.month_year,
    'used', v_used
  );
end;
$$;

revoke all on function public.finish_audit(uuid, integer, integer, integer, integer, boolean, integer, text, integer, integer, integer, integer, text, boolean, integer, jsonb, jsonb) from public, anon, authenticated;
grant execute on function public.finish_audit(uuid, integer, integer, integer, integer, boolean, integer, text, integer, integer, integer, integer, text, boolean, integer, jsonb, jsonb) to service_role;

/**
 * Gives a reserved audit back (the audit failed after begin_audit): the month's
 * count goes down by one and the reservation is marked released. Idempotent:
 * releasing a released or expired reservation changes nothing.
 * Returns {"released": boolean, "used": integer}. PT404 unknown, PT409 confirmed.
 */
create function public.release_audit(reservation_id uuid)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_reservation public.audit_reservations%rowtype;
  v_used integer;
begin
  select r.* into v_reservation
    from public.audit_reservations r
   where r.id = release_audit.reservation_id
   for update;
  if not found then
    raise exception using
      errcode = 'PT404',
      message = 'reservation not found',
      detail = pg_catalog.format('No audit reservation with id %s.', release_audit.reservation_id),
      hint = 'Pass the reservation_id begin_audit returned.';
  end if;
  if v_reservation.status = 'confirmed' then
    raise exception using
      errcode = 'PT409',
      message = 'reservation already confirmed',
      detail = pg_catalog.format('Reservation %s was finished and counted.', v_reservation.id),
      hint = 'Only an unfinished audit can be released.';
  end if;

  if v_reservation.status = 'reserved' then
    update public.audit_usage au
       set count = greatest(au.count - 1, 0)
     where au.organization_id = v_reservation.organization_id
       and au.month_year = v_reservation.month_year
    returning au.count into v_used;
    update public.audit_reservations r
       set status = 'released', settled_at = pg_catalog.now()
     where r.id = v_reservation.id;
  else
    select au.count into v_used
      from public.audit_usage au
     where au.organization_id = v_reservation.organization_id
       and au.month_year = v_reservation.month_year;
  end if;

  return pg_catalog.jsonb_build_object(
    'released', v_reservation.status = 'reserved',
    'used', coalesce(v_used, 0)
  );
end;
$$;

revoke all on function public.release_audit(uuid) from public, anon, authenticated;
grant execute on function public.release_audit(uuid) to service_role;
