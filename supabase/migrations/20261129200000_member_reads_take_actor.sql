-- =============================================================================
-- Member reads take the verified caller as `actor`; the service signs no JWT.
--
-- Supabase retires the legacy JWT secret and the anon/service_role JWT keys by the
-- end of 2026: projects use sb_publishable_/sb_secret_ API keys and asymmetric
-- signing keys whose private half cannot be exported. The service therefore can no
-- longer mint `authenticated` tokens for PostgREST. Every call it makes runs as
-- service_role, and member reads take the verified identity as one `actor` argument
-- (the jsonb the write functions already take:
--   {"clerk_user_id", "clerk_org_id", "org_role", "email", "name", "org_name", "personal"}).
-- private.actor_scope() resolves it exactly as the RLS policies resolve a JWT (the
-- organization whose clerk_org_id is the caller's org), and every member read keeps
-- to that organization's rows.
--
-- RLS stays on every table for direct client access (supabase-js with Clerk session
-- tokens through Supabase's Clerk third-party auth). The claim-reading functions are
-- replaced: stats_org_id, the org_* statistics with an optional `org`, list_policies,
-- get_policy and get_me. Operators (the CLI) read one organization by name through
-- org_report(org). All of them: service_role only, SECURITY INVOKER, search_path ''.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- The private schema: helpers and bodies, not exposed through PostgREST
-- -----------------------------------------------------------------------------

create schema if not exists private;
revoke all on schema private from public, anon, authenticated;
grant usage on schema private to service_role;

/**
 * The organization, user and role a verified actor acts as, always one row:
 *   organization_id  the organization whose clerk_org_id is actor.clerk_org_id (as RLS
 *                    matches the JWT's org_id / o.id claim); null until provisioned
 *   user_id          the user whose clerk_user_id is actor.clerk_user_id; null likewise
 *   role             actor.org_role with the `org:` prefix (Clerk v2 and the add-ons
 *                    omit it), org:member when absent
 * PT401 without an actor (SQL or JSON null); PT403 for a malformed one: not an object,
 * a missing, blank or non-string id, or a role that is not a Clerk role key.
 */
create function private.actor_scope(actor jsonb)
returns table (organization_id uuid, user_id uuid, role text)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_role text;
begin
  if actor_scope.actor is null or pg_catalog.jsonb_typeof(actor_scope.actor) = 'null' then
    raise exception using
      errcode = 'PT401',
      message = 'actor required',
      hint = 'Pass the verified caller: {"clerk_user_id", "clerk_org_id", "org_role"}.';
  end if;

  v_role := coalesce(nullif(pg_catalog.btrim(actor_scope.actor ->> 'org_role'), ''), 'org:member');
  if v_role !~ '^org:' then
    v_role := 'org:' || v_role;
  end if;
  if pg_catalog.jsonb_typeof(actor_scope.actor) <> 'object'
     or pg_catalog.jsonb_typeof(actor_scope.actor -> 'clerk_user_id') is distinct from 'string'
     or pg_catalog.jsonb_typeof(actor_scope.actor -> 'clerk_org_id') is distinct from 'string'
     or nullif(pg_catalog.btrim(actor_scope.actor ->> 'clerk_user_id'), '') is null
     or nullif(pg_catalog.btrim(actor_scope.actor ->> 'clerk_org_id'), '') is null
     or pg_catalog.jsonb_typeof(actor_scope.actor -> 'org_role') not in ('string', 'null')
     or v_role !~ '^org:[A-Za-z0-9_:-]+$' then
    raise exception using
      errcode = 'PT403',
      message = 'malformed actor',
      hint = 'clerk_user_id and clerk_org_id must be non-blank strings; org_role a Clerk role key.';
  end if;

  return query
  select
    (select o.id from public.organizations o where o.clerk_org_id = actor_scope.actor ->> 'clerk_org_id'),
    (select u.id from public.users u where u.clerk_user_id = actor_scope.actor ->> 'clerk_user_id'),
    v_role;
end;
$$;

revoke all on function private.actor_scope(jsonb) from public, anon, authenticated;
grant execute on function private.actor_scope(jsonb) to service_role;

/** An organization named by an operator: its uuid (as text) or its Clerk org id. */
create function private.org_named(org text)
returns uuid
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  -- an IF, not a CASE: the planner may fold a constant uuid cast inside a CASE early
  if org_named.org ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return (select o.id from public.organizations o where o.id = org_named.org::uuid);
  end if;
  return (select o.id from public.organizations o where o.clerk_org_id = org_named.org);
end;
$$;

revoke all on function private.org_named(text) from public, anon, authenticated;
grant execute on function private.org_named(text) to service_role;

-- -----------------------------------------------------------------------------
-- Statistics of one organization (by uuid; null reads as an organization never seen)
-- -----------------------------------------------------------------------------

-- The rows they answer, shared by the bodies below, the member reads and org_report.
-- In public: PostgREST describes an RPC's answer by its return type.

/** get_org_stats of one organization, with its identity and plan quota. */
create type public.org_statistics as (
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
);

/** Audits in one UTC calendar month ('YYYY-MM'). */
create type public.month_usage as (month text, audits integer);

/** An organization's current rate-limit window (window_reset_at null when none runs). */
create type public.rate_limit_window as (
  request_count integer,
  request_limit integer,
  remaining integer,
  window_seconds integer,
  window_reset_at timestamptz
);

/** One audit of the history; details carries every other audit_logs column. */
create type public.audit_record as (
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
);

/**
 * get_org_stats for one organization, always exactly one row: zeros and the free
 * plan for an organization never seen (organization_id null then).
 * monthly_quota is the plan's audits_per_month (null = unlimited).
 */
create function private.org_stats(org_id uuid)
returns setof public.org_statistics
language sql
stable
security invoker
set search_path = ''
as $$
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
  from (select org_stats.org_id as id) t
  left join public.organizations o on o.id = t.id
  left join lateral public.get_org_stats(t.id) s on true
  left join public.plans p on p.id = coalesce(s.plan, 'free');
$$;

revoke all on function private.org_stats(uuid) from public, anon, authenticated;
grant execute on function private.org_stats(uuid) to service_role;

/**
 * Audits per UTC calendar month for the last `months` months (1..36), oldest
 * first, ending with the current month; months without audits count 0.
 * 22023 when months is out of range.
 */
create function private.org_usage_by_month(org_id uuid, months integer)
returns setof public.month_usage
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if org_usage_by_month.months is null or org_usage_by_month.months not between 1 and 36 then
    raise exception using
      errcode = '22023',
      message = 'invalid months',
      detail = pg_catalog.format('months must be between 1 and 36, got %s.', coalesce(org_usage_by_month.months::text, 'null')),
      hint = 'E.g. 12 for the last year.';
  end if;

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
      on au.organization_id = org_usage_by_month.org_id and au.month_year = c.month_year
   order by c.month_year;
end;
$$;

revoke all on function private.org_usage_by_month(uuid, integer) from public, anon, authenticated;
grant execute on function private.org_usage_by_month(uuid, integer) to service_role;

/**
 * The organization's current rate-limit window, always one row. A missing or
 * ended window reports 0 requests and a null window_reset_at. The limit and
 * window length come from the plan (free when there is no subscription).
 */
create function private.org_rate_limit(org_id uuid)
returns setof public.rate_limit_window
language sql
stable
security invoker
set search_path = ''
as $$
  with current_window as (
    select b.request_count, b.window_reset_at
      from public.rate_limit_buckets b
     where b.organization_id = org_rate_limit.org_id
       and b.window_reset_at > pg_catalog.now()
  ), plan as (
    select p.rate_limit_requests, p.rate_limit_window_seconds
      from (select org_rate_limit.org_id as id) t
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

revoke all on function private.org_rate_limit(uuid) from public, anon, authenticated;
grant execute on function private.org_rate_limit(uuid) to service_role;

/**
 * One page of the organization's audit history (audit_logs and
 * audit_logs_archive together), newest first, keyset-paginated on
 * (created_at, id): pass the last row's created_at and id to get the rows
 * after it. page_size 1..1000. 22023 when only one half of the cursor is given.
 * user_id is the Clerk user id (null when the user is gone). details carries
 * every other column audit_logs has (columns later migrations add included).
 */
create function private.org_audit_history(
  org_id uuid,
  page_size integer,
  after_created_at timestamptz,
  after_id uuid
)
returns setof public.audit_record
language plpgsql
stable
security invoker
set search_path = ''
as $$
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

  return query
  with page as (
    (select l.*, false as archived
       from public.audit_logs l
      where l.organization_id = org_audit_history.org_id
        and (org_audit_history.after_id is null
             or (l.created_at, l.id) < (org_audit_history.after_created_at, org_audit_history.after_id))
      order by l.created_at desc, l.id desc
      limit org_audit_history.page_size)
    union all
    (select a.*, true as archived
       from public.audit_logs_archive a
      where a.organization_id = org_audit_history.org_id
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

revoke all on function private.org_audit_history(uuid, integer, timestamptz, uuid) from public, anon, authenticated;
grant execute on function private.org_audit_history(uuid, integer, timestamptz, uuid) to service_role;

/**
 * Finding totals over the organization's audit_logs (archived audits
 * excluded), per dimension, most hits first, at most `top` (1..100) keys per
 * dimension:
 *   'severity'  from findings_by_severity ({"error": 3, ...})
 *   'rule'      from findings_by_rule ({"rule id": count})
 * Both are read through to_jsonb, so a column a database lacks counts nothing;
 * non-numeric values count 0.
 */
create function private.org_finding_totals(org_id uuid, top integer)
returns table (dimension text, key text, hits bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if org_finding_totals.top is null or org_finding_totals.top not between 1 and 100 then
    raise exception using
      errcode = '22023',
      message = 'invalid top',
      detail = pg_catalog.format('top must be between 1 and 100, got %s.', coalesce(org_finding_totals.top::text, 'null')),
      hint = 'E.g. 10.';
  end if;

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
     where l.organization_id = org_finding_totals.org_id
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

revoke all on function private.org_finding_totals(uuid, integer) from public, anon, authenticated;
grant execute on function private.org_finding_totals(uuid, integer) to service_role;

-- -----------------------------------------------------------------------------
-- The claim-reading functions these replace
-- -----------------------------------------------------------------------------

drop function public.org_dashboard(integer, integer, text);
drop function public.org_finding_totals(integer, text);
drop function public.org_audit_history(integer, timestamptz, uuid, text);
drop function public.org_rate_limit(text);
drop function public.org_usage_by_month(integer, text);
drop function public.org_stats(text);
drop function public.stats_org_id(text);
drop function public.list_policies(text, text, text, integer, integer);
drop function public.get_policy(uuid);
drop function public.get_me();

-- -----------------------------------------------------------------------------
-- Member reads (service_role only; the actor's organization only)
-- -----------------------------------------------------------------------------

/** The actor's organization statistics: private.org_stats, one row. */
create function public.org_stats(actor jsonb)
returns setof public.org_statistics
language sql
stable
security invoker
set search_path = ''
as $$
  select s.*
    from private.actor_scope(org_stats.actor) a
    cross join lateral private.org_stats(a.organization_id) s;
$$;

revoke all on function public.org_stats(jsonb) from public, anon, authenticated;
grant execute on function public.org_stats(jsonb) to service_role;

/** The actor's organization's audits per month: private.org_usage_by_month. */
create function public.org_usage_by_month(actor jsonb, months integer default 12)
returns setof public.month_usage
language sql
stable
security invoker
set search_path = ''
as $$
  select u.*
    from private.actor_scope(org_usage_by_month.actor) a
    cross join lateral private.org_usage_by_month(a.organization_id, org_usage_by_month.months) u;
$$;

revoke all on function public.org_usage_by_month(jsonb, integer) from public, anon, authenticated;
grant execute on function public.org_usage_by_month(jsonb, integer) to service_role;

/** The actor's organization's rate-limit window: private.org_rate_limit, one row. */
create function public.org_rate_limit(actor jsonb)
returns setof public.rate_limit_window
language sql
stable
security invoker
set search_path = ''
as $$
  select r.*
    from private.actor_scope(org_rate_limit.actor) a
    cross join lateral private.org_rate_limit(a.organization_id) r;
$$;

revoke all on function public.org_rate_limit(jsonb) from public, anon, authenticated;
grant execute on function public.org_rate_limit(jsonb) to service_role;

/** One page of the actor's organization's audit history: private.org_audit_history. */
create function public.org_audit_history(
  actor jsonb,
  page_size integer default 20,
  after_created_at timestamptz default null,
  after_id uuid default null
)
returns setof public.audit_record
language sql
stable
security invoker
set search_path = ''
as $$
  select h.*
    from private.actor_scope(org_audit_history.actor) a
    cross join lateral private.org_audit_history(
      a.organization_id,
      org_audit_history.page_size,
      org_audit_history.after_created_at,
      org_audit_history.after_id
    ) h;
$$;

revoke all on function public.org_audit_history(jsonb, integer, timestamptz, uuid) from public, anon, authenticated;
grant execute on function public.org_audit_history(jsonb, integer, timestamptz, uuid) to service_role;

/**
 * Everything the admin dashboard shows about the actor's organization, in one
 * round trip:
 *   {"stats", "usage": [...], "rate_limit", "recent_audits": [...],
 *    "finding_totals": [...], "policies": [{id, title, category, source, is_default, created_at}]}
 * months 1..36, recent 1..100 (22023 otherwise, from the functions it reads).
 * Whether the actor may see the dashboard (org admins) is the service's decision.
 */
create function public.org_dashboard(actor jsonb, months integer default 12, recent integer default 10)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'stats', (select pg_catalog.to_jsonb(s) from private.org_stats(a.organization_id) s),
    'usage', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(u) order by u.month), '[]'::jsonb)
                from private.org_usage_by_month(a.organization_id, org_dashboard.months) u),
    'rate_limit', (select pg_catalog.to_jsonb(r) from private.org_rate_limit(a.organization_id) r),
    'recent_audits', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(h) order by h.created_at desc, h.id desc), '[]'::jsonb)
                        from private.org_audit_history(a.organization_id, org_dashboard.recent, null, null) h),
    'finding_totals', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(t) order by t.dimension, t.hits desc, t.key), '[]'::jsonb)
                         from private.org_finding_totals(a.organization_id, 10) t),
    'policies', (select coalesce(pg_catalog.jsonb_agg(
                          pg_catalog.jsonb_build_object(
                            'id', p.id, 'title', p.title, 'category', p.category, 'source', p.source,
                            'is_default', p.is_default, 'created_at', p.created_at)
                          order by p.created_at, p.title), '[]'::jsonb)
                   from public.policies p
                  where p.organization_id = a.organization_id)
  )
  from private.actor_scope(org_dashboard.actor) a;
$$;

revoke all on function public.org_dashboard(jsonb, integer, integer) from public, anon, authenticated;
grant execute on function public.org_dashboard(jsonb, integer, integer) to service_role;

/**
 * The actor's organization's policies, newest first, filtered by category/department
 * (exact, case-insensitive) and q (title contains q, or the text matches q as an
 * English full-text query). Returns
 *   {"policies": [...rows...], "total": n, "organization_found": bool}
 * where total counts every match (not just this page) and organization_found tells
 * the service whether the actor's organization is provisioned yet.
 */
create function public.list_policies(
  actor jsonb,
  category text default null,
  department text default null,
  q text default null,
  page_limit integer default 50,
  page_offset integer default 0
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
-- a q of stop words only is a match-nothing query, not worth a NOTICE
set client_min_messages = warning
as $$
#variable_conflict use_column
declare
  v_org_id uuid;
  v_q text := nullif(pg_catalog.btrim(list_policies.q), '');
  v_pattern text;
  v_query tsquery;
  v_total bigint;
  v_policies jsonb;
begin
  select a.organization_id into v_org_id from private.actor_scope(list_policies.actor) a;
  if list_policies.page_limit is null or list_policies.page_limit not between 1 and 200 then
    raise exception using errcode = '22023', message = 'page_limit must be between 1 and 200';
  end if;
  if list_policies.page_offset is null or list_policies.page_offset < 0 then
    raise exception using errcode = '22023', message = 'page_offset must be >= 0';
  end if;
  if v_org_id is null then
    return pg_catalog.jsonb_build_object(
      'policies', '[]'::jsonb, 'total', 0, 'organization_found', false
    );
  end if;

  if v_q is not null then
    v_pattern := '%' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
      v_q, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    v_query := pg_catalog.websearch_to_tsquery('english'::regconfig, v_q);
  end if;

  with matching as (
    select p.*
    from public.policies p
    where p.organization_id = v_org_id
      and (list_policies.category is null or pg_catalog.lower(p.category) = pg_catalog.lower(list_policies.category))
      and (list_policies.department is null or pg_catalog.lower(p.department) = pg_catalog.lower(list_policies.department))
      and (
        v_q is null
        or p.title ilike v_pattern
        or exists (
          select 1 from public.policy_chunks c
          where c.policy_id = p.id and c.tsv @@ v_query
        )
      )
  ), page as (
    select m.*
    from matching m
    order by m.created_at desc, m.id desc
    limit list_policies.page_limit
    offset list_policies.page_offset
  )
  select
    (select pg_catalog.count(*) from matching),
    coalesce(
      (select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(pg) order by pg.created_at desc, pg.id desc) from page pg),
      '[]'::jsonb
    )
  into v_total, v_policies;

  return pg_catalog.jsonb_build_object(
    'policies', v_policies, 'total', v_total, 'organization_found', true
  );
end;
$$;

revoke all on function public.list_policies(jsonb, text, text, text, integer, integer) from public, anon, authenticated;
grant execute on function public.list_policies(jsonb, text, text, text, integer, integer) to service_role;

/**
 * One policy of the actor's organization, with its chunk count:
 *   {...policies row..., "chunk_count": n}. PT404 when it is not the actor's
 * (another organization's id is indistinguishable from a missing one).
 */
create function public.get_policy(actor jsonb, policy_id uuid)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_policy jsonb;
begin
  select pg_catalog.to_jsonb(p) || pg_catalog.jsonb_build_object(
           'chunk_count',
           (select pg_catalog.count(*) from public.policy_chunks c where c.policy_id = p.id)
         )
    into v_policy
  from private.actor_scope(get_policy.actor) a
  join public.policies p on p.organization_id = a.organization_id
  where p.id = get_policy.policy_id;

  if v_policy is null then
    raise exception using errcode = 'PT404', message = 'policy not found';
  end if;
  return v_policy;
end;
$$;

revoke all on function public.get_policy(jsonb, uuid) from public, anon, authenticated;
grant execute on function public.get_policy(jsonb, uuid) to service_role;

/**
 * The actor as the database knows them:
 *   {"user": {"id", "email", "name"} | null, "organization": {"id", "name", "personal"} | null}
 * The user shows only while they belong to the actor's organization (primary
 * organization or a membership), as the users RLS policy has it; either is null until
 * provisioned.
 */
create function public.get_me(actor jsonb)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'user', (
      select pg_catalog.jsonb_build_object('id', u.clerk_user_id, 'email', u.email, 'name', u.name)
        from public.users u
       where u.id = a.user_id
         and (u.organization_id = a.organization_id
              or exists (select 1 from public.organization_memberships m
                          where m.organization_id = a.organization_id and m.user_id = u.id))
    ),
    'organization', (
      select pg_catalog.jsonb_build_object('id', o.clerk_org_id, 'name', o.name, 'personal', o.is_personal)
        from public.organizations o
       where o.id = a.organization_id
    )
  )
  from private.actor_scope(get_me.actor) a;
$$;

revoke all on function public.get_me(jsonb) from public, anon, authenticated;
grant execute on function public.get_me(jsonb) to service_role;

-- -----------------------------------------------------------------------------
-- Operators (the CLI, service_role): one organization by name
-- -----------------------------------------------------------------------------

/**
 * `sheetbrain stats ORG`: {"stats", "usage": [...], "rate_limit"} of the organization
 * named by `org` (its uuid or its Clerk org id); stats.organization_id is null when
 * there is no such organization. 22023 on a blank org or months out of 1..36.
 */
create function public.org_report(org text, months integer default 12)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_org_id uuid;
begin
  if nullif(pg_catalog.btrim(org_report.org), '') is null then
    raise exception using errcode = '22023', message = 'org is required',
      hint = 'Name the organization by its uuid or its Clerk org id.';
  end if;
  v_org_id := private.org_named(org_report.org);
  return pg_catalog.jsonb_build_object(
    'stats', (select pg_catalog.to_jsonb(s) from private.org_stats(v_org_id) s),
    'usage', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(u) order by u.month), '[]'::jsonb)
                from private.org_usage_by_month(v_org_id, org_report.months) u),
    'rate_limit', (select pg_catalog.to_jsonb(r) from private.org_rate_limit(v_org_id) r)
  );
end;
$$;

revoke all on function public.org_report(text, integer) from public, anon, authenticated;
grant execute on function public.org_report(text, integer) to service_role;
