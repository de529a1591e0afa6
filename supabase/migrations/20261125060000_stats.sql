-- =============================================================================
-- SheetBrain operations: statistics reads for members, operators and the admin
-- dashboard, and audit-archive retention.
--
-- Every read takes an optional `org` (a Clerk org id or an organizations.id
-- uuid, as text). Left null, the organization comes from the caller's JWT
-- claims (org_id, or o.id in Clerk v2 tokens): that is how the API calls them,
-- as role authenticated, so RLS keeps each caller inside its own tenant (a
-- member naming another org sees zeros). Operators (the CLI) call them as
-- service_role and name the org explicitly.
-- An organization never seen yet is not an error: counts are zero, lists empty.
-- All functions are SECURITY INVOKER, pin search_path = '' and are revoked from
-- public/anon, then granted explicitly.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Which organization
-- -----------------------------------------------------------------------------

/**
 * The organizations.id the statistics functions report on: `org` when given
 * (uuid text or Clerk org id), else the org claim of the caller's JWT. Null when
 * no such organization exists or RLS hides it from the caller.
 */
create function public.stats_org_id(org text default null)
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if stats_org_id.org ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return (select o.id from public.organizations o where o.id = stats_org_id.org::uuid);
  end if;
  return (
    select o.id
      from public.organizations o
     where o.clerk_org_id = coalesce(
             stats_org_id.org,
             (select auth.jwt()) ->> 'org_id',
             (select auth.jwt()) -> 'o' ->> 'id'
           )
  );
end;
$$;

revoke all on function public.stats_org_id(text) from public, anon, authenticated;
grant execute on function public.stats_org_id(text) to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Statistics
-- -----------------------------------------------------------------------------

/**
 * get_org_stats for one organization, always exactly one row: zeros and the
 * free plan for an organization never seen. organization_id is null then.
 * monthly_quota is the plan's audits_per_month (null = unlimited).
 */
create function public.org_stats(org text default null)
returns table (
  organization_id uuid,
  clerk_org_id text,
  organization_name text,
  total_users bigint,
  total_policies bigint,
  total_audits bigint,
  audits_this_month integer,
  monthly_quota integer,
  plan text,
  subscription_status text
)
language sql
stable
security invoker
set search_path = ''
as $$
  with target as (
    select public.stats_org_id(org_stats.org) as id
  )
  select
    o.id,
    o.clerk_org_id,
    o.name,
    coalesce(s.total_users, 0),
    coalesce(s.total_policies, 0),
    coalesce(s.total_audits, 0),
    coalesce(s.audits_this_month, 0),
    p.audits_per_month,
    coalesce(s.plan, 'free'),
    coalesce(s.subscription_status, 'active')
  from target t
  left join public.organizations o on o.id = t.id
  left join lateral public.get_org_stats(t.id) s on true
  left join public.plans p on p.id = coalesce(s.plan, 'free');
$$;

revoke all on function public.org_stats(text) from public, anon, authenticated;
grant execute on function public.org_stats(text) to authenticated, service_role;

/**
 * Audits per UTC calendar month for the last `months` months (1..36), oldest
 * first, ending with the current month; months without audits count 0.
 * 22023 when months is out of range.
 */
create function public.org_usage_by_month(months integer default 12, org text default null)
returns table (month text, audits integer)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  target_id uuid;
begin
  if org_usage_by_month.months is null or org_usage_by_month.months not between 1 and 36 then
    raise exception using
      errcode = '22023',
      message = 'invalid months',
      detail = pg_catalog.format('months must be between 1 and 36, got %s.', coalesce(org_usage_by_month.months::text, 'null')),
      hint = 'E.g. 12 for the last year.';
  end if;
  target_id := public.stats_org_id(org_usage_by_month.org);

  return query
  with calendar as (
    select pg_catalog.to_char(m, 'YYYY-MM') as month_year
      from pg_catalog.generate_series(
             pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC')
               - pg_catalog.make_interval(months => org_usage_by_month.months - 1),
             pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC'),
             interval '1 month'
           ) as m
  )
  select c.month_year, coalesce(au.count, 0)
    from calendar c
    left join public.audit_usage au
      on au.organization_id = target_id and au.month_year = c.month_year
   order by c.month_year;
end;
$$;

revoke all on function public.org_usage_by_month(integer, text) from public, anon, authenticated;
grant execute on function public.org_usage_by_month(integer, text) to authenticated, service_role;

/**
 * The organization's current rate-limit window, always one row. A missing or
 * ended window reports 0 requests and a null window_reset_at. The limit and
 * window length come from the plan (free when there is no subscription).
 */
create function public.org_rate_limit(org text default null)
returns table (
  request_count integer,
  request_limit integer,
  remaining integer,
  window_seconds integer,
  window_reset_at timestamptz
)
language sql
stable
security invoker
set search_path = ''
as $$
  with target as (
    select public.stats_org_id(org_rate_limit.org) as id
  ), current_window as (
    select b.request_count, b.window_reset_at
      from target t
      join public.rate_limit_buckets b on b.organization_id = t.id
     where b.window_reset_at > pg_catalog.now()
  ), plan as (
    select p.rate_limit_requests, p.rate_limit_window_seconds
      from target t
      left join public.subscriptions s on s.organization_id = t.id
      join public.plans p on p.id = coalesce(s.plan, 'free')
  )
  select
    coalesce(w.request_count, 0),
    p.rate_limit_requests,
    greatest(p.rate_limit_requests - coalesce(w.request_count, 0), 0),
    p.rate_limit_window_seconds,
    w.window_reset_at
  from plan p
  left join current_window w on true;
$$;

revoke all on function public.org_rate_limit(text) from public, anon, authenticated;
grant execute on function public.org_rate_limit(text) to authenticated, service_role;

/**
 * One page of the organization's audit history (audit_logs and
 * audit_logs_archive together), newest first, keyset-paginated on
 * (created_at, id): pass the last row's created_at and id to get the rows
 * after it. page_size 1..1000. 22023 when only one half of the cursor is given.
 * user_id is the Clerk user id (null when the user is gone). details carries
 * every other column audit_logs has (columns later migrations add included).
 */
create function public.org_audit_history(
  page_size integer default 20,
  after_created_at timestamptz default null,
  after_id uuid default null,
  org text default null
)
returns table (
  id uuid,
  created_at timestamptz,
  user_id text,
  formula_count integer,
  compliant_count integer,
  issues_found integer,
  duration_ms integer,
  rag_used boolean,
  rag_context_count integer,
  archived boolean,
  details jsonb
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  target_id uuid;
begin
  if org_audit_history.page_size is null or org_audit_history.page_size not between 1 and 1000 then
    raise exception using
      errcode = '22023',
      message = 'invalid page_size',
      detail = pg_catalog.format('page_size must be between 1 and 1000, got %s.', coalesce(org_audit_history.page_size::text, 'null')),
      hint = 'E.g. 20.';
  end if;
  if (org_audit_history.after_created_at is null) <> (org_audit_history.after_id is null) then
    raise exception using
      errcode = '22023',
      message = 'invalid cursor',
      detail = 'after_created_at and after_id must be given together.',
      hint = 'Pass the created_at and id of the last row of the previous page.';
  end if;
  target_id := public.stats_org_id(org_audit_history.org);

  return query
  with page as (
    (select l.*, false as archived
       from public.audit_logs l
      where l.organization_id = target_id
        and (org_audit_history.after_id is null
             or (l.created_at, l.id) < (org_audit_history.after_created_at, org_audit_history.after_id))
      order by l.created_at desc, l.id desc
      limit org_audit_history.page_size)
    union all
    (select a.*, true as archived
       from public.audit_logs_archive a
      where a.organization_id = target_id
        and (org_audit_history.after_id is null
             or (a.created_at, a.id) < (org_audit_history.after_created_at, org_audit_history.after_id))
      order by a.created_at desc, a.id desc
      limit org_audit_history.page_size)
  )
  select
    h.id,
    h.created_at,
    u.clerk_user_id,
    h.formula_count,
    h.compliant_count,
    h.issues_found,
    h.duration_ms,
    h.rag_used,
    h.rag_context_count,
    h.archived,
    pg_catalog.to_jsonb(h) - array[
      'id', 'organization_id', 'user_id', 'created_at', 'formula_count', 'compliant_count',
      'issues_found', 'duration_ms', 'rag_used', 'rag_context_count', 'archived'
    ]
  from page h
  left join public.users u on u.id = h.user_id
  order by h.created_at desc, h.id desc
  limit org_audit_history.page_size;
end;
$$;

revoke all on function public.org_audit_history(integer, timestamptz, uuid, text) from public, anon, authenticated;
grant execute on function public.org_audit_history(integer, timestamptz, uuid, text) to authenticated, service_role;

/**
 * Finding totals over the organization's audit_logs (archived audits
 * excluded), per dimension, most hits first, at most `top` (1..100) keys per
 * dimension:
 *   'severity'  from findings_by_severity ({"error": 3, ...}, the audit endpoint's column)
 *   'rule'      from findings_by_rule ({"rule id": count}) where audits record it
 * Both are read through to_jsonb, so a column a database lacks counts nothing;
 * non-numeric values count 0.
 */
create function public.org_finding_totals(top integer default 10, org text default null)
returns table (dimension text, key text, hits bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  target_id uuid;
begin
  if org_finding_totals.top is null or org_finding_totals.top not between 1 and 100 then
    raise exception using
      errcode = '22023',
      message = 'invalid top',
      detail = pg_catalog.format('top must be between 1 and 100, got %s.', coalesce(org_finding_totals.top::text, 'null')),
      hint = 'E.g. 10.';
  end if;
  target_id := public.stats_org_id(org_finding_totals.org);

  return query
  with counts as (
    select d.dimension, c.key,
           case when pg_catalog.jsonb_typeof(c.value) = 'number'
                then (c.value #>> '{}')::numeric::bigint else 0 end as n
      from public.audit_logs l
      cross join lateral (values
        ('severity', pg_catalog.to_jsonb(l) -> 'findings_by_severity'),
        ('rule', pg_catalog.to_jsonb(l) -> 'findings_by_rule')
      ) as d(dimension, totals)
      cross join lateral pg_catalog.jsonb_each(
        case when pg_catalog.jsonb_typeof(d.totals) = 'object' then d.totals else '{}'::jsonb end
      ) c
     where l.organization_id = target_id
  ), totals as (
    select c.dimension, c.key, pg_catalog.sum(c.n)::bigint as hits
      from counts c
     group by c.dimension, c.key
    having pg_catalog.sum(c.n) > 0
  ), ranked as (
    select t.*, pg_catalog.row_number() over (partition by t.dimension order by t.hits desc, t.key) as position
      from totals t
  )
  select r.dimension, r.key, r.hits
    from ranked r
   where r.position <= org_finding_totals.top
   order by r.dimension, r.hits desc, r.key;
end;
$$;

revoke all on function public.org_finding_totals(integer, text) from public, anon, authenticated;
grant execute on function public.org_finding_totals(integer, text) to authenticated, service_role;

/**
 * Everything the admin dashboard shows, in one round trip:
 *   {"stats": org_stats, "usage": [org_usage_by_month], "rate_limit": org_rate_limit,
 *    "recent_audits": [org_audit_history], "finding_totals": [org_finding_totals],
 *    "policies": [{id, title, category, source, is_default, created_at}]}
 * months 1..36, recent 1..100 (22023 otherwise, from the functions it reads).
 */
create function public.org_dashboard(months integer default 12, recent integer default 10, org text default null)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'stats', (select pg_catalog.to_jsonb(s) from public.org_stats(org_dashboard.org) s),
    'usage', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(u) order by u.month), '[]'::jsonb)
                from public.org_usage_by_month(org_dashboard.months, org_dashboard.org) u),
    'rate_limit', (select pg_catalog.to_jsonb(r) from public.org_rate_limit(org_dashboard.org) r),
    'recent_audits', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(h) order by h.created_at desc, h.id desc), '[]'::jsonb)
                        from public.org_audit_history(org_dashboard.recent, null, null, org_dashboard.org) h),
    'finding_totals', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(t) order by t.dimension, t.hits desc, t.key), '[]'::jsonb)
                         from public.org_finding_totals(10, org_dashboard.org) t),
    'policies', (select coalesce(pg_catalog.jsonb_agg(
                          pg_catalog.jsonb_build_object(
                            'id', p.id, 'title', p.title, 'category', p.category, 'source', p.source,
                            'is_default', p.is_default, 'created_at', p.created_at)
                          order by p.created_at, p.title), '[]'::jsonb)
                   from public.policies p
                  where p.organization_id = public.stats_org_id(org_dashboard.org))
  );
$$;

revoke all on function public.org_dashboard(integer, integer, text) from public, anon, authenticated;
grant execute on function public.org_dashboard(integer, integer, text) to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Retention
-- -----------------------------------------------------------------------------

/**
 * Deletes audit_logs_archive rows older than now() - older_than; returns how
 * many were deleted. 22023 on a null or negative interval. service_role only.
 */
create function public.purge_audit_archive(older_than interval)
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  purged_count integer;
begin
  if purge_audit_archive.older_than is null or purge_audit_archive.older_than < interval '0' then
    raise exception using
      errcode = '22023',
      message = 'invalid older_than',
      detail = pg_catalog.format('older_than must be a non-negative interval, got %L.', purge_audit_archive.older_than),
      hint = 'E.g. ''365 days''.';
  end if;

  with purged as (
    delete from public.audit_logs_archive a
    where a.created_at < pg_catalog.now() - purge_audit_archive.older_than
    returning 1
  )
  select pg_catalog.count(*)::integer into purged_count from purged;

  return purged_count;
end;
$$;

revoke all on function public.purge_audit_archive(interval) from public, anon, authenticated;
grant execute on function public.purge_audit_archive(interval) to service_role;

create index audit_logs_archive_created_at_idx on public.audit_logs_archive (created_at);
