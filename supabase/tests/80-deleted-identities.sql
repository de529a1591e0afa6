begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(5);

-- Clerk deleted a user and an organization (the webhook left tombstones).
insert into public.clerk_deletions (kind, clerk_id, deleted_at)
values ('user', 'user_gone80', now()), ('organization', 'org_gone80', now());

set local role service_role;

select throws_ok(
  $$ select public.provision_actor('{"clerk_user_id": "user_gone80", "clerk_org_id": "org_live80", "org_role": "org:admin"}') $$,
  'PT403', 'this user was deleted',
  'a deleted user is not re-created by a request with a still-valid token'
);
select throws_ok(
  $$ select public.provision_actor('{"clerk_user_id": "user_live80", "clerk_org_id": "org_gone80", "org_role": "org:admin"}') $$,
  'PT403', 'this organization was deleted',
  'a deleted organization is not re-created either'
);
select is(
  (select count(*)::integer from public.organizations where clerk_org_id in ('org_live80', 'org_gone80')),
  0, 'the refused provisioning left nothing behind'
);
select lives_ok(
  $$ select public.provision_actor('{"clerk_user_id": "user_live80", "clerk_org_id": "org_live80", "org_role": "org:admin"}') $$,
  'identities that were never deleted are provisioned as before'
);
select is(
  (select count(*)::integer from public.users where clerk_user_id = 'user_live80'),
  1, 'the live user exists'
);

select * from finish();
rollback;
