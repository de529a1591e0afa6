-- =============================================================================
-- SheetBrain core security: table grants and row level security policies.
--
-- Model (docs DESIGN.md "Security model"):
--   * anon: nothing.
--   * authenticated: SELECT only, filtered by RLS to the caller's organization.
--     The organization key is the Clerk org id from the JWT:
--       coalesce(auth.jwt()->>'org_id', auth.jwt()->'o'->>'id')   (v1 / v2 claims)
--     matched against organizations.clerk_org_id.
--   * service_role: everything (bypasses RLS); all writes go through functions
--     executed as service_role.
-- Auth calls are always wrapped as (select auth.jwt()) so they are evaluated
-- once per statement (advisors lint auth_rls_initplan).
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Grants: revoke everything, then grant explicitly
-- -----------------------------------------------------------------------------

revoke all on table
  public.organizations,
  public.users,
  public.organization_memberships,
  public.plans,
  public.subscriptions,
  public.policy_templates,
  public.policies,
  public.audit_usage,
  public.rate_limit_buckets,
  public.audit_logs,
  public.audit_logs_archive,
  public.ingestion_logs
from public, anon, authenticated;

grant select on table
  public.organizations,
  public.users,
  public.organization_memberships,
  public.plans,
  public.subscriptions,
  public.policy_templates,
  public.policies,
  public.audit_usage,
  public.rate_limit_buckets,
  public.audit_logs,
  public.audit_logs_archive,
  public.ingestion_logs
to authenticated;

grant all on table
  public.organizations,
  public.users,
  public.organization_memberships,
  public.plans,
  public.subscriptions,
  public.policy_templates,
  public.policies,
  public.audit_usage,
  public.rate_limit_buckets,
  public.audit_logs,
  public.audit_logs_archive,
  public.ingestion_logs
to service_role;

-- -----------------------------------------------------------------------------
-- Policies (SELECT only, to authenticated, one per table)
-- -----------------------------------------------------------------------------

/** organizations: non-recursive, compares the row's own key with the JWT. */
create policy "Members can view their organization"
  on public.organizations
  for select
  to authenticated
  using (
    clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
  );

/** users: the people who belong to the caller's organization (primary org or membership). */
create policy "Members can view users of their organization"
  on public.users
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
    or id in (
      select m.user_id
      from public.organization_memberships m
      join public.organizations o on o.id = m.organization_id
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );

create policy "Members can view memberships of their organization"
  on public.organization_memberships
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );

create policy "Plans are viewable by authenticated users"
  on public.plans
  for select
  to authenticated
  using (true);

create policy "Members can view their organization's subscription"
  on public.subscriptions
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );

create policy "Policy templates are viewable by authenticated users"
  on public.policy_templates
  for select
  to authenticated
  using (true);

create policy "Members can view their organization's policies"
  on public.policies
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );

create policy "Members can view their organization's audit usage"
  on public.audit_usage
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );

create policy "Members can view their organization's rate limit bucket"
  on public.rate_limit_buckets
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );

create policy "Members can view their organization's audit logs"
  on public.audit_logs
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );

create policy "Members can view their organization's archived audit logs"
  on public.audit_logs_archive
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );

create policy "Members can view their organization's ingestion logs"
  on public.ingestion_logs
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );
