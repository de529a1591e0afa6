-- Tenancy: as `authenticated`, a member sees only their own organization's rows,
-- with v1 (org_id) and v2 (o.id) Clerk claims; another org's rows never show.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(37);

-- ---------------------------------------------------------------- fixture (as owner)
-- org_ta: user_ta (admin), user_shared (member); org_tb: user_tb (admin), user_shared (member)
select public.provision_actor('{"clerk_user_id": "user_ta", "clerk_org_id": "org_ta", "org_role": "org:admin", "email": "a@example.com", "name": "A", "org_name": "Org A"}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_tb", "clerk_org_id": "org_tb", "org_role": "org:admin", "email": "b@example.com", "name": "B", "org_name": "Org B"}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_shared", "clerk_org_id": "org_ta", "org_role": "org:member"}') is not null as ok;
select public.provision_actor('{"clerk_user_id": "user_shared", "clerk_org_id": "org_tb", "org_role": "org:member"}') is not null as ok;

do $$
declare
  a uuid := (select o.id from public.organizations o where o.clerk_org_id = 'org_ta');
  b uuid := (select o.id from public.organizations o where o.clerk_org_id = 'org_tb');
  org uuid;
  pol uuid;
begin
  perform pg_catalog.set_config('test.org_a', a::text, true);
  perform pg_catalog.set_config('test.org_b', b::text, true);
  foreach org in array array[a, b] loop
    perform public.increment_audit_usage(org, '2026-11');
    perform public.increment_rate_limit(org);
    insert into public.policies (organization_id, title, content) values (org, 'Manual', 'Text')
      returning id into pol;
    insert into public.audit_logs (organization_id, formula_count) values (org, 5);
    insert into public.audit_logs_archive (organization_id, formula_count, created_at)
      values (org, 1, pg_catalog.now() - interval '200 days');
    insert into public.ingestion_logs (organization_id, policy_id, document_size, success)
      values (org, pol, 100, true);
  end loop;
end $$;

-- ---------------------------------------------------------------- v1 claims, org A
set local role authenticated;
set local "request.jwt.claims" = '{"sub":"user_ta","org_id":"org_ta","org_role":"org:admin"}';

select results_eq(
  $$ select clerk_org_id from public.organizations $$,
  $$ values ('org_ta'::text) $$,
  'v1: organizations shows only the caller''s organization'
);
select set_eq(
  $$ select clerk_user_id from public.users $$,
  array['user_ta', 'user_shared'],
  'v1: users shows only members of the caller''s organization'
);
select is(
  (select array_agg(distinct organization_id) from public.organization_memberships),
  array[current_setting('test.org_a')::uuid],
  'v1: organization_memberships only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.subscriptions),
  array[current_setting('test.org_a')::uuid],
  'v1: subscriptions only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.policies),
  array[current_setting('test.org_a')::uuid],
  'v1: policies only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.audit_usage),
  array[current_setting('test.org_a')::uuid],
  'v1: audit_usage only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.rate_limit_buckets),
  array[current_setting('test.org_a')::uuid],
  'v1: rate_limit_buckets only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.audit_logs),
  array[current_setting('test.org_a')::uuid],
  'v1: audit_logs only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.audit_logs_archive),
  array[current_setting('test.org_a')::uuid],
  'v1: audit_logs_archive only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.ingestion_logs),
  array[current_setting('test.org_a')::uuid],
  'v1: ingestion_logs only of own org'
);

-- explicit lookups of the other org's rows come back empty
select is_empty($$ select 1 from public.organizations where id = current_setting('test.org_b')::uuid $$, 'v1: org B not readable');
select is_empty($$ select 1 from public.users where clerk_user_id = 'user_tb' $$, 'v1: org B''s user not readable');
select is_empty($$ select 1 from public.policies where organization_id = current_setting('test.org_b')::uuid $$, 'v1: org B policies not readable');
select is_empty($$ select 1 from public.audit_logs where organization_id = current_setting('test.org_b')::uuid $$, 'v1: org B audit logs not readable');
select is_empty($$ select 1 from public.subscriptions where organization_id = current_setting('test.org_b')::uuid $$, 'v1: org B subscription not readable');
select is_empty(
  $$ select * from public.get_org_stats(current_setting('test.org_b')::uuid) $$,
  'v1: get_org_stats of another org returns no row'
);
select is(
  (select total_policies from public.get_org_stats(current_setting('test.org_a')::uuid)),
  (select pg_catalog.count(*) from public.policies),
  'v1: get_org_stats of own org works'
);

-- global reference data is readable by any authenticated user
select ok((select pg_catalog.count(*) from public.plans) >= 3, 'plans readable by authenticated');
select ok((select pg_catalog.count(*) from public.policy_templates) >= 7, 'policy_templates readable by authenticated');

-- ---------------------------------------------------------------- v2 claims, org B
set local "request.jwt.claims" = '{"sub":"user_tb","v":2,"o":{"id":"org_tb","rol":"admin","slg":"org-b"}}';

select results_eq(
  $$ select clerk_org_id from public.organizations $$,
  $$ values ('org_tb'::text) $$,
  'v2: organizations shows only the caller''s organization'
);
select set_eq(
  $$ select clerk_user_id from public.users $$,
  array['user_tb', 'user_shared'],
  'v2: users shows only members of the caller''s organization'
);
select is(
  (select array_agg(distinct organization_id) from public.policies),
  array[current_setting('test.org_b')::uuid],
  'v2: policies only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.audit_logs),
  array[current_setting('test.org_b')::uuid],
  'v2: audit_logs only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.audit_logs_archive),
  array[current_setting('test.org_b')::uuid],
  'v2: audit_logs_archive only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.audit_usage),
  array[current_setting('test.org_b')::uuid],
  'v2: audit_usage only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.rate_limit_buckets),
  array[current_setting('test.org_b')::uuid],
  'v2: rate_limit_buckets only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.ingestion_logs),
  array[current_setting('test.org_b')::uuid],
  'v2: ingestion_logs only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.subscriptions),
  array[current_setting('test.org_b')::uuid],
  'v2: subscriptions only of own org'
);
select is(
  (select array_agg(distinct organization_id) from public.organization_memberships),
  array[current_setting('test.org_b')::uuid],
  'v2: organization_memberships only of own org'
);
select is_empty(
  $$ select * from public.get_org_stats(current_setting('test.org_a')::uuid) $$,
  'v2: get_org_stats of another org returns no row'
);

-- v1 org_id wins over a (conflicting) v2 o.id, as in the coalesce
set local "request.jwt.claims" = '{"sub":"user_ta","org_id":"org_ta","o":{"id":"org_tb"}}';
select results_eq(
  $$ select clerk_org_id from public.organizations $$,
  $$ values ('org_ta'::text) $$,
  'org_id claim takes precedence over o.id'
);

-- ---------------------------------------------------------------- no organization in the token
set local "request.jwt.claims" = '{"sub":"user_ta"}';
select is_empty($$ select 1 from public.organizations $$, 'no org claim: no organizations');
select is_empty($$ select 1 from public.users $$, 'no org claim: no users');
select is_empty($$ select 1 from public.policies $$, 'no org claim: no policies');
select is_empty($$ select 1 from public.audit_logs $$, 'no org claim: no audit logs');

-- no claims at all
set local "request.jwt.claims" = '';
select is_empty($$ select 1 from public.organizations $$, 'no claims: no organizations');
select is_empty($$ select 1 from public.subscriptions $$, 'no claims: no subscriptions');

reset role;
select * from finish();
rollback;
