-- =============================================================================
-- One function for "the caller's organization" behind every RLS policy.
--
-- Each member-read policy spelled the caller's organization out of the JWT itself
-- (13 policies, and the claim-reading functions before them):
--   organization_id in (select o.id from public.organizations o where o.clerk_org_id =
--     coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id'))
-- private.caller_organization_id() now says it once; every policy compares with it,
-- wrapped as (select ...) so it is evaluated once per statement (the advisors'
-- auth_rls_initplan). Each policy lets the same rows through as before.
-- =============================================================================

/**
 * The organization (organizations.id) of the Clerk session in the request's JWT: the
 * one whose clerk_org_id is the token's organization (v1 claim org_id, v2 o.id); null
 * when the token names none, or one never synced.
 * SECURITY DEFINER so that the organizations policy itself can use it: it reads
 * organizations past RLS (a policy calling an invoker function that reads its own
 * table would recurse), and answers only the caller's own organization's id, which
 * RLS lets them read anyway. Executable by authenticated (the role the policies run
 * as) and service_role; not anon.
 */
create function private.caller_organization_id()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select o.id
    from public.organizations o
   where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id');
$$;

revoke all on function private.caller_organization_id() from public, anon, authenticated;
grant execute on function private.caller_organization_id() to authenticated, service_role;

-- RLS policies run as authenticated, so it may reach the schema for this one function
-- (every other private function is service_role only, and PostgREST does not expose
-- the schema). Functions created here later are not executable by PUBLIC by default.
grant usage on schema private to authenticated;
alter default privileges in schema private revoke execute on functions from public;

-- -----------------------------------------------------------------------------
-- The policies (SELECT, to authenticated): same names, same rows
-- -----------------------------------------------------------------------------

alter policy "Members can view their organization" on public.organizations
  using (id = (select private.caller_organization_id()));

alter policy "Members can view users of their organization" on public.users
  using (
    organization_id = (select private.caller_organization_id())
    or id in (
      select m.user_id
        from public.organization_memberships m
       where m.organization_id = (select private.caller_organization_id())
    )
  );

alter policy "Members can view memberships of their organization" on public.organization_memberships
  using (organization_id = (select private.caller_organization_id()));
alter policy "Members can view their organization's subscription" on public.subscriptions
  using (organization_id = (select private.caller_organization_id()));
alter policy "Members can view their organization's policies" on public.policies
  using (organization_id = (select private.caller_organization_id()));
alter policy "Members can view their organization's policy chunks" on public.policy_chunks
  using (organization_id = (select private.caller_organization_id()));
alter policy "Members can view their organization's audit usage" on public.audit_usage
  using (organization_id = (select private.caller_organization_id()));
alter policy "Members can view their organization's rate limit bucket" on public.rate_limit_buckets
  using (organization_id = (select private.caller_organization_id()));
alter policy "Members can view their organization's audit logs" on public.audit_logs
  using (organization_id = (select private.caller_organization_id()));
alter policy "Members can view their organization's archived audit logs" on public.audit_logs_archive
  using (organization_id = (select private.caller_organization_id()));
alter policy "Members can view their organization's ingestion logs" on public.ingestion_logs
  using (organization_id = (select private.caller_organization_id()));
alter policy "Members can view their organization's audit reservations" on public.audit_reservations
  using (organization_id = (select private.caller_organization_id()));
