-- Clerk, not a token, is the authority on memberships: a removed or demoted member
-- cannot provision their way back with a still-valid token, a membership Clerk never
-- mentioned gets the least privilege, and losing a membership ends its sign-ins.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(28);

create function pg_temp.h(label text) returns text language sql as
  $$ select pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(label, 'UTF8')), 'hex') $$;
create function pg_temp.role_of(usr text, org text) returns text language sql as $$
  select m.role from public.organization_memberships m
    join public.users u on u.id = m.user_id
    join public.organizations o on o.id = m.organization_id
   where u.clerk_user_id = usr and o.clerk_org_id = org $$;
create function pg_temp.membership(svix text, action text, usr text, org text, role text, at timestamptz)
returns text language sql as $$
  select public.apply_clerk_event(svix, 'organizationMembership.' || action, at,
    pg_catalog.jsonb_build_object('user_id', usr, 'org_id', org, 'role', role)) ->> 'status' $$;

set local role service_role;

-- ---------------------------------------------------------------- removed in Clerk
select is(pg_temp.membership('msg_m85_1', 'created', 'user_m85_gone', 'org_m85', 'org:admin', '2030-01-01 10:00+00'),
  'applied', 'fixture: Clerk made the user an admin');
select is(pg_temp.membership('msg_m85_2', 'deleted', 'user_m85_gone', 'org_m85', null, '2030-01-01 11:00+00'),
  'applied', 'fixture: then Clerk removed them');
select throws_ok(
  $$ select public.provision_actor('{"clerk_user_id": "user_m85_gone", "clerk_org_id": "org_m85", "org_role": "org:admin"}') $$,
  'PT403', 'not a member of this organization',
  'a still-valid token of a removed member cannot re-create the membership'
);
select throws_ok(
  $$ select public.begin_audit('{"clerk_user_id": "user_m85_gone", "clerk_org_id": "org_m85", "org_role": "org:admin"}') $$,
  'PT403', 'not a member of this organization',
  'nor can an audit, which provisions first'
);
select throws_ok(
  $$ select public.billing_overview('{"clerk_user_id": "user_m85_gone", "clerk_org_id": "org_m85", "org_role": "admin"}') $$,
  'PT403', 'not a member of this organization',
  'nor can a billing read'
);
select throws_ok(
  $$ select public.ingest_policy('{"clerk_user_id": "user_m85_gone", "clerk_org_id": "org_m85", "org_role": "org:admin"}',
       'T', 'text', pg_catalog.repeat('8', 64), '[{"content": "text", "token_count": 1}]', 4, 1) $$,
  'PT403', 'not a member of this organization',
  'nor can a policy ingest'
);
select is(pg_temp.role_of('user_m85_gone', 'org_m85'), null, 'the membership stays deleted');
select is(pg_temp.membership('msg_m85_3', 'created', 'user_m85_gone', 'org_m85', 'org:member', '2030-01-01 12:00+00'),
  'applied', 'Clerk inviting them again later is applied');
select is(public.provision_actor('{"clerk_user_id": "user_m85_gone", "clerk_org_id": "org_m85", "org_role": "org:admin"}') ->> 'role', 'org:member',
  'and the token then gets the role Clerk gave, not the one it claims');

-- ---------------------------------------------------------------- demoted in Clerk
select is(pg_temp.membership('msg_m85_4', 'created', 'user_m85_demoted', 'org_m85', 'org:admin', '2030-01-01 10:00+00'),
  'applied', 'fixture: an admin');
select is(pg_temp.membership('msg_m85_5', 'updated', 'user_m85_demoted', 'org_m85', 'org:member', '2030-01-01 11:00+00'),
  'applied', 'fixture: demoted by Clerk');
select is(public.provision_actor('{"clerk_user_id": "user_m85_demoted", "clerk_org_id": "org_m85", "org_role": "org:admin"}') ->> 'role', 'org:member',
  'an admin claim from an older token does not raise a demoted membership');
select is(pg_temp.role_of('user_m85_demoted', 'org_m85'), 'org:member', 'the stored role is still member');
select is(public.begin_audit('{"clerk_user_id": "user_m85_demoted", "clerk_org_id": "org_m85", "org_role": "org:admin"}') ->> 'role', 'org:member',
  'begin_audit answers the stored role');
select throws_ok(
  $$ select public.update_policy('{"clerk_user_id": "user_m85_demoted", "clerk_org_id": "org_m85", "org_role": "org:admin"}',
       (select p.id from public.policies p join public.organizations o on o.id = p.organization_id
         where o.clerk_org_id = 'org_m85' limit 1), '{"title": "hijacked"}') $$,
  'PT403', 'only organization admins may change policies',
  'the admin claim does not pass the admin check'
);

-- ---------------------------------------------------------------- never mentioned by Clerk
select is(public.provision_actor('{"clerk_user_id": "user_m85_new", "clerk_org_id": "org_m85_new", "org_role": "org:admin"}') ->> 'role', 'org:member',
  'a membership Clerk never mentioned is created as member, whatever the token claims');
select is(public.provision_actor('{"clerk_user_id": "user_m85_viewer", "clerk_org_id": "org_m85_new", "org_role": "viewer"}') ->> 'role', 'org:viewer',
  'a claim below member is kept');
select is(public.provision_actor('{"clerk_user_id": "user_m85_solo", "clerk_org_id": "user_m85_solo", "org_role": "org:admin", "personal": true}') ->> 'role', 'org:admin',
  'a user is admin of their own personal workspace');
select is(pg_temp.membership('msg_m85_6', 'created', 'user_m85_new', 'org_m85_new', 'org:admin', '2030-01-01 10:00+00'),
  'applied', 'Clerk''s membership event arriving after the token');
select is(pg_temp.role_of('user_m85_new', 'org_m85_new'), 'org:admin', 'sets the role Clerk gave');

-- ---------------------------------------------------------------- sign-ins end with the membership
select is(pg_temp.membership('msg_m85_7', 'created', 'user_m85_tok', 'org_m85', 'org:admin', '2030-01-01 10:00+00'),
  'applied', 'fixture: an admin with add-on sign-ins');
select public.provision_actor('{"clerk_user_id": "user_m85_tok", "clerk_org_id": "org_m85_other", "org_role": "org:member"}') is not null as ok;
select public.issue_refresh_token('{"clerk_user_id": "user_m85_tok", "clerk_org_id": "org_m85", "org_role": "org:admin"}', pg_temp.h('m85_team')) is not null as ok;
select public.issue_refresh_token('{"clerk_user_id": "user_m85_tok", "clerk_org_id": "org_m85_other", "org_role": "org:member"}', pg_temp.h('m85_other')) is not null as ok;
select is(pg_temp.membership('msg_m85_8', 'updated', 'user_m85_tok', 'org_m85', 'org:admin', '2030-01-01 10:30+00'),
  'applied', 'an update that keeps the role');
select is(public.rotate_refresh_token(pg_temp.h('m85_team'), pg_temp.h('m85_team_2')) ->> 'status', 'rotated',
  'leaves the sign-in working');
select is(pg_temp.membership('msg_m85_9', 'updated', 'user_m85_tok', 'org_m85', 'org:member', '2030-01-01 11:00+00'),
  'applied', 'fixture: demoted by Clerk');
select is(public.rotate_refresh_token(pg_temp.h('m85_team_2'), pg_temp.h('m85_team_3')) ->> 'status', 'revoked',
  'a demotion revokes the member''s sign-ins in that organization');
select is(public.rotate_refresh_token(pg_temp.h('m85_other'), pg_temp.h('m85_other_2')) ->> 'status', 'rotated',
  'but not their sign-ins elsewhere');
select public.issue_refresh_token('{"clerk_user_id": "user_m85_tok", "clerk_org_id": "org_m85", "org_role": "org:member"}', pg_temp.h('m85_member')) is not null as ok;
select is(pg_temp.membership('msg_m85_10', 'deleted', 'user_m85_tok', 'org_m85', null, '2030-01-01 12:00+00'),
  'applied', 'fixture: removed by Clerk');
select is(public.rotate_refresh_token(pg_temp.h('m85_member'), pg_temp.h('m85_member_2')) ->> 'status', 'revoked',
  'a removal revokes the member''s sign-ins in that organization');

select * from finish();
rollback;
