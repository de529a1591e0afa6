-- Who may add policies, how often and how many: a member's re-ingest cannot rewrite an
-- existing policy, a viewer cannot add one, ingests count against the rate limit, and
-- an organization holds at most its plan's max_policies.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(16);

-- Seven default policies + 2 more; 2 requests a minute.
insert into public.plans (id, name, audits_per_month, rate_limit_requests, rate_limit_window_seconds, max_policies)
values ('test_small35', 'Small (test)', 100, 2, 60, 9);

create temporary table actors (name text primary key, actor jsonb) on commit drop;
insert into actors values
  ('admin', '{"clerk_user_id": "user_i35_admin", "clerk_org_id": "org_i35", "org_role": "org:admin", "role_is_authoritative": true}'),
  ('member', '{"clerk_user_id": "user_i35_member", "clerk_org_id": "org_i35", "org_role": "org:member"}'),
  ('viewer', '{"clerk_user_id": "user_i35_viewer", "clerk_org_id": "org_i35", "org_role": "org:viewer"}');
grant select on actors to service_role;

create function pg_temp.ingest(who text, title text, hash_digit text) returns jsonb language sql as $$
  select public.ingest_policy((select a.actor from actors a where a.name = who),
    title, 'Policy text ' || hash_digit, pg_catalog.repeat(hash_digit, 64),
    '[{"content": "Policy text", "token_count": 3}]', 11, 1, 'cat-' || who, 'dept-' || who) $$;

set local role service_role;

-- ---------------------------------------------------------------- a member cannot rewrite
select is(pg_temp.ingest('admin', 'Original', 'a') ->> 'outcome', 'created', 'fixture: an admin''s policy');
select is(pg_temp.ingest('member', 'Hijacked', 'a') ->> 'outcome', 'unchanged',
  'a member ingesting the same text is told it changed nothing');
select results_eq(
  $$ select title, category, department, source from public.policies where content_hash = pg_catalog.repeat('a', 64) $$,
  $$ values ('Original'::text, 'cat-admin'::text, 'dept-admin'::text, 'manual'::text) $$,
  'and the admin''s title, category, department and source stay'
);
select is(
  (select l.chunk_count from public.ingestion_logs l
     join public.users u on u.id = l.user_id where u.clerk_user_id = 'user_i35_member'),
  0, 'the member''s ingest is logged as writing no chunk'
);
select is(pg_temp.ingest('admin', 'Renamed', 'a') ->> 'outcome', 'updated', 'an admin re-ingesting updates');
select is((select title from public.policies where content_hash = pg_catalog.repeat('a', 64)), 'Renamed',
  'to the admin''s title');

-- ---------------------------------------------------------------- who may add
select is(pg_temp.ingest('member', 'By a member', 'b') ->> 'outcome', 'created', 'a member may add a new policy');
select throws_ok($$ select pg_temp.ingest('viewer', 'By a viewer', 'c') $$,
  'PT403', 'only members and admins may add policies', 'a viewer may not add one');
select throws_ok($$ select public.begin_ingest((select actor from actors where name = 'viewer')) $$,
  'PT403', 'only members and admins may add policies', 'nor start an ingest');

-- ---------------------------------------------------------------- how often
update public.subscriptions s set plan = 'test_small35'
  from public.organizations o where o.id = s.organization_id and o.clerk_org_id = 'org_i35';
select is((public.begin_ingest((select actor from actors where name = 'member')) #>> '{rate_limit,remaining}')::integer,
  1, 'begin_ingest counts the request in the organization''s window');
select is((public.begin_ingest((select actor from actors where name = 'member')) #>> '{rate_limit,remaining}')::integer,
  0, 'a second one uses the window up');
select throws_ok($$ select public.begin_ingest((select actor from actors where name = 'member')) $$,
  'PT429', 'rate limit exceeded', 'a third is refused like an audit would be');

-- ---------------------------------------------------------------- how many
select is((select count(*)::integer from public.policies p join public.organizations o on o.id = p.organization_id
            where o.clerk_org_id = 'org_i35'), 9, 'fixture: the organization holds its plan''s 9 policies');
select throws_ok($$ select pg_temp.ingest('admin', 'One too many', 'd') $$,
  'PT402', 'policy limit reached', 'one more policy is refused');
select is(pg_temp.ingest('admin', 'Renamed again', 'a') ->> 'outcome', 'updated',
  'updating an existing one at the limit still works');
update public.subscriptions s set status = 'unpaid'
  from public.organizations o where o.id = s.organization_id and o.clerk_org_id = 'org_i35';
update public.plans set max_policies = 30 where id = 'test_small35';
update public.plans set max_policies = 9 where id = 'free';
select throws_ok($$ select pg_temp.ingest('admin', 'Unpaid', 'e') $$,
  'PT402', 'policy limit reached', 'an unpaid subscription has the free plan''s limit, not its paid plan''s');

select * from finish();
rollback;
