-- =============================================================================
-- Clerk is the authority on memberships; a token is not.
--
-- Before this migration every request carried its token's role into
-- provision_identity, which upserted the membership with it. A member removed
-- (or demoted) in Clerk kept a valid token for up to 60 s (Clerk) or 15 min
-- (add-on access tokens): one call with it put the membership back, as admin,
-- for good. Now:
--   * A membership Clerk has spoken about (a created/updated event stamped
--     clerk_updated_at, or a deleted event left a tombstone) is never created
--     or changed by a token: a tombstoned one is refused (PT403), an existing
--     one keeps its stored role.
--   * A token may create only a membership Clerk never mentioned, with the
--     least privilege: the claimed role, but never more than org:member. A
--     personal workspace (organization key = the user's own id) is the user's:
--     admin.
--   * Clerk webhook events (and local mode's identity headers, where the
--     developer is the authority) pass role_is_authoritative => true and set
--     the role as before.
--   * provision_identity answers the STORED role, and every decision in SQL
--     uses it; the service checks admin actions against it too.
--   * Deleting a membership, or lowering its role, revokes that member's
--     add-on sign-ins (refresh-token families) in that organization.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Role order
-- -----------------------------------------------------------------------------

/**
 * How much a Clerk role may do: org:admin 3, org:viewer 1, any other role
 * (org:member and custom roles) 2. Used to cap token-created memberships and
 * to tell a demotion from a promotion.
 */
create function public.org_role_rank(role text)
returns integer
language sql
immutable
security invoker
set search_path = ''
as $$
  select case org_role_rank.role
    when 'org:admin' then 3
    when 'org:viewer' then 1
    else 2
  end;
$$;

revoke all on function public.org_role_rank(text) from public, anon, authenticated;
grant execute on function public.org_role_rank(text) to service_role;

-- -----------------------------------------------------------------------------
-- provision_identity: the token path never creates or raises what Clerk decided
-- -----------------------------------------------------------------------------

drop function public.provision_identity(text, text, text, text, text, text, boolean);

/**
 * Idempotently provisions an identity and returns
 *   {"organization_id": uuid, "user_id": uuid, "plan": text, "role": text}
 * where plan is plan_in_force() (the limits that apply) and role is the
 * membership's STORED role (what every decision uses).
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
 * org_role accepts v1 ('org:admin') and v2 ('admin') spellings; it is stored
 * with the 'org:' prefix.
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
  personal boolean default false,
  role_is_authoritative boolean default false
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
  v_stored_role text;
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

  -- A token waits for any Clerk event being applied to this user or organization
  -- (apply_clerk_event holds exclusive locks on these keys): so a deletion has either
  -- committed its tombstone before the checks below read them, or runs after this
  -- call and deletes what it made. Shared: token calls do not wait for each other.
  -- Keys in sorted order, as apply_clerk_event takes them, so neither waits in a cycle.
  if not coalesce(provision_identity.role_is_authoritative, false) then
    perform pg_catalog.pg_advisory_xact_lock_shared(pg_catalog.hashtextextended('clerk:' || k.key, 0))
       from (select distinct pg_catalog.btrim(key) as key
               from pg_catalog.unnest(array[provision_identity.clerk_org_id, provision_identity.clerk_user_id]) as key
              order by 1) as k;
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

  -- 3. membership
  if coalesce(provision_identity.role_is_authoritative, false) then
    insert into public.organization_memberships as m (organization_id, user_id, role)
    values (v_org_id, v_user_id, v_role)
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
           and d.clerk_id = provision_identity.clerk_org_id || '/' || provision_identity.clerk_user_id
      ) then
        raise exception using
          errcode = 'PT403',
          message = 'not a member of this organization',
          detail = pg_catalog.format('Clerk removed %s from %s.', provision_identity.clerk_user_id, provision_identity.clerk_org_id),
          hint = 'Ask an admin of the organization to invite you again, then sign in again.';
      end if;
      insert into public.organization_memberships (organization_id, user_id, role)
      values (
        v_org_id,
        v_user_id,
        case
          when provision_identity.clerk_org_id = provision_identity.clerk_user_id then 'org:admin'
          when public.org_role_rank(v_role) > public.org_role_rank('org:member') then 'org:member'
          else v_role
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

revoke all on function public.provision_identity(text, text, text, text, text, text, boolean, boolean) from public, anon, authenticated;
grant execute on function public.provision_identity(text, text, text, text, text, text, boolean, boolean) to service_role;

/**
 * provision_identity() for a verified caller given as one jsonb object:
 *   {"clerk_user_id", "clerk_org_id", "org_role", "email", "name", "org_name", "personal",
 *    "role_is_authoritative"}
 * Returns provision_identity's answer ({organization_id, user_id, plan, role}).
 */
create or replace function public.provision_actor(actor jsonb)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select public.provision_identity(
    clerk_user_id => provision_actor.actor ->> 'clerk_user_id',
    clerk_org_id => provision_actor.actor ->> 'clerk_org_id',
    org_role => coalesce(provision_actor.actor ->> 'org_role', 'org:member'),
    email => provision_actor.actor ->> 'email',
    name => provision_actor.actor ->> 'name',
    org_name => provision_actor.actor ->> 'org_name',
    personal => coalesce((provision_actor.actor ->> 'personal')::boolean, false),
    role_is_authoritative => coalesce((provision_actor.actor ->> 'role_is_authoritative')::boolean, false)
  );
$$;

-- -----------------------------------------------------------------------------
-- A lost membership ends the member's add-on sign-ins in that organization
-- -----------------------------------------------------------------------------

/**
 * After a membership is deleted, or its role lowered (org_role_rank), revokes
 * every live refresh-token family of that user acting in that organization, so
 * the add-on must sign in again and gets the current membership.
 */
create function public.revoke_sign_ins_of_lost_membership()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and public.org_role_rank(new.role) >= public.org_role_rank(old.role) then
    return null;
  end if;
  update public.refresh_tokens t
     set revoked_at = pg_catalog.now()
    from public.organizations o
   where o.id = old.organization_id
     and t.clerk_org_id = o.clerk_org_id
     and t.user_id = old.user_id
     and t.revoked_at is null;
  return null;
end;
$$;

revoke all on function public.revoke_sign_ins_of_lost_membership() from public, anon, authenticated;

create trigger organization_memberships_revoke_sign_ins
  after update of role or delete on public.organization_memberships
  for each row execute function public.revoke_sign_ins_of_lost_membership();

-- -----------------------------------------------------------------------------
-- apply_clerk_event: membership events are the authority on roles
-- -----------------------------------------------------------------------------

/**
 * Unchanged from 20261125010000_clerk_webhooks.sql except that membership
 * created/updated events provision with role_is_authoritative => true (the
 * token path no longer sets roles). See that file for the contract.
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
      perform public.provision_identity(
        clerk_user_id => v_user,
        clerk_org_id => v_org,
        org_role => apply_clerk_event.payload ->> 'role',
        -- a placeholder user takes the membership's copy of their details
        email => case when not exists (
                   select 1 from public.users u
                    where u.clerk_user_id = v_user and u.clerk_updated_at is not null)
                 then apply_clerk_event.payload ->> 'email' end,
        name => case when not exists (
                  select 1 from public.users u
                   where u.clerk_user_id = v_user and u.clerk_updated_at is not null)
                then apply_clerk_event.payload ->> 'name' end,
        role_is_authoritative => true
      );
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
-- begin_audit and billing_overview pass the role's authority on
-- -----------------------------------------------------------------------------

drop function public.begin_audit(text, text, text, text, text, text, boolean, text, integer, integer, integer);

/**
 * As in 20261125030000_audit.sql (see there for the contract), with
 * role_is_authoritative passed on to provision_identity (true only for local
 * mode's identity headers). "role" in the answer is the stored role.
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
  policy_chars integer default 4000,
  role_is_authoritative boolean default false
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
    personal => begin_audit.personal,
    role_is_authoritative => begin_audit.role_is_authoritative
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

revoke all on function public.begin_audit(text, text, text, text, text, text, boolean, text, integer, integer, integer, boolean) from public, anon, authenticated;
grant execute on function public.begin_audit(text, text, text, text, text, text, boolean, text, integer, integer, integer, boolean) to service_role;

drop function public.billing_overview(text, text, text, text, text, text, boolean);

/**
 * As in 20261125040000_billing.sql, with role_is_authoritative passed on to
 * provision_identity, and the caller's stored role added to the answer
 * ("role"): the service checks admin actions (checkout, portal, switching to
 * free) against it, never against the token's claim.
 */
create function public.billing_overview(
  clerk_user_id text,
  clerk_org_id text,
  org_role text default 'org:member',
  email text default null,
  name text default null,
  org_name text default null,
  personal boolean default false,
  role_is_authoritative boolean default false
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
    personal => billing_overview.personal,
    role_is_authoritative => billing_overview.role_is_authoritative
  );
  return public.billing_overview_of((v_identity ->> 'organization_id')::uuid)
    || pg_catalog.jsonb_build_object('role', v_identity ->> 'role');
end;
$$;

revoke all on function public.billing_overview(text, text, text, text, text, text, boolean, boolean) from public, anon, authenticated;
grant execute on function public.billing_overview(text, text, text, text, text, text, boolean, boolean) to service_role;
