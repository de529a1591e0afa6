-- =============================================================================
-- Clerk webhooks: users, organizations and memberships synced from Clerk events
-- delivered by Svix.
--
-- Svix may deliver an event twice and in any order. So:
--   * each delivery (svix-id) is recorded in webhook_events in the same
--     transaction as its effect: a replay changes nothing;
--   * every synced row remembers the Clerk time of the newest event applied to
--     it (clerk_updated_at); an older event never overwrites newer data;
--   * a deletion leaves a tombstone (clerk_deletions), so an older create or
--     update arriving after the delete does not bring the row back;
--   * an event naming a user or organization not yet known creates it as a
--     placeholder (clerk_updated_at null) that its own event later fills.
-- The service parses Clerk's payloads in Python and passes normalised fields;
-- nothing here reads Clerk's raw JSON shapes.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Versions of synced rows
-- -----------------------------------------------------------------------------

alter table public.organizations add column clerk_updated_at timestamptz;
alter table public.users add column clerk_updated_at timestamptz;
alter table public.organization_memberships add column clerk_updated_at timestamptz;

comment on column public.organizations.clerk_updated_at is
  'Clerk time of the newest webhook event applied; null while the row is a placeholder (created by a token or a related event).';
comment on column public.users.clerk_updated_at is
  'Clerk time of the newest webhook event applied; null while the row is a placeholder (created by a token or a related event).';
comment on column public.organization_memberships.clerk_updated_at is
  'Clerk time of the newest webhook event applied; null when the membership came from a session token.';

-- -----------------------------------------------------------------------------
-- Deliveries and tombstones (service only)
-- -----------------------------------------------------------------------------

/** One row per applied Svix delivery; the primary key makes a replay a no-op. */
create table public.webhook_events (
  svix_id text primary key,
  event_type text not null,
  occurred_at timestamptz not null,
  outcome text not null default 'applied' check (outcome in ('applied', 'stale')),
  received_at timestamptz not null default now()
);
alter table public.webhook_events enable row level security;

create index webhook_events_received_at_idx on public.webhook_events (received_at);

/**
 * Deleted Clerk objects and when Clerk deleted them. kind 'membership' is keyed
 * '<org id>/<user id>'. Clerk never reuses user or organization ids, so their
 * tombstones are final; a membership may be created again later than its delete.
 */
create table public.clerk_deletions (
  kind text not null check (kind in ('user', 'organization', 'membership')),
  clerk_id text not null,
  deleted_at timestamptz not null,
  primary key (kind, clerk_id)
);
alter table public.clerk_deletions enable row level security;

revoke all on table public.webhook_events, public.clerk_deletions from public, anon, authenticated;
grant all on table public.webhook_events, public.clerk_deletions to service_role;

-- Members never read these; the policies state that only the service does.
create policy "Webhook deliveries are read by the service only"
  on public.webhook_events
  for select
  to service_role
  using (true);

create policy "Clerk deletions are read by the service only"
  on public.clerk_deletions
  for select
  to service_role
  using (true);

-- -----------------------------------------------------------------------------
-- apply_clerk_event
-- -----------------------------------------------------------------------------

/**
 * Applies one Clerk webhook event, once, and returns {"status": s}:
 *   'applied'    the event changed (or confirmed) the synced rows;
 *   'stale'      newer data or a later deletion is already stored: nothing changed;
 *   'duplicate'  this svix_id was processed before: nothing changed.
 *
 * occurred_at orders events about the same object: the data's updated_at for
 * created/updated events, the envelope timestamp for deletions.
 * payload (normalised by the service; absent keys read as null):
 *   user.created|updated               {user_id, email, name}
 *   user.deleted                       {user_id}
 *   organization.created|updated       {org_id, name, slug}
 *   organization.deleted               {org_id}
 *   organizationMembership.created|updated
 *                                      {org_id, user_id, role, org_name, org_slug, email, name}
 *   organizationMembership.deleted     {org_id, user_id}
 *
 * user.deleted removes the user row (memberships cascade; audit and ingestion
 * logs keep their rows with user_id set null). organization.deleted removes the
 * organization and everything it owns. A membership event fills the user's and
 * organization's fields only while they are placeholders; their own events win.
 * 22023 on an unknown event type or missing ids. Granted to service_role only.
 */
create function public.apply_clerk_event(
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
                then apply_clerk_event.payload ->> 'name' end
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

revoke all on function public.apply_clerk_event(text, text, timestamptz, jsonb) from public, anon, authenticated;
grant execute on function public.apply_clerk_event(text, text, timestamptz, jsonb) to service_role;
