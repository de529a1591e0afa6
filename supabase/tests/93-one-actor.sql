-- One encoding of the actor: private.actor_fields reads it (validates and unpacks) for
-- every function that acts for a caller, with private.actor_scope's SQLSTATEs: PT401
-- without an actor, PT403 for a malformed one. No public function takes the caller's
-- fields as separate arguments any more.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(7);

-- ---------------------------------------------------------------- fixture
-- The SQLSTATE and message a statement raises ('no error' when it raises none).
create function pg_temp.refusal(statement text) returns text
language plpgsql as $$
begin
  execute statement;
  return 'no error';
exception when others then
  return sqlstate || ' ' || sqlerrm;
end;
$$;

create temporary table malformed (label text primary key, actor jsonb, refusal text) on commit drop;
insert into malformed values
  ('a SQL null', null, 'PT401 actor required'),
  ('a JSON null', 'null', 'PT401 actor required'),
  ('an array', '["user_oa", "org_oa"]', 'PT403 malformed actor'),
  ('an object without ids', '{}', 'PT403 malformed actor'),
  ('a blank user id', '{"clerk_user_id": " ", "clerk_org_id": "org_oa"}', 'PT403 malformed actor'),
  ('a non-string org id', '{"clerk_user_id": "user_oa", "clerk_org_id": 42}', 'PT403 malformed actor'),
  ('a role that is no Clerk role key', '{"clerk_user_id": "user_oa", "clerk_org_id": "org_oa", "org_role": "org:ad min"}', 'PT403 malformed actor'),
  ('a non-string role', '{"clerk_user_id": "user_oa", "clerk_org_id": "org_oa", "org_role": 1}', 'PT403 malformed actor'),
  ('a non-string email', '{"clerk_user_id": "user_oa", "clerk_org_id": "org_oa", "email": ["a@example.com"]}', 'PT403 malformed actor'),
  ('a non-boolean personal', '{"clerk_user_id": "user_oa", "clerk_org_id": "org_oa", "personal": "yes"}', 'PT403 malformed actor'),
  ('a non-boolean role authority', '{"clerk_user_id": "user_oa", "clerk_org_id": "org_oa", "role_is_authoritative": "true"}', 'PT403 malformed actor');

-- ---------------------------------------------------------------- unpacking
select results_eq(
  $$ select * from private.actor_fields('{"clerk_user_id": "user_oa", "clerk_org_id": "org_oa", "org_role": "admin",
                                           "email": "a@example.com", "name": "Ann", "org_name": "Org A",
                                           "personal": true, "role_is_authoritative": true}') $$,
  $$ values ('user_oa'::text, 'org_oa'::text, 'org:admin'::text, 'a@example.com'::text, 'Ann'::text,
             'Org A'::text, true, true) $$,
  'actor_fields unpacks every field, the role with its org: prefix'
);
select results_eq(
  $$ select f.org_role, f.email, f.personal, f.role_is_authoritative
       from private.actor_fields('{"clerk_user_id": "user_oa", "clerk_org_id": "org_oa", "email": null}') f $$,
  $$ values ('org:member'::text, null::text, false, false) $$,
  'absent or null fields read as org:member, null and false'
);

-- ---------------------------------------------------------------- the same refusals everywhere
select results_eq(
  $$ select m.label, pg_temp.refusal(pg_catalog.format('select * from private.actor_fields(%L::jsonb)', m.actor))
       from malformed m order by m.label $$,
  $$ select m.label, m.refusal from malformed m order by m.label $$,
  'actor_fields refuses a missing actor with PT401 and a malformed one with PT403'
);

-- Readers (actor_scope and the member reads on it) and writers (provision_actor and
-- what provisions through it), each called with valid other arguments.
create temporary table takers (name text primary key, statement text) on commit drop;
insert into takers values
  ('actor_scope', 'select * from private.actor_scope(%L::jsonb)'),
  ('get_me', 'select public.get_me(%L::jsonb)'),
  ('org_dashboard', 'select public.org_dashboard(%L::jsonb)'),
  ('set_policy_tags', 'select public.set_policy_tags(%L::jsonb, gen_random_uuid(), array[''tag''])'),
  ('provision_actor', 'select public.provision_actor(%L::jsonb)'),
  ('begin_audit', 'select public.begin_audit(%L::jsonb)'),
  ('billing_overview', 'select public.billing_overview(%L::jsonb)'),
  ('downgrade_to_free', 'select public.downgrade_to_free(%L::jsonb)'),
  ('issue_refresh_token', 'select public.issue_refresh_token(%L::jsonb, pg_catalog.repeat(''a'', 64))'),
  ('begin_ingest', 'select public.begin_ingest(%L::jsonb)'),
  ('restore_default_policies', 'select public.restore_default_policies(%L::jsonb)');
select results_eq(
  $$ select t.name, m.label, pg_temp.refusal(pg_catalog.format(t.statement, m.actor))
       from takers t cross join malformed m order by t.name, m.label $$,
  $$ select t.name, m.label, m.refusal from takers t cross join malformed m order by t.name, m.label $$,
  'every function taking an actor refuses a missing or malformed one alike'
);
select is(
  (select pg_catalog.count(*)::integer from public.organizations o where o.clerk_org_id = 'org_oa')
    + (select pg_catalog.count(*)::integer from public.users u where u.clerk_user_id = 'user_oa'),
  0,
  'a refused actor provisions nothing'
);

-- ---------------------------------------------------------------- one encoding
select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
        and pg_catalog.pg_get_function_identity_arguments(p.oid)
              ~ '\m(clerk_user_id|clerk_org_id|org_role|role_is_authoritative)\M' $$,
  'no function takes the caller''s fields as separate arguments'
);
select ok(
  not pg_catalog.has_function_privilege('anon', 'private.actor_fields(jsonb)', 'EXECUTE')
  and not pg_catalog.has_function_privilege('authenticated', 'private.actor_fields(jsonb)', 'EXECUTE')
  and pg_catalog.has_function_privilege('service_role', 'private.actor_fields(jsonb)', 'EXECUTE'),
  'actor_fields is service_role only'
);

select * from finish();
rollback;
