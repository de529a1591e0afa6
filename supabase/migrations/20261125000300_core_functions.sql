-- =============================================================================
-- SheetBrain core functions (the seed guide's names and signatures, improved).
--
-- Conventions:
--   * SECURITY INVOKER everywhere. Writes are granted to service_role only
--     (which bypasses RLS); member reads are granted to authenticated and are
--     filtered by RLS.
--   * set search_path = '', every name schema-qualified, parameters referenced
--     as function_name.param.
--   * EXECUTE revoked from public/anon/authenticated, then granted explicitly.
--   * Atomic: single INSERT ... ON CONFLICT statements, no read-then-write.
--   * Errors use SQLSTATEs PostgREST maps to HTTP status codes:
--       PT404 not found, PT403 forbidden, PT409 conflict, PT429 rate limited,
--       PT402 quota exceeded, 22023 invalid parameter (400).
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Usage counters
-- -----------------------------------------------------------------------------

/**
 * Adds one audit to an organization's monthly usage and returns the new count.
 * month is 'YYYY-MM' (UTC). 22023 on a bad month, PT404 on an unknown org.
 */
create function public.increment_audit_usage(org_id uuid, month text)
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  new_count integer;
begin
  if increment_audit_usage.org_id is null then
    raise exception using
      errcode = '22023',
      message = 'org_id is required',
      hint = 'Pass the organization''s uuid (organizations.id).';
  end if;
  if increment_audit_usage.month is null
     or increment_audit_usage.month !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' then
    raise exception using
      errcode = '22023',
      message = 'invalid month',
      detail = pg_catalog.format('month must look like YYYY-MM, got %L.', increment_audit_usage.month),
      hint = 'Use the UTC calendar month, e.g. 2026-11.';
  end if;

  insert into public.audit_usage as au (organization_id, month_year, count)
  values (increment_audit_usage.org_id, increment_audit_usage.month, 1)
  on conflict (organization_id, month_year)
    do update set count = au.count + 1
  returning au.count into new_count;

  return new_count;
exception
  when foreign_key_violation then
    raise exception using
      errcode = 'PT404',
      message = 'organization not found',
      detail = pg_catalog.format('No organization with id %s.', increment_audit_usage.org_id),
      hint = 'Provision the organization first (provision_identity).';
end;
$$;

revoke all on function public.increment_audit_usage(uuid, text) from public, anon, authenticated;
grant execute on function public.increment_audit_usage(uuid, text) to service_role;

/**
 * Counts one request in the organization's fixed rate-limit window and returns
 * the number of requests in the current window (1 for the first one). The
 * window length comes from the org's plan (subscriptions -> plans), default
 * 60 s; an expired window restarts at 1. The caller compares the result with
 * plans.rate_limit_requests (default 100). PT404 on an unknown org.
 */
create function public.increment_rate_limit(org_id uuid)
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
         from public.subscriptions s
         join public.plans p on p.id = s.plan
        where s.organization_id = increment_rate_limit.org_id),
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

revoke all on function public.increment_rate_limit(uuid) from public, anon, authenticated;
grant execute on function public.increment_rate_limit(uuid) to service_role;

/** Deletes rate-limit buckets whose window has ended; returns how many were deleted. */
create function public.cleanup_expired_rate_limits()
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
  with deleted as (
    delete from public.rate_limit_buckets b
    where b.window_reset_at <= pg_catalog.now()
    returning 1
  )
  select pg_catalog.count(*)::integer from deleted;
$$;

revoke all on function public.cleanup_expired_rate_limits() from public, anon, authenticated;
grant execute on function public.cleanup_expired_rate_limits() to service_role;

-- -----------------------------------------------------------------------------
-- Statistics (member read)
-- -----------------------------------------------------------------------------

/**
 * Organization statistics. SECURITY INVOKER: as authenticated, RLS limits it
 * to the caller's own organization, so any other org id returns no row.
 *   total_users       users whose primary org it is, or who are members
 *   total_policies    policies of the org
 *   total_audits      audit_logs + audit_logs_archive rows (archiving keeps the total)
 *   audits_this_month audit_usage.count for the current UTC month (0 if none)
 *   plan, subscription_status  from subscriptions ('free' / 'active' if none)
 */
create function public.get_org_stats(org_id uuid)
returns table (
  total_users bigint,
  total_policies bigint,
  total_audits bigint,
  audits_this_month integer,
  plan text,
  subscription_status text
)
language sql
stable
security invoker
set search_path = ''
as $$
  select
    (select pg_catalog.count(*)
       from public.users u
      where u.organization_id = o.id
         or exists (
              select 1 from public.organization_memberships m
               where m.organization_id = o.id and m.user_id = u.id
            )),
    (select pg_catalog.count(*) from public.policies p where p.organization_id = o.id),
    (select pg_catalog.count(*) from public.audit_logs l where l.organization_id = o.id)
      + (select pg_catalog.count(*) from public.audit_logs_archive a where a.organization_id = o.id),
    coalesce(
      (select au.count
         from public.audit_usage au
        where au.organization_id = o.id
          and au.month_year = pg_catalog.to_char(pg_catalog.now() at time zone 'UTC', 'YYYY-MM')),
      0
    ),
    coalesce(s.plan, 'free'),
    coalesce(s.status, 'active')
  from public.organizations o
  left join public.subscriptions s on s.organization_id = o.id
  where o.id = get_org_stats.org_id;
$$;

revoke all on function public.get_org_stats(uuid) from public, anon, authenticated;
grant execute on function public.get_org_stats(uuid) to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Retention
-- -----------------------------------------------------------------------------

/**
 * Moves audit_logs rows older than now() - older_than into audit_logs_archive
 * in one statement; returns the number of rows moved. 22023 on a null or
 * negative interval.
 */
create function public.archive_audit_logs(older_than interval default '90 days')
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  moved_count integer;
begin
  if archive_audit_logs.older_than is null or archive_audit_logs.older_than < interval '0' then
    raise exception using
      errcode = '22023',
      message = 'invalid older_than',
      detail = pg_catalog.format('older_than must be a non-negative interval, got %L.', archive_audit_logs.older_than),
      hint = 'E.g. ''90 days''.';
  end if;

  with moved as (
    delete from public.audit_logs l
    where l.created_at < pg_catalog.now() - archive_audit_logs.older_than
    returning l.*
  ), inserted as (
    -- same columns in the same order: see the warning on public.audit_logs
    insert into public.audit_logs_archive
    select * from moved
    returning 1
  )
  select pg_catalog.count(*)::integer into moved_count from inserted;

  return moved_count;
end;
$$;

revoke all on function public.archive_audit_logs(interval) from public, anon, authenticated;
grant execute on function public.archive_audit_logs(interval) to service_role;

-- -----------------------------------------------------------------------------
-- Provisioning
-- -----------------------------------------------------------------------------

/**
 * Every new organization starts on the free plan with a copy of every
 * policy_templates row as a default policy, whichever path created it
 * (provision_identity, a Clerk webhook, an operator).
 */
create function public.set_up_new_organization()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  insert into public.subscriptions (organization_id)
  values (new.id)
  on conflict (organization_id) do nothing;

  insert into public.policies (organization_id, title, content, category, source, is_default, template_key)
  select new.id, t.title, t.content, t.category, 'default', true, t.key
  from public.policy_templates t
  on conflict (organization_id, template_key) do nothing;

  return null;
end;
$$;

revoke all on function public.set_up_new_organization() from public, anon, authenticated;

create trigger organizations_set_up_new
  after insert on public.organizations
  for each row execute function public.set_up_new_organization();

/**
 * Idempotently provisions a Clerk identity and returns
 *   {"organization_id": uuid, "user_id": uuid, "plan": text, "role": text}.
 *
 * - organization (clerk_org_id): created if missing, with a 'free' subscription
 *   and a copy of every policy_templates row as a default policy (is_default,
 *   template_key, source 'default'), both made by the organizations_set_up_new
 *   trigger; the name is updated when org_name is given and differs; personal
 *   marks a personal workspace.
 * - user (clerk_user_id): created if missing; email/name updated when given;
 *   organization_id set when still null.
 * - membership: created or its role updated. org_role accepts v1 ('org:admin')
 *   and v2 ('admin') spellings; it is stored with the 'org:' prefix. The given
 *   role is authoritative (callers pass the verified token's role).
 *
 * Concurrent calls for the same ids do not fail: every insert is
 * ON CONFLICT DO NOTHING/UPDATE, and rows are re-read afterwards. If a row is
 * deleted concurrently between the two steps the step is retried.
 * 22023 on missing ids. Granted to service_role only.
 */
create function public.provision_identity(
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
#variable_conflict use_column
declare
  v_org_id uuid;
  v_user_id uuid;
  v_role text;
  v_plan text;
  v_attempt integer;
begin
  if nullif(pg_catalog.btrim(provision_identity.clerk_user_id), '') is null then
    raise exception using
      errcode = '22023',
      message = 'clerk_user_id is required',
      hint = 'Pass the verified Clerk user id (user_...).';
  end if;
  if nullif(pg_catalog.btrim(provision_identity.clerk_org_id), '') is null then
    raise exception using
      errcode = '22023',
      message = 'clerk_org_id is required',
      hint = 'Pass the Clerk organization id, or the personal-workspace key.';
  end if;

  v_role := coalesce(nullif(pg_catalog.btrim(provision_identity.org_role), ''), 'org:member');
  if v_role !~ '^org:' then
    v_role := 'org:' || v_role;  -- Clerk v2 tokens carry the role without prefix
  end if;
  if v_role !~ '^org:[A-Za-z0-9_:-]+$' then
    raise exception using
      errcode = '22023',
      message = 'invalid org_role',
      detail = pg_catalog.format('org_role %L is not a Clerk role key.', provision_identity.org_role),
      hint = 'E.g. org:admin or org:member.';
  end if;

  -- 1. organization (+ subscription and default policies when created here)
  for v_attempt in 1..3 loop
    insert into public.organizations (clerk_org_id, name, is_personal)
    values (
      provision_identity.clerk_org_id,
      coalesce(provision_identity.org_name, ''),
      coalesce(provision_identity.personal, false)
    )
    on conflict (clerk_org_id) do nothing
    returning id into v_org_id;

    -- A new organization got its subscription and default policies from the
    -- organizations_set_up_new trigger.
    exit when v_org_id is not null;

    if provision_identity.org_name is not null then
      update public.organizations o
         set name = provision_identity.org_name
       where o.clerk_org_id = provision_identity.clerk_org_id
         and o.name is distinct from provision_identity.org_name
      returning o.id into v_org_id;
    end if;
    if v_org_id is null then
      select o.id into v_org_id
        from public.organizations o
       where o.clerk_org_id = provision_identity.clerk_org_id;
    end if;
    exit when v_org_id is not null;
  end loop;
  if v_org_id is null then
    raise exception using
      errcode = 'PT409',
      message = 'organization changed concurrently',
      detail = pg_catalog.format('Organization %L was deleted while being provisioned.', provision_identity.clerk_org_id),
      hint = 'Retry the request.';
  end if;

  -- 2. user
  for v_attempt in 1..3 loop
    insert into public.users (clerk_user_id, email, name, organization_id)
    values (provision_identity.clerk_user_id, provision_identity.email, provision_identity.name, v_org_id)
    on conflict (clerk_user_id) do nothing
    returning id into v_user_id;
    exit when v_user_id is not null;

    update public.users u
       set email = coalesce(provision_identity.email, u.email),
           name = coalesce(provision_identity.name, u.name),
           organization_id = coalesce(u.organization_id, v_org_id)
     where u.clerk_user_id = provision_identity.clerk_user_id
       and (
         (provision_identity.email is not null and u.email is distinct from provision_identity.email)
         or (provision_identity.name is not null and u.name is distinct from provision_identity.name)
         or u.organization_id is null
       )
    returning u.id into v_user_id;
    if v_user_id is null then
      select u.id into v_user_id
        from public.users u
       where u.clerk_user_id = provision_identity.clerk_user_id;
    end if;
    exit when v_user_id is not null;
  end loop;
  if v_user_id is null then
    raise exception using
      errcode = 'PT409',
      message = 'user changed concurrently',
      detail = pg_catalog.format('User %L was deleted while being provisioned.', provision_identity.clerk_user_id),
      hint = 'Retry the request.';
  end if;

  -- 3. membership (role kept current; no write when unchanged)
  insert into public.organization_memberships as m (organization_id, user_id, role)
  values (v_org_id, v_user_id, v_role)
  on conflict (organization_id, user_id) do update
    set role = excluded.role
    where m.role is distinct from excluded.role;

  select s.plan into v_plan
    from public.subscriptions s
   where s.organization_id = v_org_id;

  return pg_catalog.jsonb_build_object(
    'organization_id', v_org_id,
    'user_id', v_user_id,
    'plan', coalesce(v_plan, 'free'),
    'role', v_role
  );
exception
  when foreign_key_violation then
    -- the organization or user vanished between steps (concurrent delete)
    raise exception using
      errcode = 'PT409',
      message = 'identity changed concurrently',
      detail = sqlerrm,
      hint = 'Retry the request.';
end;
$$;

revoke all on function public.provision_identity(text, text, text, text, text, text, boolean) from public, anon, authenticated;
grant execute on function public.provision_identity(text, text, text, text, text, text, boolean) to service_role;
