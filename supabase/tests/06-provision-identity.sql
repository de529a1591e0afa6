-- provision_actor: idempotent upsert of organization (+ free subscription and
-- default policies), user and membership, for the actor.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(28);

-- ---------------------------------------------------------------- first call
create temporary table first_call on commit drop as
  select public.provision_actor('{"clerk_user_id": "user_p1", "clerk_org_id": "org_p", "org_role": "org:admin",
                                   "email": "p1@example.com", "name": "P One", "org_name": "Org P",
                                   "role_is_authoritative": true}') as r;  -- as a Clerk membership event does

select is(
  (select pg_catalog.array_agg(k order by k) from first_call, pg_catalog.jsonb_object_keys(r) as k),
  array['organization_id', 'plan', 'role', 'user_id'],
  'returns organization_id, user_id, plan, role'
);
select is(
  (select (r ->> 'organization_id')::uuid from first_call),
  (select id from public.organizations where clerk_org_id = 'org_p'),
  'organization_id is the new organization'
);
select is(
  (select (r ->> 'user_id')::uuid from first_call),
  (select id from public.users where clerk_user_id = 'user_p1'),
  'user_id is the new user'
);
select is((select r ->> 'plan' from first_call), 'free', 'plan is free');
select is((select r ->> 'role' from first_call), 'org:admin', 'role is returned');

select results_eq(
  $$ select name, is_personal from public.organizations where clerk_org_id = 'org_p' $$,
  $$ values ('Org P'::text, false) $$,
  'organization created with its name'
);
select results_eq(
  $$ select u.email, u.name, u.organization_id = o.id
       from public.users u, public.organizations o
      where u.clerk_user_id = 'user_p1' and o.clerk_org_id = 'org_p' $$,
  $$ values ('p1@example.com'::text, 'P One'::text, true) $$,
  'user created with email, name and primary organization'
);
select results_eq(
  $$ select s.plan, s.status from public.subscriptions s
       join public.organizations o on o.id = s.organization_id where o.clerk_org_id = 'org_p' $$,
  $$ values ('free'::text, 'active'::text) $$,
  'a free, active subscription is created'
);
select set_eq(
  $$ select p.template_key from public.policies p
       join public.organizations o on o.id = p.organization_id
      where o.clerk_org_id = 'org_p' and p.is_default and p.source = 'default' $$,
  $$ select key from public.policy_templates $$,
  'one default policy per template (is_default, source default, template_key)'
);
select results_eq(
  $$ select p.title, p.content, p.category from public.policies p
       join public.organizations o on o.id = p.organization_id
      where o.clerk_org_id = 'org_p' order by p.template_key $$,
  $$ select title, content, category from public.policy_templates order by key $$,
  'default policies copy title, content and category'
);
select results_eq(
  $$ select m.role from public.organization_memberships m
       join public.organizations o on o.id = m.organization_id
       join public.users u on u.id = m.user_id
      where o.clerk_org_id = 'org_p' and u.clerk_user_id = 'user_p1' $$,
  $$ values ('org:admin'::text) $$,
  'membership created with the role'
);

-- ---------------------------------------------------------------- idempotent
select is(
  public.provision_actor('{"clerk_user_id": "user_p1", "clerk_org_id": "org_p", "org_role": "org:admin", "email": "p1@example.com", "name": "P One", "org_name": "Org P"}'),
  (select r from first_call),
  'second identical call returns the same result'
);
select is(
  public.provision_actor('{"clerk_user_id": "user_p1", "clerk_org_id": "org_p", "org_role": "org:admin"}'),
  (select r from first_call),
  'call without optional fields returns the same result'
);
select is((select pg_catalog.count(*)::integer from public.organizations where clerk_org_id = 'org_p'), 1, 'still one organization');
select is((select pg_catalog.count(*)::integer from public.users where clerk_user_id = 'user_p1'), 1, 'still one user');
select is(
  (select pg_catalog.count(*)::integer from public.subscriptions s join public.organizations o on o.id = s.organization_id where o.clerk_org_id = 'org_p'),
  1, 'still one subscription'
);
select is(
  (select pg_catalog.count(*)::integer from public.policies p join public.organizations o on o.id = p.organization_id where o.clerk_org_id = 'org_p'),
  (select pg_catalog.count(*)::integer from public.policy_templates),
  'default policies are not duplicated'
);
select results_eq(
  $$ select name, email from public.users where clerk_user_id = 'user_p1' $$,
  $$ values ('P One'::text, 'p1@example.com'::text) $$,
  'omitted email/name keep the stored values'
);

-- a deleted default policy is not re-created on the next call
delete from public.policies
 where template_key = 'no-volatile'
   and organization_id = (select id from public.organizations where clerk_org_id = 'org_p');
select public.provision_actor('{"clerk_user_id": "user_p1", "clerk_org_id": "org_p", "org_role": "org:admin"}') is not null as ok;
select is(
  (select pg_catalog.count(*)::integer from public.policies p join public.organizations o on o.id = p.organization_id where o.clerk_org_id = 'org_p'),
  (select pg_catalog.count(*)::integer from public.policy_templates) - 1,
  'defaults are only copied when the organization is created'
);

-- ---------------------------------------------------------------- updates
select is(
  public.provision_actor('{"clerk_user_id": "user_p1", "clerk_org_id": "org_p", "org_role": "member", "email": "new@example.com", "org_name": "Org P Renamed", "role_is_authoritative": true}') ->> 'role',
  'org:member',
  'v2 role without prefix is stored as org:member'
);
select results_eq(
  $$ select m.role, u.email, o.name
       from public.organization_memberships m
       join public.organizations o on o.id = m.organization_id
       join public.users u on u.id = m.user_id
      where o.clerk_org_id = 'org_p' and u.clerk_user_id = 'user_p1' $$,
  $$ values ('org:member'::text, 'new@example.com'::text, 'Org P Renamed'::text) $$,
  'role, email and organization name are updated'
);

-- a second organization for the same user
select public.provision_actor('{"clerk_user_id": "user_p1", "clerk_org_id": "org_q", "org_role": "org:admin", "org_name": "Org Q"}') is not null as ok;
select is(
  (select u.organization_id from public.users u where u.clerk_user_id = 'user_p1'),
  (select id from public.organizations where clerk_org_id = 'org_p'),
  'the primary organization is not overwritten'
);
select is(
  (select pg_catalog.count(*)::integer from public.organization_memberships m
     join public.users u on u.id = m.user_id where u.clerk_user_id = 'user_p1'),
  2,
  'the user is a member of both organizations'
);

-- a user whose primary organization was deleted gets the next one
delete from public.organizations where clerk_org_id = 'org_p';
select public.provision_actor('{"clerk_user_id": "user_p1", "clerk_org_id": "org_q", "org_role": "org:admin"}') is not null as ok;
select is(
  (select u.organization_id from public.users u where u.clerk_user_id = 'user_p1'),
  (select id from public.organizations where clerk_org_id = 'org_q'),
  'a null primary organization is filled in'
);

-- personal workspace
select public.provision_actor('{"clerk_user_id": "user_solo", "clerk_org_id": "personal_user_solo", "org_role": "org:admin", "personal": true}') is not null as ok;
select is(
  (select is_personal from public.organizations where clerk_org_id = 'personal_user_solo'),
  true,
  'personal workspace is flagged'
);

-- ---------------------------------------------------------------- bad input (private.actor_fields)
select throws_ok(
  $$ select public.provision_actor('{"clerk_user_id": "", "clerk_org_id": "org_p"}') $$,
  'PT403', 'malformed actor', 'empty clerk_user_id -> PT403'
);
select throws_ok(
  $$ select public.provision_actor('{"clerk_user_id": "user_p1", "clerk_org_id": null}') $$,
  'PT403', 'malformed actor', 'null clerk_org_id -> PT403'
);
select throws_ok(
  $$ select public.provision_actor('{"clerk_user_id": "user_p1", "clerk_org_id": "org_p", "org_role": "org:bad role!"}') $$,
  'PT403', 'malformed actor', 'malformed role -> PT403'
);

select * from finish();
rollback;
