-- RLS is on everywhere, policies are SELECT-only, table and function privileges
-- follow the security model (anon nothing, authenticated reads, service_role writes).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(34);

-- ---------------------------------------------------------------- catalogue checks
select is_empty(
  $$ select c.relname::text from pg_catalog.pg_class c
      where c.relnamespace = 'public'::regnamespace
        and c.relkind in ('r', 'p')
        and not c.relrowsecurity $$,
  'every table in public has row level security enabled'
);
select is_empty(
  $$ select c.relname::text from pg_catalog.pg_class c
      where c.relnamespace = 'public'::regnamespace
        and c.relkind in ('r', 'p')
        and not exists (select 1 from pg_catalog.pg_policy p where p.polrelid = c.oid) $$,
  'every table in public has at least one policy'
);
select is_empty(
  $$ select p.tablename || ': ' || p.policyname from pg_catalog.pg_policies p
      where p.schemaname = 'public'
        and p.tablename in ('organizations', 'users', 'organization_memberships', 'plans', 'subscriptions',
                            'policy_templates', 'policies', 'audit_usage', 'rate_limit_buckets',
                            'audit_logs', 'audit_logs_archive', 'ingestion_logs')
        and (p.cmd <> 'SELECT' or p.roles <> array['authenticated']::name[]) $$,
  'core policies are SELECT-only and to authenticated'
);
select is_empty(
  $$ select c.relname::text from pg_catalog.pg_class c
      where c.relnamespace = 'public'::regnamespace
        and c.relkind in ('r', 'p', 'v', 'm')
        and pg_catalog.has_table_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') $$,
  'anon has no privilege on any table in public'
);
select is_empty(
  $$ select c.relname::text from pg_catalog.pg_class c
      where c.relnamespace = 'public'::regnamespace
        and c.relkind in ('r', 'p', 'v', 'm')
        and pg_catalog.has_table_privilege('authenticated', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') $$,
  'authenticated has no write privilege on any table in public'
);
select is_empty(
  $$ select t.t from pg_catalog.unnest(array['organizations', 'users', 'organization_memberships', 'plans', 'subscriptions',
                            'policy_templates', 'policies', 'audit_usage', 'rate_limit_buckets',
                            'audit_logs', 'audit_logs_archive', 'ingestion_logs']) as t(t)
      where not pg_catalog.has_table_privilege('authenticated', ('public.' || t.t)::regclass, 'SELECT')
         or not pg_catalog.has_table_privilege('service_role', ('public.' || t.t)::regclass, 'SELECT, INSERT, UPDATE, DELETE') $$,
  'authenticated may SELECT and service_role may write every core table'
);

-- functions: definer, search_path, PUBLIC/anon execute
select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and p.prosecdef
        and (pg_catalog.has_function_privilege('anon', p.oid, 'EXECUTE')
             or pg_catalog.has_function_privilege('authenticated', p.oid, 'EXECUTE')) $$,
  'no SECURITY DEFINER function in public is executable by anon or authenticated'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and not exists (select 1 from pg_catalog.pg_depend d
                         where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        and not ('search_path=""' = any(coalesce(p.proconfig, '{}'::text[]))) $$,
  'every function in public pins search_path = '''''
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and not exists (select 1 from pg_catalog.pg_depend d
                         where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        and (p.proacl is null
             or exists (select 1 from pg_catalog.aclexplode(p.proacl) a
                         where a.grantee = 0 and a.privilege_type = 'EXECUTE')) $$,
  'no function in public is executable by PUBLIC'
);
select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and not exists (select 1 from pg_catalog.pg_depend d
                         where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        and pg_catalog.has_function_privilege('anon', p.oid, 'EXECUTE') $$,
  'anon can execute no function in public'
);
select set_eq(
  $$ select p.proname::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and p.proname in ('increment_audit_usage', 'increment_rate_limit', 'cleanup_expired_rate_limits',
                          'get_org_stats', 'archive_audit_logs', 'provision_actor', 'set_updated_at')
        and pg_catalog.has_function_privilege('authenticated', p.oid, 'EXECUTE') $$,
  array['get_org_stats'],
  'of the core functions, authenticated may execute only get_org_stats'
);
select set_eq(
  $$ select p.proname::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and p.proname in ('increment_audit_usage', 'increment_rate_limit', 'cleanup_expired_rate_limits',
                          'get_org_stats', 'archive_audit_logs', 'provision_actor')
        and pg_catalog.has_function_privilege('service_role', p.oid, 'EXECUTE') $$,
  array['increment_audit_usage', 'increment_rate_limit', 'cleanup_expired_rate_limits',
        'get_org_stats', 'archive_audit_logs', 'provision_actor'],
  'service_role may execute every core function'
);

-- ---------------------------------------------------------------- fixture (as owner)
select isnt(public.provision_actor('{"clerk_user_id": "user_priv", "clerk_org_id": "org_priv", "org_role": "org:admin"}'), null, 'fixture provisioned');
do $$ begin
  perform pg_catalog.set_config('test.org_priv', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_priv'), true);
end $$;

-- ---------------------------------------------------------------- as authenticated (an admin of the org!)
set local role authenticated;
set local "request.jwt.claims" = '{"sub":"user_priv","org_id":"org_priv","org_role":"org:admin"}';

select throws_ok(
  $$ select public.increment_audit_usage(current_setting('test.org_priv')::uuid, '2026-11') $$,
  '42501', null, 'authenticated cannot execute increment_audit_usage'
);
select throws_ok(
  $$ select public.increment_rate_limit(current_setting('test.org_priv')::uuid) $$,
  '42501', null, 'authenticated cannot execute increment_rate_limit'
);
select throws_ok(
  $$ select public.cleanup_expired_rate_limits() $$,
  '42501', null, 'authenticated cannot execute cleanup_expired_rate_limits'
);
select throws_ok(
  $$ select public.archive_audit_logs('0 days') $$,
  '42501', null, 'authenticated cannot execute archive_audit_logs'
);
select throws_ok(
  $$ select public.provision_actor('{"clerk_user_id": "user_priv", "clerk_org_id": "org_other", "org_role": "org:admin"}') $$,
  '42501', null, 'authenticated cannot execute provision_actor'
);
select lives_ok(
  $$ select * from public.get_org_stats(current_setting('test.org_priv')::uuid) $$,
  'authenticated can execute get_org_stats'
);

select throws_ok(
  $$ insert into public.organizations (clerk_org_id, name) values ('org_evil', 'Evil') $$,
  '42501', null, 'authenticated cannot insert organizations'
);
select throws_ok(
  $$ update public.organizations set name = 'x' where clerk_org_id = 'org_priv' $$,
  '42501', null, 'authenticated cannot update its own organization'
);
select throws_ok(
  $$ delete from public.policies $$,
  '42501', null, 'authenticated cannot delete policies'
);
select throws_ok(
  $$ insert into public.policies (organization_id, title, content) values (current_setting('test.org_priv')::uuid, 't', 'c') $$,
  '42501', null, 'authenticated cannot insert policies'
);
select throws_ok(
  $$ update public.audit_usage set count = 0 $$,
  '42501', null, 'authenticated cannot reset audit usage'
);
select throws_ok(
  $$ delete from public.rate_limit_buckets $$,
  '42501', null, 'authenticated cannot delete rate limit buckets'
);
select throws_ok(
  $$ update public.subscriptions set plan = 'enterprise' $$,
  '42501', null, 'authenticated cannot change its subscription'
);
select throws_ok(
  $$ insert into public.audit_logs (organization_id) values (current_setting('test.org_priv')::uuid) $$,
  '42501', null, 'authenticated cannot insert audit logs'
);
select throws_ok(
  $$ insert into public.organization_memberships (organization_id, user_id, role)
     select current_setting('test.org_priv')::uuid, u.id, 'org:admin' from public.users u $$,
  '42501', null, 'authenticated cannot insert memberships'
);
select throws_ok(
  $$ insert into public.plans (id, name) values ('free_forever', 'x') $$,
  '42501', null, 'authenticated cannot insert plans'
);

-- ---------------------------------------------------------------- as anon
reset role;
set local role anon;
set local "request.jwt.claims" = '{"role":"anon"}';

select throws_ok(
  $$ select * from public.organizations $$,
  '42501', null, 'anon cannot read organizations'
);
select throws_ok(
  $$ select * from public.plans $$,
  '42501', null, 'anon cannot read plans'
);
select throws_ok(
  $$ select * from public.get_org_stats(current_setting('test.org_priv')::uuid) $$,
  '42501', null, 'anon cannot execute get_org_stats'
);
select throws_ok(
  $$ select public.increment_audit_usage(current_setting('test.org_priv')::uuid, '2026-11') $$,
  '42501', null, 'anon cannot execute increment_audit_usage'
);

-- ---------------------------------------------------------------- as service_role
reset role;
set local role service_role;
select is(
  public.increment_audit_usage(current_setting('test.org_priv')::uuid, '2026-11'),
  1,
  'service_role can execute increment_audit_usage'
);
reset role;

select * from finish();
rollback;
