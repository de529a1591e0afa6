-- Member reads answer only for organizations the actor still belongs to, and with the
-- role Clerk left the membership with: a member removed in Clerk, or an admin demoted,
-- whose session or add-on token has not expired yet, reads nothing more than Clerk allows.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(7);

-- ---------------------------------------------------------------- fixture (as owner)
-- org_mn: an admin (user_mn_admin), a member who is then removed (user_mn_gone) and an
-- admin who is then demoted (user_mn_down), all through Clerk's authority; one policy.
select public.provision_actor('{"clerk_user_id": "user_mn_admin", "clerk_org_id": "org_mn", "org_role": "org:admin", "role_is_authoritative": true}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_mn_gone", "clerk_org_id": "org_mn", "org_role": "org:member", "role_is_authoritative": true}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_mn_down", "clerk_org_id": "org_mn", "org_role": "org:admin", "role_is_authoritative": true}') is not null as ok;
insert into public.policies (organization_id, title, content)
  select o.id, 'House rules', 'Text' from public.organizations o where o.clerk_org_id = 'org_mn';
delete from public.organization_memberships m
 using public.users u
 where m.user_id = u.id and u.clerk_user_id = 'user_mn_gone';
update public.organization_memberships m set role = 'org:member'
  from public.users u
 where m.user_id = u.id and u.clerk_user_id = 'user_mn_down';

create temporary table tokens (name text primary key, actor jsonb) on commit drop;
insert into tokens values
  ('admin', '{"clerk_user_id": "user_mn_admin", "clerk_org_id": "org_mn", "org_role": "org:admin"}'),
  ('removed', '{"clerk_user_id": "user_mn_gone", "clerk_org_id": "org_mn", "org_role": "org:member"}'),
  ('demoted', '{"clerk_user_id": "user_mn_down", "clerk_org_id": "org_mn", "org_role": "org:admin"}'),
  ('stranger', '{"clerk_user_id": "user_mn_admin", "clerk_org_id": "org_mn_other", "org_role": "org:admin"}');
grant select on tokens to service_role;

set local role service_role;

-- ---------------------------------------------------------------- still a member
select ok(
  (select public.list_policies((select actor from tokens where name = 'admin')) -> 'policies')
    @> '[{"title": "House rules"}]'::jsonb,
  'a member reads the organization''s policies'
);
select is(
  (select a.role from private.actor_scope((select actor from tokens where name = 'admin')) a),
  'org:admin',
  'a member acts with the role the membership stores'
);

-- ---------------------------------------------------------------- removed in Clerk
select is(
  (select a.organization_id from private.actor_scope((select actor from tokens where name = 'removed')) a),
  null,
  'a removed member''s still-valid token resolves to no organization'
);
select is(
  (select public.list_policies((select actor from tokens where name = 'removed')) -> 'organization_found'),
  'false'::jsonb,
  'a removed member reads no policies'
);
select is_empty(
  $$ select s.organization_id from public.org_stats((select actor from tokens where name = 'removed')) s
      where s.organization_id is not null $$,
  'a removed member reads no statistics'
);

-- ---------------------------------------------------------------- demoted in Clerk
select is(
  (select a.role from private.actor_scope((select actor from tokens where name = 'demoted')) a),
  'org:member',
  'a demoted admin''s token still saying admin acts as the member Clerk made them'
);

-- ---------------------------------------------------------------- another organization
select is(
  (select a.organization_id from private.actor_scope((select actor from tokens where name = 'stranger')) a),
  null,
  'a token naming an organization the user does not belong to resolves to none'
);

select * from finish();
rollback;
