-- The SQL helpers that say one thing once: the caller's organization behind every RLS
-- policy (private.caller_organization_id), the fixed rate-limit window behind
-- check_rate_limit and increment_rate_limit (private.count_request), and the token
-- estimate of policy chunks (private.estimate_tokens).
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(15);

-- ---------------------------------------------------------------- fixture (as owner)
select public.provision_actor('{"clerk_user_id": "user_h94", "clerk_org_id": "org_h94", "org_role": "org:admin", "role_is_authoritative": true}') is not null as ok;
do $$ begin
  perform pg_catalog.set_config('test.org', (select o.id::text from public.organizations o where o.clerk_org_id = 'org_h94'), true);
end $$;

-- ---------------------------------------------------------------- the caller's organization
select set_eq(
  $$ select p.tablename::text from pg_catalog.pg_policies p
      where p.schemaname = 'public' and p.qual like '%auth.jwt()%' $$,
  array['refresh_tokens'],
  'no RLS policy reads the organization out of the JWT itself (refresh_tokens reads the user: sub)'
);
select set_eq(
  $$ select p.tablename::text from pg_catalog.pg_policies p
      where p.schemaname = 'public' and p.qual like '%( SELECT private.caller_organization_id() AS caller_organization_id)%' $$,
  array['organizations', 'users', 'organization_memberships', 'subscriptions', 'policies', 'policy_chunks',
        'audit_usage', 'rate_limit_buckets', 'audit_logs', 'audit_logs_archive', 'ingestion_logs',
        'audit_reservations'],
  'every organization-scoped policy compares with private.caller_organization_id(), once per statement'
);

set local role authenticated;
set local "request.jwt.claims" = '{"sub": "user_h94", "org_id": "org_h94", "org_role": "org:admin"}';
select is(private.caller_organization_id(), current_setting('test.org')::uuid, 'v1 claims (org_id) name the organization');
set local "request.jwt.claims" = '{"sub": "user_h94", "o": {"id": "org_h94", "rol": "admin"}}';
select is(private.caller_organization_id(), current_setting('test.org')::uuid, 'v2 claims (o.id) name the organization');
set local "request.jwt.claims" = '{"sub": "user_h94", "org_id": "org_never_synced"}';
select is(private.caller_organization_id(), null, 'an organization never synced is none');
set local "request.jwt.claims" = '{"sub": "user_h94"}';
select is(private.caller_organization_id(), null, 'a session without an organization has none');
reset role;
set local role anon;
select throws_ok($$ select private.caller_organization_id() $$, '42501', null, 'anon cannot call it');
reset role;

-- ---------------------------------------------------------------- one rate-limit window
update public.plans set rate_limit_requests = 2 where id = 'free';
select is(public.increment_rate_limit(current_setting('test.org')::uuid), 1, 'increment_rate_limit opens the window');
select is((public.check_rate_limit(current_setting('test.org')::uuid) ->> 'remaining')::integer, 0,
  'check_rate_limit counts in the same window');
select throws_ok($$ select public.check_rate_limit(current_setting('test.org')::uuid) $$,
  'PT429', 'rate limit exceeded', 'and refuses past the plan''s limit');
select is(public.increment_rate_limit(current_setting('test.org')::uuid), 3,
  'while the seed guide''s increment_rate_limit always counts');
select results_eq(
  $$ select c.request_count, c.request_limit, c.window_seconds
       from private.count_request(current_setting('test.org')::uuid, true) c $$,
  $$ values (null::integer, 2, 60) $$,
  'count_request answers no count when it refuses, with the plan''s limit and window'
);

-- ---------------------------------------------------------------- one token estimate
select results_eq(
  $$ select private.estimate_tokens(v.t)
       from (values (1, ''), (2, 'one two three'), (3, 'abcdefghijklmnopq'), (4, 'a b c d e f'),
                    (5, E' spaced\tout\n\nwords ')) as v(n, t)
      order by v.n $$,
  $$ values (0), (4), (5), (8), (5) $$,
  'estimate_tokens: max(ceil(words * 4/3), ceil(characters / 4)), words split on any whitespace'
);
select is_empty(
  $$ select c.id from public.policy_chunks c join public.policies p on p.id = c.policy_id
      where p.organization_id = current_setting('test.org')::uuid and p.template_key is not null
        and c.token_count <> private.estimate_tokens(c.content) $$,
  'a default policy''s chunk costs what estimate_tokens says'
);
select is(
  (select pg_catalog.count(*)::integer from public.policy_chunks c join public.policies p on p.id = c.policy_id
    where p.organization_id = current_setting('test.org')::uuid and p.template_key is not null),
  (select pg_catalog.count(*)::integer from public.policy_templates),
  'one chunk per default policy'
);

select * from finish();
rollback;
