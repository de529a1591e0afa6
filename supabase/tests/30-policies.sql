-- Policies: chunk table and RLS, atomic ingest with dedup, failure logs, member reads,
-- admin-only changes, retrieval ranking, and who may execute what.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(45);

-- ---------------------------------------------------------------- structure
select has_table('public', 'policy_chunks', 'policy_chunks exists');
select col_is_pk('public', 'policy_chunks', 'id', 'policy_chunks.id is the primary key');
select is(
  (select c.relrowsecurity from pg_catalog.pg_class c where c.oid = 'public.policy_chunks'::regclass),
  true,
  'policy_chunks has row level security enabled'
);
select is(
  (select pg_catalog.pg_get_expr(d.adbin, d.adrelid)
     from pg_catalog.pg_attrdef d
     join pg_catalog.pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
    where d.adrelid = 'public.policy_chunks'::regclass and a.attname = 'tsv'),
  'to_tsvector(''english''::regconfig, content)',
  'tsv is generated from content with the english config'
);
select is(
  (select pg_catalog.count(*)::integer from pg_catalog.pg_indexes
    where schemaname = 'public' and tablename = 'policy_chunks' and indexdef like '%USING gin (tsv)%'),
  1,
  'tsv has a GIN index'
);
select has_column('public', 'policies', 'content_hash', 'policies.content_hash exists');
select function_returns(
  'public', 'retrieve_policy_chunks', array['uuid', 'text', 'integer'], 'setof record',
  'retrieve_policy_chunks(uuid, text, integer) returns a set'
);
select is(
  (select pg_catalog.pg_get_function_result('public.retrieve_policy_chunks(uuid, text, integer)'::regprocedure)),
  'TABLE(policy_id uuid, chunk_id uuid, title text, content text, rank real)',
  'retrieve_policy_chunks returns (policy_id, chunk_id, title, content, rank)'
);

-- ---------------------------------------------------------------- privileges
select is_empty(
  $$ select p.proname::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and p.proname in ('ingest_policy', 'log_ingestion_failure', 'update_policy', 'delete_policy',
                          'restore_default_policies', 'provision_actor', 'replace_policy_chunks',
                          'require_policy_admin', 'chunk_template_policy')
        and (pg_catalog.has_function_privilege('authenticated', p.oid, 'EXECUTE')
             or pg_catalog.has_function_privilege('anon', p.oid, 'EXECUTE')) $$,
  'anon and authenticated cannot execute any policy write function'
);
select set_eq(
  $$ select p.proname::text from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and p.proname in ('list_policies', 'get_policy', 'set_policy_tags')
        and pg_catalog.has_function_privilege('service_role', p.oid, 'EXECUTE')
        and not pg_catalog.has_function_privilege('authenticated', p.oid, 'EXECUTE')
        and not pg_catalog.has_function_privilege('anon', p.oid, 'EXECUTE') $$,
  array['list_policies', 'get_policy', 'set_policy_tags'],
  'member reads (with an actor) and tagging are service_role only'
);
select ok(
  not pg_catalog.has_table_privilege('authenticated', 'public.policy_chunks', 'INSERT, UPDATE, DELETE')
  and pg_catalog.has_table_privilege('authenticated', 'public.policy_chunks', 'SELECT')
  and not pg_catalog.has_table_privilege('anon', 'public.policy_chunks', 'SELECT'),
  'authenticated may only read policy_chunks; anon nothing'
);

-- ---------------------------------------------------------------- fixture (as owner)
create temporary table actors (name text primary key, actor jsonb) on commit drop;
insert into actors values
  ('a_admin', '{"clerk_user_id": "user_pa", "clerk_org_id": "org_pa", "org_role": "org:admin", "role_is_authoritative": true}'),
  ('a_member', '{"clerk_user_id": "user_pa_m", "clerk_org_id": "org_pa", "org_role": "org:member"}'),
  ('b_admin', '{"clerk_user_id": "user_pb", "clerk_org_id": "org_pb", "org_role": "admin", "role_is_authoritative": true}');
grant select on actors to authenticated, service_role;
-- the member's first call provisions their membership (member reads need one)
select public.provision_actor((select actor from actors where name = 'a_member')) is not null as ok;

create temporary table ingested (name text primary key, r jsonb) on commit drop;
grant select on ingested to authenticated;

-- The lookup policy's two-chunk version: ingested here, and again to restore it later.
create temporary table lookup_policy on commit drop as
select 'Lookup rules'::text as title,
       'Every VLOOKUP must pass FALSE as its last argument. VLOOKUP with approximate match returns wrong rows.'::text as content,
       pg_catalog.repeat('1', 64) as content_hash,
       '[{"content": "Every VLOOKUP must pass FALSE as its last argument.", "token_count": 12},
         {"content": "VLOOKUP with approximate match returns wrong rows.", "token_count": 10}]'::jsonb as chunks;

insert into ingested
select 'lookup', public.ingest_policy(
  (select actor from actors where name = 'a_admin'),
  p.title, p.content, p.content_hash, p.chunks,
  120, 7, 'lookups', 'Finance', 'upload', 'lookups.pdf'
) from lookup_policy p;
insert into ingested
select 'b_policy', public.ingest_policy(
  (select actor from actors where name = 'b_admin'),
  'B lookups', 'VLOOKUP is banned here.', pg_catalog.repeat('2', 64),
  '[{"content": "VLOOKUP is banned here.", "token_count": 6}]', 23, 1
);

do $$ begin
  perform pg_catalog.set_config('test.org_a', (select id::text from public.organizations where clerk_org_id = 'org_pa'), true);
  perform pg_catalog.set_config('test.org_b', (select id::text from public.organizations where clerk_org_id = 'org_pb'), true);
  perform pg_catalog.set_config('test.lookup', (select r -> 'policy' ->> 'id' from ingested where name = 'lookup'), true);
  perform pg_catalog.set_config('test.b_policy', (select r -> 'policy' ->> 'id' from ingested where name = 'b_policy'), true);
end $$;

-- ---------------------------------------------------------------- ingest
select is((select r ->> 'created' from ingested where name = 'lookup'), 'true', 'first ingest creates');
select is((select (r ->> 'chunks')::integer from ingested where name = 'lookup'), 2, 'ingest reports its chunk count');
select results_eq(
  $$ select ordinal, token_count from public.policy_chunks
      where policy_id = current_setting('test.lookup')::uuid order by ordinal $$,
  $$ values (0, 12), (1, 10) $$,
  'chunks are stored in order with their token counts'
);
select results_eq(
  $$ select document_size, chunk_count, duration_ms, success, error
       from public.ingestion_logs where policy_id = current_setting('test.lookup')::uuid $$,
  $$ values (120::bigint, 2, 7, true, null::text) $$,
  'ingest writes the ingestion_logs row'
);
select is(
  (select pg_catalog.count(*)::integer from public.policies where organization_id = current_setting('test.org_a')::uuid),
  8,
  'the first ingest of a new org provisions it with the 7 defaults'
);
select is(
  (select pg_catalog.count(*)::integer from public.policy_chunks
    where organization_id = current_setting('test.org_a')::uuid
      and policy_id <> current_setting('test.lookup')::uuid),
  7,
  'each default policy got one chunk'
);

-- dedup: same hash, same org -> update
select is(
  public.ingest_policy(
    (select actor from actors where name = 'a_admin'),
    'Lookup rules v2', 'Every VLOOKUP needs FALSE.', pg_catalog.repeat('1', 64),
    '[{"content": "Every VLOOKUP needs FALSE.", "token_count": 5}]', 30, 2
  ) - 'ingestion_log_id' - 'policy',
  '{"created": false, "outcome": "updated", "chunks": 1}'::jsonb,
  'ingesting the same hash again updates'
);
select results_eq(
  $$ select title, category, department, file_name from public.policies
      where id = current_setting('test.lookup')::uuid $$,
  $$ values ('Lookup rules v2'::text, 'lookups'::text, 'Finance'::text, 'lookups.pdf'::text) $$,
  'the update keeps labels it was not given'
);
select is(
  (select pg_catalog.array_agg(content order by ordinal) from public.policy_chunks
    where policy_id = current_setting('test.lookup')::uuid),
  array['Every VLOOKUP needs FALSE.'],
  'the update replaces the chunks'
);
select is(
  (select pg_catalog.count(*)::integer from public.ingestion_logs where organization_id = current_setting('test.org_a')::uuid),
  2,
  'each ingest is logged'
);
-- restore the two-chunk version for the retrieval tests
select lives_ok(
  $$ select public.ingest_policy(
       (select actor from actors where name = 'a_admin'),
       p.title, p.content, p.content_hash, p.chunks, 120, 7)
       from lookup_policy p $$,
  'ingest again'
);

-- atomic: a bad chunk leaves nothing behind, not even the provisioned org
select throws_ok(
  $$ select public.ingest_policy(
       '{"clerk_user_id": "user_atomic", "clerk_org_id": "org_atomic", "org_role": "org:admin"}',
       'T', 'text', pg_catalog.repeat('3', 64),
       '[{"content": "ok", "token_count": 1}, {"content": "", "token_count": 1}]', 4, 1) $$,
  '22023', 'invalid chunk',
  'a malformed chunk fails the ingest'
);
select is_empty(
  $$ select 1 from public.organizations where clerk_org_id = 'org_atomic'
     union all select 1 from public.policies where content_hash = pg_catalog.repeat('3', 64) $$,
  'a failed ingest writes no organization, policy or chunk'
);
select throws_ok(
  $$ select public.ingest_policy((select actor from actors where name = 'a_admin'),
       'T', 'text', 'not-a-hash', '[{"content": "t", "token_count": 1}]', 4, 1) $$,
  '22023', 'invalid content_hash',
  'a malformed hash is refused'
);

-- failure log
insert into ingested
select 'failure', public.log_ingestion_failure(
  '{"clerk_user_id": "user_fail", "clerk_org_id": "org_fail"}', 'No text found.', 2048, 3
);
select is(
  (select l.success from public.ingestion_logs l
    where l.id = (select (r ->> 'ingestion_log_id')::uuid from ingested where name = 'failure')),
  false,
  'log_ingestion_failure writes success = false'
);
select results_eq(
  $$ select l.document_size, l.chunk_count, l.error, l.policy_id
       from public.ingestion_logs l join public.organizations o on o.id = l.organization_id
      where o.clerk_org_id = 'org_fail' $$,
  $$ values (2048::bigint, 0, 'No text found.'::text, null::uuid) $$,
  'the failure row has the size, no chunks and the message (org provisioned first)'
);

-- ---------------------------------------------------------------- admin changes
select throws_ok(
  $$ select public.update_policy((select actor from actors where name = 'a_member'),
       current_setting('test.lookup')::uuid, '{"title": "x"}') $$,
  'PT403', 'only organization admins may change policies',
  'a member cannot update'
);
select throws_ok(
  $$ select public.update_policy((select actor from actors where name = 'a_admin'),
       current_setting('test.b_policy')::uuid, '{"title": "x"}') $$,
  'PT404', 'policy not found',
  'an admin cannot update another org''s policy'
);
select throws_ok(
  $$ select public.delete_policy((select actor from actors where name = 'a_admin'),
       current_setting('test.b_policy')::uuid) $$,
  'PT404', 'policy not found',
  'an admin cannot delete another org''s policy'
);
select throws_ok(
  $$ select public.update_policy((select actor from actors where name = 'b_admin'),
       current_setting('test.b_policy')::uuid, '{"content": "new"}') $$,
  '22023', 'new content needs non-blank text, its content_hash and its chunks',
  'new content needs its hash and chunks'
);

-- ---------------------------------------------------------------- retrieval (as owner)
select is(
  (select title from public.retrieve_policy_chunks(current_setting('test.org_a')::uuid, 'VLOOKUP INDIRECT') limit 1),
  'Lookup rules',
  'VLOOKUP INDIRECT ranks the VLOOKUP policy first'
);
select is(
  (select title from public.retrieve_policy_chunks(
     current_setting('test.org_a')::uuid, '=VLOOKUP(B2, Sheet1!A:B, 2, TRUE)*1.1') limit 1),
  'Lookup rules',
  'a formula using VLOOKUP ranks the VLOOKUP policy first'
);
select is(
  (select title from public.retrieve_policy_chunks(current_setting('test.org_a')::uuid, '=NOW()-A1') limit 1),
  'Avoid volatile functions',
  'NOW is matched as a function name although english drops it as a stop word'
);
select is(
  (select pg_catalog.count(*)::integer from public.retrieve_policy_chunks(current_setting('test.org_a')::uuid, 'VLOOKUP', 1)),
  1,
  'k limits the number of chunks'
);
select is_empty(
  $$ select 1 from public.retrieve_policy_chunks(current_setting('test.org_a')::uuid, '') $$,
  'an empty query retrieves nothing'
);
select is_empty(
  $$ select 1 from public.retrieve_policy_chunks(current_setting('test.org_a')::uuid, 'VLOOKUP banned')
      where policy_id = current_setting('test.b_policy')::uuid $$,
  'retrieval never returns another org''s chunks'
);

-- ---------------------------------------------------------------- as authenticated, org A
set local role authenticated;
set local "request.jwt.claims" = '{"sub": "user_pa_m", "org_id": "org_pa", "org_role": "org:member"}';

select is(
  (select pg_catalog.array_agg(distinct organization_id) from public.policy_chunks),
  array[current_setting('test.org_a')::uuid],
  'RLS: a member sees only their org''s chunks'
);
select is_empty(
  $$ select 1 from public.retrieve_policy_chunks(current_setting('test.org_b')::uuid, 'VLOOKUP') $$,
  'RLS: retrieval for another org''s id returns nothing to a member'
);
select throws_ok(
  $$ select public.ingest_policy((select actor from actors where name = 'a_admin'),
       'T', 'x', pg_catalog.repeat('4', 64), '[{"content": "x", "token_count": 1}]', 1, 1) $$,
  '42501', null,
  'authenticated cannot execute ingest_policy'
);

reset role;

-- ---------------------------------------------------------------- member reads (service_role, actor)
set local role service_role;
select is(
  (select (r ->> 'total')::integer
     from (select public.list_policies((select actor from actors where name = 'a_member')) as r) x),
  8,
  'list_policies counts the actor''s organization''s policies'
);
select is(
  (select pg_catalog.jsonb_path_query_array(
     public.list_policies((select actor from actors where name = 'a_member'), q => 'approximate'),
     '$.policies[*].title')),
  '["Lookup rules"]'::jsonb,
  'list_policies full-text filter'
);
select throws_ok(
  $$ select public.get_policy((select actor from actors where name = 'a_member'), current_setting('test.b_policy')::uuid) $$,
  'PT404', 'policy not found',
  'get_policy of another org''s id is not found'
);
select is(
  (select public.list_policies((select actor from actors where name = 'a_member')) ->> 'organization_found'),
  'true',
  'list_policies reports the org as provisioned'
);
select is(
  public.list_policies('{"clerk_user_id": "user_new", "clerk_org_id": "org_not_yet", "org_role": "org:member"}'),
  '{"policies": [], "total": 0, "organization_found": false}'::jsonb,
  'an unprovisioned org gets an empty list and organization_found = false'
);
reset role;

select * from finish();
rollback;
