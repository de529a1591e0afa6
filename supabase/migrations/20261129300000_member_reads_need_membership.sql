-- =============================================================================
-- Member reads keep to organizations the actor still belongs to, with the stored role.
--
-- private.actor_scope() resolved the actor's organization from its Clerk org id alone,
-- so a member Clerk removed could still read the organization's statistics, policies
-- and history with a session or add-on token that had not yet expired (every write was
-- already refused: Clerk, not a token, decides memberships). It now answers the
-- organization only through a membership row, and the role that row stores: a removed
-- member reads nothing (the service then tries to provision the caller, which Clerk's
-- tombstone refuses with 403), and a demoted admin reads as what Clerk made them.
-- Same signature, validation and errors as before.
-- =============================================================================

/**
 * The organization, user and role a verified actor acts as, always one row:
 *   organization_id  the organization whose clerk_org_id is actor.clerk_org_id, when
 *                    the actor's user holds a membership in it; null otherwise
 *   user_id          the user whose clerk_user_id is actor.clerk_user_id; null until
 *                    provisioned
 *   role             the membership's stored role; without one, actor.org_role with
 *                    the `org:` prefix (org:member when absent)
 * PT401 without an actor (SQL or JSON null); PT403 for a malformed one: not an object,
 * a missing, blank or non-string id, or a role that is not a Clerk role key.
 */
create or replace function private.actor_scope(actor jsonb)
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
  select m.organization_id, u.id, coalesce(m.role, v_role)
    from (select 1) as one
    left join public.users u
      on u.clerk_user_id = actor_scope.actor ->> 'clerk_user_id'
    left join public.organizations o
      on o.clerk_org_id = actor_scope.actor ->> 'clerk_org_id'
    left join public.organization_memberships m
      on m.organization_id = o.id and m.user_id = u.id;
end;
$$;

revoke all on function private.actor_scope(jsonb) from public, anon, authenticated;
grant execute on function private.actor_scope(jsonb) to service_role;
