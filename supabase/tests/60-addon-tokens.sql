-- The add-on's sign-in: user lookup by email, refresh-token rotation with reuse
-- detection, family revocation, get_me, and who may call what.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(33);

-- ---------------------------------------------------------------- privileges
select ok(
  (select c.relrowsecurity from pg_catalog.pg_class c where c.oid = 'public.refresh_tokens'::regclass),
  'refresh_tokens has row level security enabled'
);
select ok(
  not pg_catalog.has_column_privilege('authenticated', 'public.refresh_tokens', 'token_hash', 'SELECT'),
  'authenticated cannot read token hashes'
);
select ok(
  pg_catalog.has_column_privilege('authenticated', 'public.refresh_tokens', 'expires_at', 'SELECT'),
  'authenticated can read its sessions'' other columns'
);
select is_empty(
  $$ select f.f from pg_catalog.unnest(array[
       'public.find_user_by_email(text)',
       'public.issue_refresh_token(jsonb, text, interval, uuid)',
       'public.rotate_refresh_token(text, text, interval)',
       'public.revoke_refresh_family(text, uuid)',
       'public.cleanup_expired_refresh_tokens(interval)']) as f(f)
      where pg_catalog.has_function_privilege('anon', f.f, 'EXECUTE')
         or pg_catalog.has_function_privilege('authenticated', f.f, 'EXECUTE')
         or not pg_catalog.has_function_privilege('service_role', f.f, 'EXECUTE') $$,
  'token functions are executable by service_role only'
);
select ok(
  pg_catalog.has_function_privilege('service_role', 'public.get_me(jsonb)', 'EXECUTE')
  and not pg_catalog.has_function_privilege('authenticated', 'public.get_me(jsonb)', 'EXECUTE')
  and not pg_catalog.has_function_privilege('anon', 'public.get_me(jsonb)', 'EXECUTE'),
  'get_me (with an actor) is service_role only'
);

-- ---------------------------------------------------------------- fixture (as owner)
select public.provision_actor('{"clerk_user_id": "user_tok_ann", "clerk_org_id": "org_tok_team", "org_role": "org:member", "email": "Ann@Example.com", "name": "Ann", "org_name": "Team"}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_tok_ann", "clerk_org_id": "user_tok_ann", "org_role": "org:admin", "personal": true}') is not null as ok;
insert into public.users (clerk_user_id, email, name) values ('user_tok_solo', 'solo@example.com', 'Solo');

create function pg_temp.h(label text) returns text language sql as
  $$ select pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(label, 'UTF8')), 'hex') $$;

-- ---------------------------------------------------------------- find_user_by_email
select is(
  public.find_user_by_email('  ann@example.COM ') -> 'account',
  '{"clerk_user_id": "user_tok_ann", "email": "Ann@Example.com", "name": "Ann",
    "clerk_org_id": "org_tok_team", "org_name": "Team", "org_role": "org:member", "personal": false}'::jsonb,
  'find_user_by_email matches case-insensitively and prefers a team membership to the personal workspace'
);
select is(
  public.find_user_by_email('solo@example.com') -> 'account',
  '{"clerk_user_id": "user_tok_solo", "email": "solo@example.com", "name": "Solo",
    "clerk_org_id": "user_tok_solo", "org_name": null, "org_role": "org:admin", "personal": true}'::jsonb,
  'a user with no membership signs in to their personal workspace as admin'
);
select is(public.find_user_by_email('nobody@example.com'), '{"account": null}'::jsonb, 'an unknown email finds nobody');
select throws_ok($$ select public.find_user_by_email(' ') $$, '22023', 'email is required', 'a blank email is refused');

-- ---------------------------------------------------------------- issue
select is(
  (public.issue_refresh_token('{"clerk_user_id": "user_tok_ann", "clerk_org_id": "org_tok_team", "org_role": "member"}', pg_temp.h('t1')) ->> 'family_id') is not null,
  true,
  'issue_refresh_token starts a family'
);
select is(
  (select t.org_role from public.refresh_tokens t where t.token_hash = pg_temp.h('t1')),
  'org:member',
  'an unprefixed role is stored with the org: prefix'
);
select ok(
  (select t.expires_at between pg_catalog.now() + interval '7 days' - interval '1 minute'
                           and pg_catalog.now() + interval '7 days'
     from public.refresh_tokens t where t.token_hash = pg_temp.h('t1')),
  'a refresh token lives 7 days by default'
);
select throws_ok(
  $$ select public.issue_refresh_token('{"clerk_user_id": "user_tok_nobody", "clerk_org_id": "org_tok_team", "org_role": "org:member"}', pg_temp.h('x')) $$,
  'PT404', 'user not found', 'issuing for an unsynced user is refused'
);
select throws_ok(
  $$ select public.issue_refresh_token('{"clerk_user_id": "user_tok_ann", "clerk_org_id": "org_tok_team", "org_role": "org:member"}', 'not-a-hash') $$,
  '22023', 'token_hash must be a hex sha256', 'a malformed hash is refused'
);

-- ---------------------------------------------------------------- rotate
select is(
  public.rotate_refresh_token(pg_temp.h('t1'), pg_temp.h('t2')) - 'family_id' - 'expires_at',
  '{"status": "rotated", "clerk_user_id": "user_tok_ann", "email": "Ann@Example.com", "name": "Ann",
    "clerk_org_id": "org_tok_team", "org_name": "Team", "org_role": "org:member", "personal": false}'::jsonb,
  'a current token rotates and answers the identity to sign'
);
select is(
  (select pg_catalog.count(distinct t.family_id) from public.refresh_tokens t
    where t.token_hash in (pg_temp.h('t1'), pg_temp.h('t2'))),
  1::bigint,
  'the successor stays in the same family'
);
update public.organization_memberships m set role = 'org:admin'
  from public.users u, public.organizations o
 where m.user_id = u.id and u.clerk_user_id = 'user_tok_ann'
   and m.organization_id = o.id and o.clerk_org_id = 'org_tok_team';
select is(
  public.rotate_refresh_token(pg_temp.h('t2'), pg_temp.h('t3')) ->> 'org_role',
  'org:admin',
  'rotation re-reads the role from the membership'
);
select is(
  public.rotate_refresh_token(pg_temp.h('t1'), pg_temp.h('t4')),
  '{"status": "reused"}'::jsonb,
  'presenting a rotated token is reuse'
);
select is(
  (select pg_catalog.count(*) from public.refresh_tokens t
    where t.token_hash in (pg_temp.h('t1'), pg_temp.h('t2'), pg_temp.h('t3')) and t.revoked_at is null),
  0::bigint,
  'reuse revokes the whole family'
);
select is(
  (select pg_catalog.count(*) from public.refresh_tokens t where t.token_hash = pg_temp.h('t4')),
  0::bigint,
  'reuse issues no successor'
);
select is(
  public.rotate_refresh_token(pg_temp.h('t3'), pg_temp.h('t5')),
  '{"status": "revoked"}'::jsonb,
  'the family''s newest token no longer refreshes after reuse'
);
select is(
  public.rotate_refresh_token(pg_temp.h('never-issued'), pg_temp.h('t6')),
  '{"status": "unknown"}'::jsonb,
  'an unknown token is unknown'
);

select public.issue_refresh_token('{"clerk_user_id": "user_tok_ann", "clerk_org_id": "org_tok_team", "org_role": "org:member"}', pg_temp.h('old')) is not null as ok;
update public.refresh_tokens t set expires_at = pg_catalog.now() - interval '1 second' where t.token_hash = pg_temp.h('old');
select is(
  public.rotate_refresh_token(pg_temp.h('old'), pg_temp.h('old-next')),
  '{"status": "expired"}'::jsonb,
  'an expired token does not rotate'
);

select public.issue_refresh_token('{"clerk_user_id": "user_tok_ann", "clerk_org_id": "org_tok_team", "org_role": "org:member"}', pg_temp.h('left')) is not null as ok;
delete from public.organization_memberships m
 using public.users u, public.organizations o
 where m.user_id = u.id and u.clerk_user_id = 'user_tok_ann'
   and m.organization_id = o.id and o.clerk_org_id = 'org_tok_team';
select is(
  public.rotate_refresh_token(pg_temp.h('left'), pg_temp.h('left-next')),
  '{"status": "revoked"}'::jsonb,
  'a member removed from the organization cannot refresh into it'
);

select public.issue_refresh_token('{"clerk_user_id": "user_tok_solo", "clerk_org_id": "user_tok_solo", "org_role": "org:admin"}', pg_temp.h('solo')) is not null as ok;
select is(
  public.rotate_refresh_token(pg_temp.h('solo'), pg_temp.h('solo-next')) ->> 'personal',
  'true',
  'a personal workspace refreshes without an organization row'
);

-- ---------------------------------------------------------------- revoke
select is(
  public.revoke_refresh_family(token_hash => pg_temp.h('solo')),
  2,
  'revoking by a spent token marks its whole family revoked'
);
select is(
  public.rotate_refresh_token(pg_temp.h('solo-next'), pg_temp.h('solo-after')),
  '{"status": "revoked"}'::jsonb,
  'a revoked family does not refresh'
);
select throws_ok(
  $$ select public.revoke_refresh_family() $$,
  '22023', 'give exactly one of token_hash, family_id', 'revoking needs a token or a family'
);

-- ---------------------------------------------------------------- retention
select is(
  public.cleanup_expired_refresh_tokens(),
  0,
  'a token that expired within the grace period is kept'
);
update public.refresh_tokens t set expires_at = pg_catalog.now() - interval '2 days' where t.token_hash = pg_temp.h('old');
select is(
  public.cleanup_expired_refresh_tokens(),
  1,
  'cleanup deletes tokens that expired before the grace period'
);

-- ---------------------------------------------------------------- member reads
set local role authenticated;
set local "request.jwt.claims" = '{"sub": "user_tok_solo", "org_id": "user_tok_solo", "org_role": "org:admin"}';
select is(
  (select pg_catalog.count(*) from public.refresh_tokens),
  0::bigint,
  'a user whose row is outside the claimed organization sees no sessions'
);
set local "request.jwt.claims" = '{"sub": "user_tok_ann", "org_id": "user_tok_ann", "org_role": "org:admin"}';
select ok(
  (select pg_catalog.bool_and(t.user_id = u.id) and pg_catalog.count(*) > 0
     from public.refresh_tokens t, public.users u
    where u.clerk_user_id = 'user_tok_ann'),
  'a user sees only their own sessions'
);
reset role;
set local role service_role;
select is(
  public.get_me('{"clerk_user_id": "user_tok_ann", "clerk_org_id": "user_tok_ann", "org_role": "org:admin"}'),
  '{"user": {"id": "user_tok_ann", "email": "Ann@Example.com", "name": "Ann"},
    "organization": {"id": "user_tok_ann", "name": "", "personal": true}}'::jsonb,
  'get_me answers the actor and their organization'
);
reset role;

select * from finish();
rollback;
