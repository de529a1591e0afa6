-- =============================================================================
-- One encoding of the actor: every function that acts for a caller takes it as
-- one `actor jsonb`, read by one helper.
--
-- Before this migration the verified identity reached SQL three ways: `actor jsonb`
-- (member reads, policy writes, provision_actor), the same fields as named arguments
-- repeated in provision_identity, begin_audit and billing_overview, and loose
-- clerk_org_id / org_role / clerk_user_id arguments (downgrade_to_free,
-- issue_refresh_token). Now:
--   * private.actor_fields(actor) validates and unpacks an actor: the only reading of
--     one. private.actor_scope (member reads) is rebuilt on it, and so is
--     provision_actor, which takes over provision_identity's body (the membership
--     authority of 20261129110000: a token never creates or raises what Clerk decided)
--     and is what every writer provisions through.
--   * provision_identity(8 arguments) is dropped; apply_clerk_event provisions through
--     provision_actor with role_is_authoritative.
--   * begin_audit(actor, ...), billing_overview(actor), downgrade_to_free(actor, ...)
--     and issue_refresh_token(actor, ...) replace their named-argument signatures.
--     downgrade_to_free now reads the caller's stored role itself (actor_scope)
--     instead of trusting a role argument.
-- A missing actor is PT401, a malformed one PT403, wherever it is passed (before:
-- 22023 from provision_identity and issue_refresh_token for blank ids or a bad role).
-- Bodies are otherwise those of their latest definitions (named below).
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Reading an actor
-- -----------------------------------------------------------------------------

/**
 * A verified actor's fields, validated, always one row:
 *   clerk_user_id, clerk_org_id   non-blank strings, as given
 *   org_role                      with the `org:` prefix (Clerk v2 and the add-ons omit
 *                                 it), org:member when absent or null
 *   email, name, org_name         strings, or null
 *   personal, role_is_authoritative   booleans, false when absent or null
 * The one place an actor is read: private.actor_scope (member reads) and
 * public.provision_actor (everything that acts for someone) start here.
 * PT401 without an actor (SQL or JSON null); PT403 for a malformed one: not an object,
 * a missing, blank or non-string id, a role that is not a Clerk role key, or a field
 * of the wrong JSON type.
 */
create function private.actor_fields(actor jsonb)
returns table (
  clerk_user_id text,
  clerk_org_id text,
  org_role text,
  email text,
  name text,
  org_name text,
  personal boolean,
  role_is_authoritative boolean
)
language plpgsql
immutable
security invoker
set search_path = ''
as $$
declare
  v_role text;
begin
  if actor_fields.actor is null or pg_catalog.jsonb_typeof(actor_fields.actor) = 'null' then
    raise exception using
      errcode = 'PT401',
      message = 'actor required',
      hint = 'Pass the verified caller: {"clerk_user_id", "clerk_org_id", "org_role"}.';
  end if;

  v_role := coalesce(nullif(pg_catalog.btrim(actor_fields.actor ->> 'org_role'), ''), 'org:member');
  if v_role !~ '^org:' then
    v_role := 'org:' || v_role;
  end if;
  if pg_catalog.jsonb_typeof(actor_fields.actor) <> 'object'
     or nullif(pg_catalog.btrim(actor_fields.actor ->> 'clerk_user_id'), '') is null
     or nullif(pg_catalog.btrim(actor_fields.actor ->> 'clerk_org_id'), '') is null
     or v_role !~ '^org:[A-Za-z0-9_:-]+$'
     or exists (
       select 1
         from (values
                ('clerk_user_id', array['string']),
                ('clerk_org_id', array['string']),
                ('org_role', array['string', 'null']),
                ('email', array['string', 'null']),
                ('name', array['string', 'null']),
                ('org_name', array['string', 'null']),
                ('personal', array['boolean', 'null']),
                ('role_is_authoritative', array['boolean', 'null'])
              ) as k(field, types)
        where coalesce(pg_catalog.jsonb_typeof(actor_fields.actor -> k.field), 'null') <> all (k.types)
     ) then
    raise exception using
      errcode = 'PT403',
      message = 'malformed actor',
      hint = 'clerk_user_id and clerk_org_id must be non-blank strings; org_role a Clerk role key.';
  end if;

  return query
  select
    actor_fields.actor ->> 'clerk_user_id',
    actor_fields.actor ->> 'clerk_org_id',
    v_role,
    actor_fields.actor ->> 'email',
    actor_fields.actor ->> 'name',
    actor_fields.actor ->> 'org_name',
    coalesce((actor_fields.actor ->> 'personal')::boolean, false),
    coalesce((actor_fields.actor ->> 'role_is_authoritative')::boolean, false);
end;
$$;

revoke all on function private.actor_fields(jsonb) from public, anon, authenticated;
grant execute on function private.actor_fields(jsonb) to service_role;

/**
 * The organization, user and role a verified actor acts as, always one row (as in
 * 20261129300000_member_reads_need_membership.sql, now reading the actor through
 * private.actor_fields):
 *   organization_id  the organization whose clerk_org_id is actor.clerk_org_id, when
 *                    the actor's user holds a membership in it; null otherwise
 *   user_id          the user whose clerk_user_id is actor.clerk_user_id; null until
 *                    provisioned
 *   role             the membership's stored role; without one, actor.org_role
 *                    (normalised by actor_fields)
 * PT401 / PT403 for a missing / malformed actor (actor_fields).
 */
create or replace function private.actor_scope(actor jsonb)
returns table (organization_id uuid, user_id uuid, role text)
language sql
stable
security invoker
set search_path = ''
as $$
  select m.organization_id, u.id, coalesce(m.role, f.org_role)
    from private.actor_fields(actor_scope.actor) f
    left join public.users u
      on u.clerk_user_id = f.clerk_user_id
    left join public.organizations o
      on o.clerk_org_id = f.clerk_org_id
    left join public.organization_memberships m
      on m.organization_id = o.id and m.user_id = u.id;
$$;

-- -----------------------------------------------------------------------------
-- Provisioning: provision_actor takes over provision_identity
-- -----------------------------------------------------------------------------

/**
 * Idempotently provisions the actor and returns
 *   {"organization_id": uuid, "user_id": uuid, "plan": text, "role": text}
 * where plan is plan_in_force() (the limits that apply) and role is the
 * membership's STORED role (what every decision uses). The body is
 * provision_identity's of 20261129110000_membership_authority.sql:
 *
 * - organization (clerk_org_id): created if missing, with a 'free' subscription
 *   and a copy of every policy_templates row as a default policy (both made by
 *   the organizations_set_up_new trigger); the name is updated when org_name is
 *   given and differs; personal marks a personal workspace.
 * - user (clerk_user_id): created if missing; email/name updated when given;
 *   organization_id set when still null.
 * - membership, with role_is_authoritative (a Clerk webhook event, or local
 *   mode's identity headers): created, or its role set to org_role.
 * - membership from a token (role_is_authoritative false, the default):
 *     exists                      -> unchanged, whatever the token claims;
 *     missing, Clerk deleted it   -> PT403 (a still-valid token cannot bring it back);
 *     missing, never mentioned    -> created with the least privilege: org_role
 *                                    capped at org:member (org_role_rank), or
 *                                    org:admin in the user's own personal
 *                                    workspace (clerk_org_id = clerk_user_id).
 *
 * Concurrent calls for the same ids do not fail: every insert is
 * ON CONFLICT DO NOTHING/UPDATE, and rows are re-read afterwards. If a row is
 * deleted concurrently between the two steps the step is retried (PT409 when
 * it keeps vanishing). PT401 / PT403 for a missing / malformed actor.
 * Granted to service_role only.
 */
create or replace function public.provision_actor(actor jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  f record;
  v_org_id uuid;
  v_user_id uuid;
  v_stored_role text;
  v_attempt integer;
begin
  select a.* into f from private.actor_fields(provision_actor.actor) a;

  -- A token waits for any Clerk event being applied to this user or organization
  -- (apply_clerk_event holds exclusive locks on these keys): so a deletion has either
  -- committed its tombstone before the checks below read them, or runs after this
  -- call and deletes what it made. Shared: token calls do not wait for each other.
  -- Keys in sorted order, as apply_clerk_event takes them, so neither waits in a cycle.
  if not f.role_is_authoritative then
    perform pg_catalog.pg_advisory_xact_lock_shared(pg_catalog.hashtextextended('clerk:' || k.key, 0))
       from (select distinct pg_catalog.btrim(key) as key
               from pg_catalog.unnest(array[f.clerk_org_id, f.clerk_user_id]) as key
              order by 1) as k;
  end if;

  -- 1. organization (+ subscription and default policies when created here)
  for v_attempt in 1..3 loop
    insert into public.organizations (clerk_org_id, name, is_personal)
    values (
      f.clerk_org_id,
      coalesce(f.org_name, ''),
      f.personal
    )
    on conflict (clerk_org_id) do nothing
    returning id into v_org_id;

    exit when v_org_id is not null;

    if f.org_name is not null then
      update public.organizations o
         set name = f.org_name
       where o.clerk_org_id = f.clerk_org_id
         and o.name is distinct from f.org_name
      returning o.id into v_org_id;
    end if;
    if v_org_id is null then
      select o.id into v_org_id
        from public.organizations o
       where o.clerk_org_id = f.clerk_org_id;
    end if;
    exit when v_org_id is not null;
  end loop;
  if v_org_id is null then
    raise exception using
      errcode = 'PT409',
      message = 'organization changed concurrently',
      detail = pg_catalog.format('Organization %L was deleted while being provisioned.', f.clerk_org_id),
      hint = 'Retry the request.';
  end if;

  -- 2. user
  for v_attempt in 1..3 loop
    insert into public.users (clerk_user_id, email, name, organization_id)
    values (f.clerk_user_id, f.email, f.name, v_org_id)
    on conflict (clerk_user_id) do nothing
    returning id into v_user_id;
    exit when v_user_id is not null;

    update public.users u
       set email = coalesce(f.email, u.email),
           name = coalesce(f.name, u.name),
           organization_id = coalesce(u.organization_id, v_org_id)
     where u.clerk_user_id = f.clerk_user_id
       and (
         (f.email is not null and u.email is distinct from f.email)
         or (f.name is not null and u.name is distinct from f.name)
         or u.organization_id is null
       )
    returning u.id into v_user_id;
    if v_user_id is null then
      select u.id into v_user_id
        from public.users u
       where u.clerk_user_id = f.clerk_user_id;
    end if;
    exit when v_user_id is not null;
  end loop;
  if v_user_id is null then
    raise exception using
      errcode = 'PT409',
      message = 'user changed concurrently',
      detail = pg_catalog.format('User %L was deleted while being provisioned.', f.clerk_user_id),
      hint = 'Retry the request.';
  end if;

  -- 3. membership
  if f.role_is_authoritative then
    insert into public.organization_memberships as m (organization_id, user_id, role)
    values (v_org_id, v_user_id, f.org_role)
    on conflict (organization_id, user_id) do update
      set role = excluded.role
      where m.role is distinct from excluded.role;
  else
    select m.role into v_stored_role
      from public.organization_memberships m
     where m.organization_id = v_org_id and m.user_id = v_user_id;
    if v_stored_role is null then
      if exists (
        select 1 from public.clerk_deletions d
         where d.kind = 'membership'
           and d.clerk_id = f.clerk_org_id || '/' || f.clerk_user_id
      ) then
        raise exception using
          errcode = 'PT403',
          message = 'not a member of this organization',
          detail = pg_catalog.format('Clerk removed %s from %s.', f.clerk_user_id, f.clerk_org_id),
          hint = 'Ask an admin of the organization to invite you again, then sign in again.';
      end if;
      insert into public.organization_memberships (organization_id, user_id, role)
      values (
        v_org_id,
        v_user_id,
        case
          when f.clerk_org_id = f.clerk_user_id then 'org:admin'
          when public.org_role_rank(f.org_role) > public.org_role_rank('org:member') then 'org:member'
          else f.org_role
        end
      )
      on conflict (organization_id, user_id) do nothing;
    end if;
  end if;

  select m.role into v_stored_role
    from public.organization_memberships m
   where m.organization_id = v_org_id and m.user_id = v_user_id;

  return pg_catalog.jsonb_build_object(
    'organization_id', v_org_id,
    'user_id', v_user_id,
    'plan', public.plan_in_force(v_org_id),
    'role', v_stored_role
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

drop function public.provision_identity(text, text, text, text, text, text, boolean, boolean);

/**
 * As in 20261129110000_membership_authority.sql (see 20261125010000_clerk_webhooks.sql
 * for the contract), with membership created/updated events provisioning through
 * provision_actor, role_is_authoritative.
 */
create or replace function public.apply_clerk_event(
  svix_id text,
  event_type text,
  occurred_at timestamptz,
  payload jsonb
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_user text := nullif(pg_catalog.btrim(apply_clerk_event.payload ->> 'user_id'), '');
  v_org text := nullif(pg_catalog.btrim(apply_clerk_event.payload ->> 'org_id'), '');
  v_object text := pg_catalog.split_part(apply_clerk_event.event_type, '.', 1);
  v_action text := pg_catalog.split_part(apply_clerk_event.event_type, '.', 2);
  v_changed boolean := true;
  v_org_uuid uuid;
  v_left_user uuid;
  v_left_org uuid;
  v_moved_users uuid[];
begin
  if nullif(pg_catalog.btrim(apply_clerk_event.svix_id), '') is null then
    raise exception using
      errcode = '22023',
      message = 'svix_id is required',
      hint = 'Pass the svix-id header of the delivery.';
  end if;
  if apply_clerk_event.occurred_at is null then
    raise exception using
      errcode = '22023',
      message = 'occurred_at is required',
      hint = 'Pass the event''s updated_at, or the envelope timestamp for deletions.';
  end if;
  if v_object not in ('user', 'organization', 'organizationMembership')
     or v_action not in ('created', 'updated', 'deleted') then
    raise exception using
      errcode = '22023',
      message = 'unsupported event type',
      detail = pg_catalog.format('Event type %L is not a synced Clerk event.', apply_clerk_event.event_type);
  end if;
  if (v_object <> 'organization' and v_user is null) or (v_object <> 'user' and v_org is null) then
    raise exception using
      errcode = '22023',
      message = 'payload lacks the ids its event type needs',
      detail = pg_catalog.format('%s needs user_id and/or org_id.', apply_clerk_event.event_type);
  end if;

  insert into public.webhook_events (svix_id, event_type, occurred_at)
  values (apply_clerk_event.svix_id, apply_clerk_event.event_type, apply_clerk_event.occurred_at)
  on conflict on constraint webhook_events_pkey do nothing;
  if not found then
    return pg_catalog.jsonb_build_object('status', 'duplicate');
  end if;

  -- Events about the same user or organization apply one at a time (keys locked
  -- in sorted order, so two events never wait on each other in a cycle).
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('clerk:' || k.key, 0))
     from (select key from pg_catalog.unnest(array[v_org, v_user]) as key
            where key is not null order by key) as k;

  if v_object = 'user' and v_action = 'deleted' then
    insert into public.clerk_deletions as d (kind, clerk_id, deleted_at)
    values ('user', v_user, apply_clerk_event.occurred_at)
    on conflict (kind, clerk_id) do nothing;
    delete from public.users u where u.clerk_user_id = v_user;

  elsif v_object = 'user' then
    if exists (select 1 from public.clerk_deletions d where d.kind = 'user' and d.clerk_id = v_user) then
      v_changed := false;
    else
      insert into public.users as u (clerk_user_id, email, name, clerk_updated_at)
      values (v_user, apply_clerk_event.payload ->> 'email', apply_clerk_event.payload ->> 'name',
              apply_clerk_event.occurred_at)
      on conflict (clerk_user_id) do update
        set email = excluded.email,
            name = excluded.name,
            clerk_updated_at = excluded.clerk_updated_at
        where u.clerk_updated_at is null or u.clerk_updated_at < excluded.clerk_updated_at;
      v_changed := found;
    end if;

  elsif v_object = 'organization' and v_action = 'deleted' then
    insert into public.clerk_deletions as d (kind, clerk_id, deleted_at)
    values ('organization', v_org, apply_clerk_event.occurred_at)
    on conflict (kind, clerk_id) do nothing;
    select pg_catalog.array_agg(u.id) into v_moved_users
      from public.users u
      join public.organizations o on o.id = u.organization_id
     where o.clerk_org_id = v_org;
    delete from public.organizations o where o.clerk_org_id = v_org;

  elsif v_object = 'organization' then
    if exists (select 1 from public.clerk_deletions d where d.kind = 'organization' and d.clerk_id = v_org) then
      v_changed := false;
    else
      insert into public.organizations (clerk_org_id, name, slug, clerk_updated_at)
      values (v_org, coalesce(apply_clerk_event.payload ->> 'name', ''), apply_clerk_event.payload ->> 'slug',
              apply_clerk_event.occurred_at)
      on conflict (clerk_org_id) do nothing
      returning id into v_org_uuid;
      -- A new tenant gets its plan and default policies from organizations_set_up_new.
      if v_org_uuid is null then
        update public.organizations o
           set name = coalesce(apply_clerk_event.payload ->> 'name', ''),
               slug = apply_clerk_event.payload ->> 'slug',
               clerk_updated_at = apply_clerk_event.occurred_at
         where o.clerk_org_id = v_org
           and (o.clerk_updated_at is null or o.clerk_updated_at < apply_clerk_event.occurred_at);
        v_changed := found;
      end if;
    end if;

  elsif v_action = 'deleted' then  -- organizationMembership.deleted
    insert into public.clerk_deletions as d (kind, clerk_id, deleted_at)
    values ('membership', v_org || '/' || v_user, apply_clerk_event.occurred_at)
    on conflict (kind, clerk_id) do update
      set deleted_at = greatest(d.deleted_at, excluded.deleted_at);
    delete from public.organization_memberships m
     using public.users u, public.organizations o
     where u.id = m.user_id and o.id = m.organization_id
       and u.clerk_user_id = v_user and o.clerk_org_id = v_org
       and (m.clerk_updated_at is null or m.clerk_updated_at < apply_clerk_event.occurred_at)
    returning m.user_id, m.organization_id into v_left_user, v_left_org;
    if v_left_user is not null then
      select pg_catalog.array_agg(u.id) into v_moved_users
        from public.users u
       where u.id = v_left_user and u.organization_id = v_left_org;
    end if;

  else  -- organizationMembership.created / updated
    if exists (
         select 1 from public.clerk_deletions d
          where (d.kind = 'user' and d.clerk_id = v_user)
             or (d.kind = 'organization' and d.clerk_id = v_org)
             or (d.kind = 'membership' and d.clerk_id = v_org || '/' || v_user
                 and d.deleted_at >= apply_clerk_event.occurred_at))
       or exists (
         select 1 from public.organization_memberships m
           join public.users u on u.id = m.user_id
           join public.organizations o on o.id = m.organization_id
          where u.clerk_user_id = v_user and o.clerk_org_id = v_org
            and m.clerk_updated_at >= apply_clerk_event.occurred_at) then
      v_changed := false;
    else
      perform public.provision_actor(pg_catalog.jsonb_build_object(
        'clerk_user_id', v_user,
        'clerk_org_id', v_org,
        'org_role', apply_clerk_event.payload ->> 'role',
        -- a placeholder user takes the membership's copy of their details
        'email', case when not exists (
                   select 1 from public.users u
                    where u.clerk_user_id = v_user and u.clerk_updated_at is not null)
                 then apply_clerk_event.payload ->> 'email' end,
        'name', case when not exists (
                  select 1 from public.users u
                   where u.clerk_user_id = v_user and u.clerk_updated_at is not null)
                then apply_clerk_event.payload ->> 'name' end,
        'role_is_authoritative', true
      ));
      update public.organizations o
         set name = coalesce(apply_clerk_event.payload ->> 'org_name', o.name),
             slug = coalesce(apply_clerk_event.payload ->> 'org_slug', o.slug)
       where o.clerk_org_id = v_org and o.clerk_updated_at is null
         and (o.name, o.slug) is distinct from (
               coalesce(apply_clerk_event.payload ->> 'org_name', o.name),
               coalesce(apply_clerk_event.payload ->> 'org_slug', o.slug));
      update public.organization_memberships m
         set clerk_updated_at = apply_clerk_event.occurred_at
        from public.users u, public.organizations o
       where u.id = m.user_id and o.id = m.organization_id
         and u.clerk_user_id = v_user and o.clerk_org_id = v_org;
    end if;
  end if;

  -- A user whose primary organization was deleted or left moves to their oldest
  -- remaining membership (or none), so no organization keeps seeing them.
  update public.users u
     set organization_id = (
           select m.organization_id from public.organization_memberships m
            where m.user_id = u.id
            order by m.created_at, m.organization_id
            limit 1)
   where u.id = any(v_moved_users);

  if not v_changed then
    update public.webhook_events e set outcome = 'stale' where e.svix_id = apply_clerk_event.svix_id;
  end if;
  return pg_catalog.jsonb_build_object('status', case when v_changed then 'applied' else 'stale' end);
end;
$$;

-- -----------------------------------------------------------------------------
-- Audits, billing and sign-in take the actor
-- -----------------------------------------------------------------------------

drop function public.begin_audit(text, text, text, text, text, text, boolean, text, integer, integer, integer, boolean);

/**
 * As in 20261129110000_membership_authority.sql (see 20261125030000_audit.sql for
 * the contract), provisioning the actor through provision_actor. "role" in the
 * answer is the stored role.
 */
create function public.begin_audit(
  actor jsonb,
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

  v_identity := public.provision_actor(begin_audit.actor);
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

revoke all on function public.begin_audit(jsonb, text, integer, integer, integer) from public, anon, authenticated;
grant execute on function public.begin_audit(jsonb, text, integer, integer, integer) to service_role;

drop function public.billing_overview(text, text, text, text, text, text, boolean, boolean);

/**
 * GET /api/billing: provisions the actor (provision_actor), then answers
 * billing_overview_of() for its organization with the caller's stored role added
 * ("role"): the service checks admin actions (checkout, portal, switching to free)
 * against it, never against the token's claim. As in
 * 20261129110000_membership_authority.sql.
 */
create function public.billing_overview(actor jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_identity jsonb;
begin
  v_identity := public.provision_actor(billing_overview.actor);
  return public.billing_overview_of((v_identity ->> 'organization_id')::uuid)
    || pg_catalog.jsonb_build_object('role', v_identity ->> 'role');
end;
$$;

revoke all on function public.billing_overview(jsonb) from public, anon, authenticated;
grant execute on function public.billing_overview(jsonb) to service_role;

drop function public.downgrade_to_free(text, text, timestamptz);

/**
 * POST /api/billing {"plan": "free"} by an org admin; returns the new overview.
 * As in 20261125040000_billing.sql, except that the caller is the actor and the role
 * checked is the one its membership stores (private.actor_scope), not an argument:
 *   * No live Stripe subscription (none, or canceled / incomplete_expired):
 *     the plan becomes 'free' now (status active, period and cancel_at cleared).
 *   * A live one, which the service has just asked Stripe to cancel at the end
 *     of its period (stripe_cancel_at = that time): the paid plan runs until
 *     then and cancel_at records it; Stripe's customer.subscription.deleted
 *     event moves the org to 'free' when the period ends.
 * PT403 unless the actor is an admin of its organization, PT404 when the actor
 * holds no membership there, 22023 when a live subscription exists but
 * stripe_cancel_at is missing; PT401 / PT403 for a missing / malformed actor.
 */
create function public.downgrade_to_free(
  actor jsonb,
  stripe_cancel_at timestamptz default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_scope record;
  v_org_id uuid;
  v_live_subscription text;
begin
  select a.* into v_scope from private.actor_scope(downgrade_to_free.actor) a;
  if v_scope.role is distinct from 'org:admin' then
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
   where o.id = v_scope.organization_id
     for update of o;
  if v_org_id is null then
    raise exception using
      errcode = 'PT404',
      message = 'organization not found',
      detail = pg_catalog.format('No organization %L.', downgrade_to_free.actor ->> 'clerk_org_id');
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
      detail = pg_catalog.format('Organization %L has the live Stripe subscription %s.', downgrade_to_free.actor ->> 'clerk_org_id', v_live_subscription),
      hint = 'Cancel the Stripe subscription at period end first and pass its cancel_at.';
  else
    update public.subscriptions s
       set cancel_at = downgrade_to_free.stripe_cancel_at
     where s.organization_id = v_org_id;
  end if;

  return public.billing_overview_of(v_org_id);
end;
$$;

revoke all on function public.downgrade_to_free(jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.downgrade_to_free(jsonb, timestamptz) to service_role;

drop function public.issue_refresh_token(text, text, text, text, interval, uuid);

/**
 * Stores a new refresh token (by its hash) for the actor: its user acting in its
 * organization with its role (as in 20261125050000_addon_tokens.sql).
 * family_id null starts a new family (a new sign-in). Returns
 *   {"family_id": uuid, "expires_at": timestamptz}.
 * 22023 on a malformed hash or lifetime; PT404 when the user is not synced;
 * PT401 / PT403 for a missing / malformed actor.
 */
create function public.issue_refresh_token(
  actor jsonb,
  token_hash text,
  lifetime interval default '7 days',
  family_id uuid default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  f record;
  v_user_id uuid;
  v_family uuid := coalesce(issue_refresh_token.family_id, gen_random_uuid());
  v_expires timestamptz;
begin
  if issue_refresh_token.token_hash is null or issue_refresh_token.token_hash !~ '^[0-9a-f]{64}$' then
    raise exception using errcode = '22023', message = 'token_hash must be a hex sha256';
  end if;
  if issue_refresh_token.lifetime is null or issue_refresh_token.lifetime <= interval '0' then
    raise exception using errcode = '22023', message = 'lifetime must be positive';
  end if;
  select a.* into f from private.actor_fields(issue_refresh_token.actor) a;

  select u.id into v_user_id
    from public.users u
   where u.clerk_user_id = f.clerk_user_id;
  if v_user_id is null then
    raise exception using
      errcode = 'PT404',
      message = 'user not found',
      detail = pg_catalog.format('No synced user has id %L.', f.clerk_user_id);
  end if;

  insert into public.refresh_tokens (family_id, token_hash, user_id, clerk_org_id, org_role, expires_at)
  values (v_family, issue_refresh_token.token_hash, v_user_id, f.clerk_org_id, f.org_role,
          pg_catalog.now() + issue_refresh_token.lifetime)
  returning expires_at into v_expires;

  return pg_catalog.jsonb_build_object('family_id', v_family, 'expires_at', v_expires);
end;
$$;

revoke all on function public.issue_refresh_token(jsonb, text, interval, uuid) from public, anon, authenticated;
grant execute on function public.issue_refresh_token(jsonb, text, interval, uuid) to service_role;
