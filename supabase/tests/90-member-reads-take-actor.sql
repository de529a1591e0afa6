-- Member reads take the verified caller as `actor` (the service runs as service_role and
-- signs no JWT): private.actor_scope resolves it, every read keeps to the actor's
-- organization exactly as RLS would, and none answers without an actor. Policy tags.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(54);

-- ---------------------------------------------------------------- fixture (as owner)
-- org_mr_a and org_mr_b: an admin each (user_mr_a, user_mr_b), a member of A
-- (user_mr_am), one policy written by that member, one audit, usage this month
-- (A 3, B 9) and a live rate-limit window (A 5, B 8).
-- as Clerk's webhooks would: the roles are authoritative
select public.provision_actor('{"clerk_user_id": "user_mr_a", "clerk_org_id": "org_mr_a", "org_role": "org:admin", "email": "a@example.com", "name": "Ann", "org_name": "Org A", "role_is_authoritative": true}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_mr_am", "clerk_org_id": "org_mr_a", "org_role": "org:member", "role_is_authoritative": true}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_mr_b", "clerk_org_id": "org_mr_b", "org_role": "org:admin", "email": "b@example.com", "name": "Bob", "org_name": "Org B", "role_is_authoritative": true}') is not null as ok;
do $$
declare
  a uuid := (select o.id from public.organizations o where o.clerk_org_id = 'org_mr_a');
  b uuid := (select o.id from public.organizations o where o.clerk_org_id = 'org_mr_b');
  am uuid := (select u.id from public.users u where u.clerk_user_id = 'user_mr_am');
  month text := pg_catalog.to_char(pg_catalog.now() at time zone 'UTC', 'YYYY-MM');
begin
  perform pg_catalog.set_config('test.org_a', a::text, true);
  perform pg_catalog.set_config('test.org_b', b::text, true);
  perform pg_catalog.set_config('test.user_a', (select u.id::text from public.users u where u.clerk_user_id = 'user_mr_a'), true);
  insert into public.policies (organization_id, title, content, created_by) values (a, 'A rules', 'Text A', am);
  insert into public.policies (organization_id, title, content) values (b, 'B rules', 'Text B');
  perform pg_catalog.set_config('test.policy_a', (select p.id::text from public.policies p where p.title = 'A rules'), true);
  perform pg_catalog.set_config('test.policy_b', (select p.id::text from public.policies p where p.title = 'B rules'), true);
  insert into public.audit_logs (id, organization_id, formula_count, findings_by_severity) values
    ('00000000-0000-4000-8000-00000000a001', a, 11, '{"error": 1}'),
    ('00000000-0000-4000-8000-00000000b001', b, 22, '{"warning": 5}');
  insert into public.audit_usage (organization_id, month_year, count) values (a, month, 3), (b, month, 9);
  insert into public.rate_limit_buckets (organization_id, request_count, window_reset_at) values
    (a, 5, pg_catalog.now() + interval '30 seconds'),
    (b, 8, pg_catalog.now() + interval '30 seconds');
  perform pg_catalog.set_config('test.actor_a', '{"clerk_user_id": "user_mr_a", "clerk_org_id": "org_mr_a", "org_role": "org:admin"}', true);
  perform pg_catalog.set_config('test.actor_am', '{"clerk_user_id": "user_mr_am", "clerk_org_id": "org_mr_a", "org_role": "org:member"}', true);
  -- B's admin presenting org A (a token for an org they do not belong to)
  perform pg_catalog.set_config('test.actor_b_in_a', '{"clerk_user_id": "user_mr_b", "clerk_org_id": "org_mr_a", "org_role": "org:admin"}', true);
end $$;

-- ---------------------------------------------------------------- privileges
select ok(
  not pg_catalog.has_schema_privilege('anon', 'private', 'USAGE')
  and pg_catalog.has_schema_privilege('service_role', 'private', 'USAGE'),
  'anon may not use the private schema; service_role may'
);
select results_eq(
  $$ select p.oid::regprocedure::text, p.prosecdef, 'search_path=""' = any(p.proconfig)
       from pg_catalog.pg_proc p
      where p.pronamespace = 'private'::regnamespace
        and pg_catalog.has_function_privilege('authenticated', p.oid, 'EXECUTE') $$,
  $$ values ('private.caller_organization_id()'::text, true, true) $$,
  'authenticated may execute one private function, what the RLS policies call (SECURITY DEFINER, search_path pinned)'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace = 'private'::regnamespace
        and p.oid <> 'private.caller_organization_id()'::regprocedure
        and (pg_catalog.has_function_privilege('anon', p.oid, 'EXECUTE')
             or pg_catalog.has_function_privilege('authenticated', p.oid, 'EXECUTE')
             or not pg_catalog.has_function_privilege('service_role', p.oid, 'EXECUTE')
             or p.prosecdef
             or not ('search_path=""' = any(coalesce(p.proconfig, '{}'::text[])))) $$,
  'every other private function: service_role only, SECURITY INVOKER, search_path pinned'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and 'actor' = any(p.proargnames)
        and (pg_catalog.has_function_privilege('anon', p.oid, 'EXECUTE')
             or pg_catalog.has_function_privilege('authenticated', p.oid, 'EXECUTE')) $$,
  'no function taking an actor is executable by anon or authenticated'
);
select set_eq(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and not exists (select 1 from pg_catalog.pg_depend d
                         where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        and pg_catalog.has_function_privilege('authenticated', p.oid, 'EXECUTE') $$,
  array['get_org_stats(uuid)', 'retrieve_policy_chunks(uuid,text,integer)'],
  'authenticated may execute only the two RLS-scoped reads kept for direct client access'
);
select is_empty(
  $$ select p.proname::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and p.proname in ('stats_org_id', 'org_finding_totals')
     union all
     select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and p.proname in ('org_stats', 'org_usage_by_month', 'org_rate_limit', 'org_audit_history',
                          'org_dashboard', 'list_policies', 'get_policy', 'get_me')
        and not 'actor' = any(coalesce(p.proargnames, '{}')) $$,
  'no claim-reading member read is left in public'
);

set local role service_role;

-- ---------------------------------------------------------------- private.actor_scope
select results_eq(
  $$ select organization_id = current_setting('test.org_a')::uuid, user_id = current_setting('test.user_a')::uuid, role
       from private.actor_scope(current_setting('test.actor_a')::jsonb) $$,
  $$ values (true, true, 'org:admin'::text) $$,
  'actor_scope: the organization and user by their Clerk ids, and the role'
);
select is(
  (select role from private.actor_scope('{"clerk_user_id": "u", "clerk_org_id": "o", "org_role": "admin"}')),
  'org:admin',
  'actor_scope: a v2 role gets the org: prefix'
);
select results_eq(
  $$ select organization_id, user_id, role from private.actor_scope('{"clerk_user_id": "user_mr_new", "clerk_org_id": "org_mr_new"}') $$,
  $$ values (null::uuid, null::uuid, 'org:member'::text) $$,
  'actor_scope: an actor never provisioned has no ids, and is a member without a role'
);
select throws_ok($$ select * from private.actor_scope(null) $$, 'PT401', 'actor required', 'actor_scope: SQL null is no actor');
select throws_ok($$ select * from private.actor_scope('null') $$, 'PT401', 'actor required', 'actor_scope: JSON null is no actor');
select throws_ok($$ select * from private.actor_scope('["user_mr_a", "org_mr_a"]') $$, 'PT403', 'malformed actor', 'actor_scope: an array is malformed');
select throws_ok($$ select * from private.actor_scope('{}') $$, 'PT403', 'malformed actor', 'actor_scope: an object without ids is malformed');
select throws_ok($$ select * from private.actor_scope('{"clerk_user_id": " ", "clerk_org_id": "org_mr_a"}') $$, 'PT403', 'malformed actor', 'actor_scope: a blank user id is malformed');
select throws_ok($$ select * from private.actor_scope('{"clerk_user_id": "user_mr_a", "clerk_org_id": 42}') $$, 'PT403', 'malformed actor', 'actor_scope: a non-string org id is malformed');
select throws_ok($$ select * from private.actor_scope('{"clerk_user_id": "user_mr_a", "clerk_org_id": "org_mr_a", "org_role": "org:ad min"}') $$, 'PT403', 'malformed actor', 'actor_scope: an invalid role is malformed');
select throws_ok($$ select * from private.actor_scope('{"clerk_user_id": "user_mr_a", "clerk_org_id": "org_mr_a", "org_role": 1}') $$, 'PT403', 'malformed actor', 'actor_scope: a non-string role is malformed');

-- ---------------------------------------------------------------- each member read: the actor's organization only
select is(
  (select organization_id from public.org_stats(current_setting('test.actor_a')::jsonb)),
  current_setting('test.org_a')::uuid,
  'org_stats: the actor''s organization'
);
select is(
  (select audits from public.org_usage_by_month(current_setting('test.actor_a')::jsonb, 1)),
  3,
  'org_usage_by_month: the actor''s organization''s usage only'
);
select is(
  (select request_count from public.org_rate_limit(current_setting('test.actor_a')::jsonb)),
  5,
  'org_rate_limit: the actor''s organization''s window only'
);
select results_eq(
  $$ select id from public.org_audit_history(current_setting('test.actor_a')::jsonb, 100) $$,
  $$ values ('00000000-0000-4000-8000-00000000a001'::uuid) $$,
  'org_audit_history: the actor''s organization''s audits only'
);
select is(
  (select d -> 'stats' ->> 'organization_id' from (select public.org_dashboard(current_setting('test.actor_a')::jsonb) as d) x),
  current_setting('test.org_a'),
  'org_dashboard: stats of the actor''s organization'
);
select is(
  (select pg_catalog.jsonb_path_query_array(public.org_dashboard(current_setting('test.actor_a')::jsonb), '$.recent_audits[*].id')),
  '["00000000-0000-4000-8000-00000000a001"]'::jsonb,
  'org_dashboard: recent audits of the actor''s organization only'
);
select is(
  (select pg_catalog.jsonb_path_query_array(public.org_dashboard(current_setting('test.actor_a')::jsonb), '$.finding_totals[*].key')),
  '["error"]'::jsonb,
  'org_dashboard: finding totals of the actor''s organization only'
);
select is_empty(
  $$ select 1 from pg_catalog.jsonb_array_elements(public.org_dashboard(current_setting('test.actor_a')::jsonb) -> 'policies') e
      join public.policies p on p.id = (e.value ->> 'id')::uuid
     where p.organization_id <> current_setting('test.org_a')::uuid $$,
  'org_dashboard: policies of the actor''s organization only'
);
select is(
  (select pg_catalog.count(*)::integer from public.policies p where p.organization_id = current_setting('test.org_a')::uuid),
  (select pg_catalog.jsonb_array_length(public.org_dashboard(current_setting('test.actor_a')::jsonb) -> 'policies')),
  'org_dashboard: every policy of the actor''s organization'
);
select is_empty(
  $$ select 1 from pg_catalog.jsonb_array_elements(public.list_policies(current_setting('test.actor_a')::jsonb, page_limit => 200) -> 'policies') e
     where (e.value ->> 'organization_id')::uuid <> current_setting('test.org_a')::uuid $$,
  'list_policies: the actor''s organization''s policies only'
);
select is(
  (select (public.list_policies(current_setting('test.actor_a')::jsonb) ->> 'total')::integer),
  (select pg_catalog.count(*)::integer from public.policies p where p.organization_id = current_setting('test.org_a')::uuid),
  'list_policies: every policy of the actor''s organization'
);
select is(
  public.get_policy(current_setting('test.actor_a')::jsonb, current_setting('test.policy_a')::uuid) ->> 'title',
  'A rules',
  'get_policy: a policy of the actor''s organization'
);
select throws_ok(
  $$ select public.get_policy(current_setting('test.actor_a')::jsonb, current_setting('test.policy_b')::uuid) $$,
  'PT404', 'policy not found',
  'get_policy: another organization''s policy is not found'
);
select is(
  public.get_me(current_setting('test.actor_a')::jsonb),
  '{"user": {"id": "user_mr_a", "email": "a@example.com", "name": "Ann"},
    "organization": {"id": "org_mr_a", "name": "Org A", "personal": false}}'::jsonb,
  'get_me: the actor and their organization'
);
select is(
  public.get_me(current_setting('test.actor_b_in_a')::jsonb) -> 'user',
  'null'::jsonb,
  'get_me: a user outside the named organization is not shown, as the users RLS policy has it'
);

-- ---------------------------------------------------------------- each member read: refused without an actor
select throws_ok($$ select * from public.org_stats(null) $$, 'PT401', 'actor required', 'org_stats refuses without an actor');
select throws_ok($$ select * from public.org_usage_by_month(null, 3) $$, 'PT401', 'actor required', 'org_usage_by_month refuses without an actor');
select throws_ok($$ select * from public.org_rate_limit(null) $$, 'PT401', 'actor required', 'org_rate_limit refuses without an actor');
select throws_ok($$ select * from public.org_audit_history(null) $$, 'PT401', 'actor required', 'org_audit_history refuses without an actor');
select throws_ok($$ select public.org_dashboard(null) $$, 'PT401', 'actor required', 'org_dashboard refuses without an actor');
select throws_ok($$ select public.list_policies(null) $$, 'PT401', 'actor required', 'list_policies refuses without an actor');
select throws_ok(
  $$ select public.get_policy(null, current_setting('test.policy_a')::uuid) $$,
  'PT401', 'actor required', 'get_policy refuses without an actor'
);
select throws_ok($$ select public.get_me(null) $$, 'PT401', 'actor required', 'get_me refuses without an actor');
select throws_ok(
  $$ select public.set_policy_tags(null, current_setting('test.policy_a')::uuid, '{x}') $$,
  'PT401', 'actor required', 'set_policy_tags refuses without an actor'
);
select throws_ok(
  $$ select public.list_policies('{"clerk_user_id": "user_mr_a"}') $$,
  'PT403', 'malformed actor', 'a malformed actor is refused before any row is read'
);

-- ---------------------------------------------------------------- policy tags
select is(
  public.set_policy_tags(current_setting('test.actor_am')::jsonb, current_setting('test.policy_a')::uuid,
                         '{finance, lookups, finance}') -> 'tags',
  '["finance", "lookups"]'::jsonb,
  'set_policy_tags: the author tags their policy; duplicates dropped, order kept'
);
select is(
  public.set_policy_tags(current_setting('test.actor_a')::jsonb, current_setting('test.policy_a')::uuid, '{}') -> 'tags',
  '[]'::jsonb,
  'set_policy_tags: an admin may retag any policy of the organization'
);
select is(
  (select p.tags from public.policies p where p.id = current_setting('test.policy_a')::uuid),
  '{}'::text[],
  'set_policy_tags: the tags are stored'
);
select throws_ok(
  $$ select public.set_policy_tags(current_setting('test.actor_am')::jsonb,
       (select p.id from public.policies p where p.organization_id = current_setting('test.org_a')::uuid and p.is_default limit 1),
       '{mine}') $$,
  'PT403', 'only organization admins and the policy''s author may tag it',
  'set_policy_tags: a member may not tag a policy someone else wrote'
);
select throws_ok(
  $$ select public.set_policy_tags(current_setting('test.actor_a')::jsonb, current_setting('test.policy_b')::uuid, '{x}') $$,
  'PT404', 'policy not found',
  'set_policy_tags: another organization''s policy is not found'
);
select throws_ok(
  $$ select public.set_policy_tags(current_setting('test.actor_a')::jsonb, current_setting('test.policy_a')::uuid, '{" "}') $$,
  '22023', 'invalid tags', 'set_policy_tags: a blank tag is refused'
);
select throws_ok(
  $$ select public.set_policy_tags(current_setting('test.actor_a')::jsonb, current_setting('test.policy_a')::uuid,
       array[pg_catalog.repeat('t', 51)]) $$,
  '22023', 'invalid tags', 'set_policy_tags: a tag over 50 characters is refused'
);
select throws_ok(
  $$ select public.set_policy_tags(current_setting('test.actor_a')::jsonb, current_setting('test.policy_a')::uuid,
       (select pg_catalog.array_agg('t' || n) from pg_catalog.generate_series(1, 21) n)) $$,
  '22023', 'invalid tags', 'set_policy_tags: more than 20 tags are refused'
);
select throws_ok(
  $$ select public.set_policy_tags(current_setting('test.actor_a')::jsonb, current_setting('test.policy_a')::uuid, array[null]::text[]) $$,
  '22023', 'invalid tags', 'set_policy_tags: a null tag is refused'
);
reset role;

-- ---------------------------------------------------------------- members cannot call them directly
set local role authenticated;
set local "request.jwt.claims" = '{"sub": "user_mr_a", "org_id": "org_mr_a", "org_role": "org:admin"}';
select throws_ok(
  $$ select * from public.org_stats(current_setting('test.actor_a')::jsonb) $$,
  '42501', null, 'authenticated cannot execute a member read that takes an actor'
);
select throws_ok(
  $$ select * from private.actor_scope(current_setting('test.actor_a')::jsonb) $$,
  '42501', null, 'authenticated cannot reach private.actor_scope'
);
select is(
  (select pg_catalog.array_agg(p.title order by p.title) from public.policies p where p.title in ('A rules', 'B rules')),
  array['A rules'],
  'RLS still keeps direct client reads to the claimed organization'
);
reset role;

select * from finish();
rollback;
