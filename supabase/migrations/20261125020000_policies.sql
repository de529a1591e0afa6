-- =============================================================================
-- Policies: document ingestion, chunks with full-text search, retrieval, CRUD.
--
-- * policy_chunks holds each policy split into ~800-token pieces (the service
--   chunks in Python: service/sheetbrain/policies/chunking.py) with two
--   generated tsvectors: 'english' (stemmed prose) and 'simple' (function
--   names such as VLOOKUP, IF, NOW that the english config stems or drops as
--   stop words).
-- * Embeddings: not required. Where the `vector` extension exists, a later
--   migration can `alter table public.policy_chunks add column embedding
--   extensions.vector(N)`: a nullable column without default is a catalogue
--   change only, existing rows are not rewritten.
-- * Writes go through service_role functions that take the verified caller
--   (`actor`) and provision it first, so the first request of an unknown
--   user/organization never hits a foreign-key error. Member reads are
--   SECURITY INVOKER functions granted to authenticated: RLS keeps tenants apart.
-- * Ingest is one transaction: policy + chunks + ingestion_logs row commit
--   together (ingest_policy); failures are logged by log_ingestion_failure.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- Tables
-- -----------------------------------------------------------------------------

alter table public.policies
  add column content_hash text
    constraint policies_content_hash_format check (content_hash ~ '^[0-9a-f]{64}$'),
  add column file_name text,
  add column created_by uuid references public.users (id) on delete set null,
  add column updated_by uuid references public.users (id) on delete set null,
  -- lets policy_chunks reference (id, organization_id), so a chunk's org always matches its policy's
  add constraint policies_id_organization_key unique (id, organization_id);

comment on column public.policies.content_hash is
  'sha256 (hex) of the normalised text, computed by the service; re-ingesting the same text updates the policy.';

/** One policy per organization and content: the dedup key of ingest_policy(). */
create unique index policies_organization_content_hash_key
  on public.policies (organization_id, content_hash)
  where content_hash is not null;

create index policies_created_by_idx on public.policies (created_by);
create index policies_updated_by_idx on public.policies (updated_by);

/** A policy's text in retrieval-sized pieces, in order (ordinal 0, 1, ...). */
create table public.policy_chunks (
  id uuid primary key default gen_random_uuid(),
  policy_id uuid not null,
  organization_id uuid not null references public.organizations (id) on delete cascade,
  ordinal integer not null check (ordinal >= 0),
  content text not null check (content <> ''),
  token_count integer not null check (token_count > 0),
  tsv tsvector generated always as (to_tsvector('english'::regconfig, content)) stored,
  tsv_simple tsvector generated always as (to_tsvector('simple'::regconfig, content)) stored,
  created_at timestamptz not null default now(),
  constraint policy_chunks_policy_fkey foreign key (policy_id, organization_id)
    references public.policies (id, organization_id) on delete cascade,
  -- = unique (policy_id, ordinal), as a policy has one organization; the column
  -- order also makes it the index covering the foreign key above
  constraint policy_chunks_policy_ordinal_key unique (policy_id, organization_id, ordinal)
);
alter table public.policy_chunks enable row level security;

comment on column public.policy_chunks.token_count is
  'Estimated tokens: max(words * 4/3, characters / 4), rounded up (see policies/chunking.py).';

create index policy_chunks_organization_id_idx on public.policy_chunks (organization_id);
create index policy_chunks_tsv_idx on public.policy_chunks using gin (tsv);
create index policy_chunks_tsv_simple_idx on public.policy_chunks using gin (tsv_simple);

revoke all on table public.policy_chunks from public, anon, authenticated;
grant select on table public.policy_chunks to authenticated;
grant all on table public.policy_chunks to service_role;

create policy "Members can view their organization's policy chunks"
  on public.policy_chunks
  for select
  to authenticated
  using (
    organization_id in (
      select o.id from public.organizations o
      where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );

-- -----------------------------------------------------------------------------
-- Default policies are searchable too
-- -----------------------------------------------------------------------------

/**
 * A policy copied from a template (by provision_identity or
 * restore_default_policies) gets one chunk holding its whole text: templates
 * are a few sentences, well under one chunk. token_count uses the service's
 * estimate: max(words * 4/3, characters / 4), rounded up.
 */
create function public.chunk_template_policy()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
begin
  insert into public.policy_chunks (policy_id, organization_id, ordinal, content, token_count)
  values (
    new.id,
    new.organization_id,
    0,
    new.content,
    greatest(
      1,
      pg_catalog.ceil(pg_catalog.array_length(pg_catalog.regexp_split_to_array(pg_catalog.btrim(new.content), '\s+'), 1) * 4 / 3.0),
      pg_catalog.ceil(pg_catalog.length(new.content) / 4.0)
    )::integer
  );
  return new;
end;
$$;

revoke all on function public.chunk_template_policy() from public, anon, authenticated, service_role;

create trigger policies_chunk_template_policy
  after insert on public.policies
  for each row
  when (new.template_key is not null and new.content <> '')
  execute function public.chunk_template_policy();

/** Policies that existed before this migration: one chunk each (their whole text). */
insert into public.policy_chunks (policy_id, organization_id, ordinal, content, token_count)
select
  p.id,
  p.organization_id,
  0,
  p.content,
  greatest(
    1,
    pg_catalog.ceil(pg_catalog.array_length(pg_catalog.regexp_split_to_array(pg_catalog.btrim(p.content), '\s+'), 1) * 4 / 3.0),
    pg_catalog.ceil(pg_catalog.length(p.content) / 4.0)
  )::integer
from public.policies p
where p.content <> ''
  and not exists (select 1 from public.policy_chunks c where c.policy_id = p.id);

-- -----------------------------------------------------------------------------
-- Helpers (service_role only)
-- -----------------------------------------------------------------------------

/**
 * provision_identity() for a verified caller given as one jsonb object:
 *   {"clerk_user_id", "clerk_org_id", "org_role", "email", "name", "org_name", "personal"}
 * Returns provision_identity's answer ({organization_id, user_id, plan, role}).
 */
create function public.provision_actor(actor jsonb)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select public.provision_identity(
    clerk_user_id => provision_actor.actor ->> 'clerk_user_id',
    clerk_org_id => provision_actor.actor ->> 'clerk_org_id',
    org_role => coalesce(provision_actor.actor ->> 'org_role', 'org:member'),
    email => provision_actor.actor ->> 'email',
    name => provision_actor.actor ->> 'name',
    org_name => provision_actor.actor ->> 'org_name',
    personal => coalesce((provision_actor.actor ->> 'personal')::boolean, false)
  );
$$;

revoke all on function public.provision_actor(jsonb) from public, anon, authenticated;
grant execute on function public.provision_actor(jsonb) to service_role;

/**
 * Replaces a policy's chunks with `chunks` (a jsonb array of
 * {"content": text, "token_count": int}, in order); returns how many were
 * written. 22023 when the array is empty or an element is malformed.
 */
create function public.replace_policy_chunks(policy_id uuid, organization_id uuid, chunks jsonb)
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  written integer;
begin
  if replace_policy_chunks.chunks is null
     or pg_catalog.jsonb_typeof(replace_policy_chunks.chunks) <> 'array'
     or pg_catalog.jsonb_array_length(replace_policy_chunks.chunks) = 0 then
    raise exception using
      errcode = '22023',
      message = 'chunks must be a non-empty array',
      hint = 'Pass [{"content": "...", "token_count": 123}, ...].';
  end if;
  if exists (
    select 1 from pg_catalog.jsonb_array_elements(replace_policy_chunks.chunks) e(chunk)
    where pg_catalog.jsonb_typeof(e.chunk -> 'content') is distinct from 'string'
       or e.chunk ->> 'content' = ''
       or pg_catalog.jsonb_typeof(e.chunk -> 'token_count') is distinct from 'number'
       or (e.chunk ->> 'token_count')::numeric < 1
  ) then
    raise exception using
      errcode = '22023',
      message = 'invalid chunk',
      hint = 'Every chunk needs non-empty "content" and a positive "token_count".';
  end if;

  delete from public.policy_chunks c where c.policy_id = replace_policy_chunks.policy_id;

  insert into public.policy_chunks (policy_id, organization_id, ordinal, content, token_count)
  select
    replace_policy_chunks.policy_id,
    replace_policy_chunks.organization_id,
    (e.ordinality - 1)::integer,
    e.chunk ->> 'content',
    (e.chunk ->> 'token_count')::integer
  from pg_catalog.jsonb_array_elements(replace_policy_chunks.chunks) with ordinality as e(chunk, ordinality);
  get diagnostics written = row_count;
  return written;
end;
$$;

revoke all on function public.replace_policy_chunks(uuid, uuid, jsonb) from public, anon, authenticated;
grant execute on function public.replace_policy_chunks(uuid, uuid, jsonb) to service_role;

-- -----------------------------------------------------------------------------
-- Ingestion (service_role only)
-- -----------------------------------------------------------------------------

/**
 * Stores an ingested document in one transaction and returns
 *   {"created": bool, "policy": {...policies row...}, "chunks": n, "ingestion_log_id": uuid}.
 *
 * Provisions the caller (actor, see provision_actor). A policy of the same
 * organization with the same content_hash is updated (title, file name,
 * source; category/department when given) instead of duplicated. Its chunks
 * are replaced and an ingestion_logs row (success = true) is written.
 * 22023 on a blank title/content, a malformed hash or chunks.
 */
create function public.ingest_policy(
  actor jsonb,
  title text,
  content text,
  content_hash text,
  chunks jsonb,
  document_size bigint,
  duration_ms integer,
  category text default null,
  department text default null,
  source text default 'manual',
  file_name text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_identity jsonb;
  v_org_id uuid;
  v_user_id uuid;
  v_policy_id uuid;
  v_policy public.policies;
  v_created boolean;
  v_chunk_count integer;
  v_log_id uuid;
begin
  if nullif(pg_catalog.btrim(ingest_policy.title), '') is null then
    raise exception using errcode = '22023', message = 'title is required';
  end if;
  if nullif(pg_catalog.btrim(ingest_policy.content), '') is null then
    raise exception using errcode = '22023', message = 'content is required';
  end if;
  if ingest_policy.content_hash is null or ingest_policy.content_hash !~ '^[0-9a-f]{64}$' then
    raise exception using
      errcode = '22023',
      message = 'invalid content_hash',
      hint = 'Pass the lowercase hex sha256 of the normalised text.';
  end if;
  if ingest_policy.document_size is null or ingest_policy.document_size < 0 then
    raise exception using errcode = '22023', message = 'document_size must be >= 0';
  end if;

  v_identity := public.provision_actor(ingest_policy.actor);
  v_org_id := (v_identity ->> 'organization_id')::uuid;
  v_user_id := (v_identity ->> 'user_id')::uuid;

  insert into public.policies as p (
    organization_id, title, content, category, department, source,
    content_hash, file_name, created_by, updated_by
  )
  values (
    v_org_id, pg_catalog.btrim(ingest_policy.title), ingest_policy.content,
    ingest_policy.category, ingest_policy.department, coalesce(ingest_policy.source, 'manual'),
    ingest_policy.content_hash, ingest_policy.file_name, v_user_id, v_user_id
  )
  on conflict (organization_id, content_hash) where content_hash is not null do update
    set title = excluded.title,
        content = excluded.content,
        category = coalesce(excluded.category, p.category),
        department = coalesce(excluded.department, p.department),
        source = excluded.source,
        file_name = coalesce(excluded.file_name, p.file_name),
        updated_by = excluded.updated_by,
        updated_at = pg_catalog.now()
  -- xmax is 0 on a freshly inserted row version, set on one the conflict updated
  returning p.id, (p.xmax = 0) into v_policy_id, v_created;

  select p.* into v_policy from public.policies p where p.id = v_policy_id;

  v_chunk_count := public.replace_policy_chunks(v_policy.id, v_org_id, ingest_policy.chunks);

  insert into public.ingestion_logs (
    organization_id, user_id, policy_id, document_size, chunk_count, duration_ms, success
  )
  values (
    v_org_id, v_user_id, v_policy.id, ingest_policy.document_size, v_chunk_count,
    greatest(coalesce(ingest_policy.duration_ms, 0), 0), true
  )
  returning id into v_log_id;

  return pg_catalog.jsonb_build_object(
    'created', v_created,
    'policy', pg_catalog.to_jsonb(v_policy),
    'chunks', v_chunk_count,
    'ingestion_log_id', v_log_id
  );
end;
$$;

revoke all on function public.ingest_policy(jsonb, text, text, text, jsonb, bigint, integer, text, text, text, text)
  from public, anon, authenticated;
grant execute on function public.ingest_policy(jsonb, text, text, text, jsonb, bigint, integer, text, text, text, text)
  to service_role;

/**
 * Records a failed ingestion (success = false) with a safe, caller-facing
 * error message (at most 500 characters); provisions the caller first.
 * Returns {"ingestion_log_id": uuid}.
 */
create function public.log_ingestion_failure(
  actor jsonb,
  error text,
  document_size bigint default null,
  duration_ms integer default 0
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_identity jsonb;
  v_log_id uuid;
begin
  if nullif(pg_catalog.btrim(log_ingestion_failure.error), '') is null then
    raise exception using errcode = '22023', message = 'error is required';
  end if;

  v_identity := public.provision_actor(log_ingestion_failure.actor);

  insert into public.ingestion_logs (
    organization_id, user_id, document_size, chunk_count, duration_ms, success, error
  )
  values (
    (v_identity ->> 'organization_id')::uuid,
    (v_identity ->> 'user_id')::uuid,
    greatest(log_ingestion_failure.document_size, 0),
    0,
    greatest(coalesce(log_ingestion_failure.duration_ms, 0), 0),
    false,
    pg_catalog.left(log_ingestion_failure.error, 500)
  )
  returning id into v_log_id;

  return pg_catalog.jsonb_build_object('ingestion_log_id', v_log_id);
end;
$$;

revoke all on function public.log_ingestion_failure(jsonb, text, bigint, integer) from public, anon, authenticated;
grant execute on function public.log_ingestion_failure(jsonb, text, bigint, integer) to service_role;

-- -----------------------------------------------------------------------------
-- Member reads (SECURITY INVOKER, authenticated: RLS scopes them to the caller's org)
-- -----------------------------------------------------------------------------

/**
 * The caller's policies, newest first, filtered by category/department (exact,
 * case-insensitive) and q (title contains q, or the text matches q as an
 * English full-text query). Returns
 *   {"policies": [...rows...], "total": n, "organization_found": bool}
 * where total counts every match (not just this page) and organization_found
 * tells the service whether the caller's organization is provisioned yet.
 * Scoped to the organization in the JWT claims even for roles that bypass RLS.
 */
create function public.list_policies(
  category text default null,
  department text default null,
  q text default null,
  page_limit integer default 50,
  page_offset integer default 0
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
-- a q of stop words only is a match-nothing query, not worth a NOTICE
set client_min_messages = warning
as $$
#variable_conflict use_column
declare
  v_claim_org text := coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id');
  v_org_id uuid;
  v_q text := nullif(pg_catalog.btrim(list_policies.q), '');
  v_pattern text;
  v_query tsquery;
  v_total bigint;
  v_policies jsonb;
begin
  if list_policies.page_limit is null or list_policies.page_limit not between 1 and 200 then
    raise exception using errcode = '22023', message = 'page_limit must be between 1 and 200';
  end if;
  if list_policies.page_offset is null or list_policies.page_offset < 0 then
    raise exception using errcode = '22023', message = 'page_offset must be >= 0';
  end if;

  select o.id into v_org_id from public.organizations o where o.clerk_org_id = v_claim_org;
  if v_org_id is null then
    return pg_catalog.jsonb_build_object(
      'policies', '[]'::jsonb, 'total', 0, 'organization_found', false
    );
  end if;

  if v_q is not null then
    v_pattern := '%' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
      v_q, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    v_query := pg_catalog.websearch_to_tsquery('english'::regconfig, v_q);
  end if;

  with matching as (
    select p.*
    from public.policies p
    where p.organization_id = v_org_id
      and (list_policies.category is null or pg_catalog.lower(p.category) = pg_catalog.lower(list_policies.category))
      and (list_policies.department is null or pg_catalog.lower(p.department) = pg_catalog.lower(list_policies.department))
      and (
        v_q is null
        or p.title ilike v_pattern
        or exists (
          select 1 from public.policy_chunks c
          where c.policy_id = p.id and c.tsv @@ v_query
        )
      )
  ), page as (
    select m.*
    from matching m
    order by m.created_at desc, m.id desc
    limit list_policies.page_limit
    offset list_policies.page_offset
  )
  select
    (select pg_catalog.count(*) from matching),
    coalesce(
      (select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(pg) order by pg.created_at desc, pg.id desc) from page pg),
      '[]'::jsonb
    )
  into v_total, v_policies;

  return pg_catalog.jsonb_build_object(
    'policies', v_policies, 'total', v_total, 'organization_found', true
  );
end;
$$;

revoke all on function public.list_policies(text, text, text, integer, integer) from public, anon, authenticated;
grant execute on function public.list_policies(text, text, text, integer, integer) to authenticated, service_role;

/**
 * One policy of the caller's organization, with its chunk count:
 *   {...policies row..., "chunk_count": n}. PT404 when it is not the caller's
 * (another organization's id is indistinguishable from a missing one).
 */
create function public.get_policy(policy_id uuid)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_claim_org text := coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id');
  v_policy jsonb;
begin
  select pg_catalog.to_jsonb(p) || pg_catalog.jsonb_build_object(
           'chunk_count',
           (select pg_catalog.count(*) from public.policy_chunks c where c.policy_id = p.id)
         )
    into v_policy
  from public.policies p
  join public.organizations o on o.id = p.organization_id
  where p.id = get_policy.policy_id
    and o.clerk_org_id = v_claim_org;

  if v_policy is null then
    raise exception using errcode = 'PT404', message = 'policy not found';
  end if;
  return v_policy;
end;
$$;

revoke all on function public.get_policy(uuid) from public, anon, authenticated;
grant execute on function public.get_policy(uuid) to authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Admin changes (service_role only; the caller must be org:admin)
-- -----------------------------------------------------------------------------

/**
 * Provisions the caller and returns it when it is an admin of its
 * organization; PT403 otherwise.
 */
create function public.require_policy_admin(actor jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_identity jsonb := public.provision_actor(require_policy_admin.actor);
begin
  if v_identity ->> 'role' is distinct from 'org:admin' then
    raise exception using
      errcode = 'PT403',
      message = 'only organization admins may change policies',
      hint = 'Ask an admin of the organization (role org:admin).';
  end if;
  return v_identity;
end;
$$;

revoke all on function public.require_policy_admin(jsonb) from public, anon, authenticated;
grant execute on function public.require_policy_admin(jsonb) to service_role;

/**
 * Changes a policy of the admin's organization and returns the updated row.
 * `changes` holds the fields to set: title (non-blank), category, department
 * (null clears), content (then content_hash and chunks are required: the
 * chunks are replaced). PT403 for a non-admin, PT404 for a policy outside the
 * caller's organization, 23505 (409) when the new content duplicates another
 * policy, 22023 on bad input.
 */
create function public.update_policy(
  actor jsonb,
  policy_id uuid,
  changes jsonb,
  content_hash text default null,
  chunks jsonb default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_identity jsonb := public.require_policy_admin(update_policy.actor);
  v_org_id uuid := (v_identity ->> 'organization_id')::uuid;
  v_policy public.policies;
  v_changes jsonb := coalesce(update_policy.changes, '{}'::jsonb);
begin
  if pg_catalog.jsonb_typeof(v_changes) <> 'object'
     or exists (
       select 1 from pg_catalog.jsonb_object_keys(v_changes) k
       where k not in ('title', 'content', 'category', 'department')
     ) then
    raise exception using
      errcode = '22023',
      message = 'changes may only hold title, content, category, department';
  end if;
  if v_changes ? 'title' and nullif(pg_catalog.btrim(v_changes ->> 'title'), '') is null then
    raise exception using errcode = '22023', message = 'title must not be blank';
  end if;
  if v_changes ? 'content' and (
       nullif(pg_catalog.btrim(v_changes ->> 'content'), '') is null
       or update_policy.content_hash is null
       or update_policy.content_hash !~ '^[0-9a-f]{64}$'
       or update_policy.chunks is null
     ) then
    raise exception using
      errcode = '22023',
      message = 'new content needs non-blank text, its content_hash and its chunks';
  end if;

  update public.policies p
     set title = case when v_changes ? 'title' then pg_catalog.btrim(v_changes ->> 'title') else p.title end,
         category = case when v_changes ? 'category' then v_changes ->> 'category' else p.category end,
         department = case when v_changes ? 'department' then v_changes ->> 'department' else p.department end,
         content = case when v_changes ? 'content' then v_changes ->> 'content' else p.content end,
         content_hash = case when v_changes ? 'content' then update_policy.content_hash else p.content_hash end,
         updated_by = (v_identity ->> 'user_id')::uuid
   where p.id = update_policy.policy_id
     and p.organization_id = v_org_id
  returning p.* into v_policy;

  if v_policy.id is null then
    raise exception using errcode = 'PT404', message = 'policy not found';
  end if;
  if v_changes ? 'content' then
    perform public.replace_policy_chunks(v_policy.id, v_org_id, update_policy.chunks);
  end if;
  return pg_catalog.to_jsonb(v_policy);
end;
$$;

revoke all on function public.update_policy(jsonb, uuid, jsonb, text, jsonb) from public, anon, authenticated;
grant execute on function public.update_policy(jsonb, uuid, jsonb, text, jsonb) to service_role;

/**
 * Deletes a policy of the admin's organization (its chunks go with it;
 * ingestion_logs keep their row with policy_id set to null). Returns
 * {"id": uuid}. PT403 for a non-admin, PT404 outside the caller's organization.
 */
create function public.delete_policy(actor jsonb, policy_id uuid)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_identity jsonb := public.require_policy_admin(delete_policy.actor);
  v_deleted uuid;
begin
  delete from public.policies p
   where p.id = delete_policy.policy_id
     and p.organization_id = (v_identity ->> 'organization_id')::uuid
  returning p.id into v_deleted;

  if v_deleted is null then
    raise exception using errcode = 'PT404', message = 'policy not found';
  end if;
  return pg_catalog.jsonb_build_object('id', v_deleted);
end;
$$;

revoke all on function public.delete_policy(jsonb, uuid) from public, anon, authenticated;
grant execute on function public.delete_policy(jsonb, uuid) to service_role;

/**
 * Copies back every policy_templates row the admin's organization no longer
 * has (by template_key), as default policies; returns
 * {"restored": n, "policies": [...new rows...]}. PT403 for a non-admin.
 */
create function public.restore_default_policies(actor jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_identity jsonb := public.require_policy_admin(restore_default_policies.actor);
  v_restored jsonb;
begin
  with inserted as (
    insert into public.policies (organization_id, title, content, category, source, is_default, template_key)
    select (v_identity ->> 'organization_id')::uuid, t.title, t.content, t.category, 'default', true, t.key
    from public.policy_templates t
    order by t.key
    on conflict (organization_id, template_key) do nothing
    returning *
  )
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(i) order by i.template_key), '[]'::jsonb)
    into v_restored
  from inserted i;

  return pg_catalog.jsonb_build_object(
    'restored', pg_catalog.jsonb_array_length(v_restored),
    'policies', v_restored
  );
end;
$$;

revoke all on function public.restore_default_policies(jsonb) from public, anon, authenticated;
grant execute on function public.restore_default_policies(jsonb) to service_role;

-- -----------------------------------------------------------------------------
-- Retrieval (called by begin_audit; invoker-safe for members too)
-- -----------------------------------------------------------------------------

/**
 * The k (1..50, default 5) chunks of an organization's policies that best
 * match `query` (free text, formulas, or function names).
 *
 * Every word of the query (2+ characters, not a cell reference like B2 or
 * AA10; at most 64 distinct) is OR'ed into an 'english' websearch query over
 * policy_chunks.tsv. Function names (a word followed by "(" or written in
 * capitals, e.g. VLOOKUP, IF, NOW) are also OR'ed into a 'simple' query over
 * tsv_simple: the english config would stem them or drop IF/NOT/NOW as stop
 * words. rank = ts_rank_cd(english) + 2 * ts_rank_cd(simple), both divided by
 * 1 + log(chunk length) so a chunk focused on the query beats a long one that
 * mentions it in passing, plus ts_rank_cd of the function names in the
 * policy's title. So a policy about the formula's functions ranks first.
 * Ties: older policy first, then chunk order.
 * SECURITY INVOKER: as authenticated, RLS limits it to the caller's own org.
 */
create function public.retrieve_policy_chunks(org_id uuid, query text, k integer default 5)
returns table (policy_id uuid, chunk_id uuid, title text, content text, rank real)
language sql
stable
security invoker
set search_path = ''
-- a query of stop words only (IF, NOW) is expected, not worth a NOTICE
set client_min_messages = warning
as $$
  with source as (
    select pg_catalog.left(coalesce(retrieve_policy_chunks.query, ''), 20000) as text
  ), words as (
    select distinct pg_catalog.lower(m.match[1]) as word
    from source s, pg_catalog.regexp_matches(s.text, '([A-Za-z_][A-Za-z0-9_.]*)', 'g') as m(match)
  ), terms as (
    select w.word
    from words w
    where pg_catalog.length(w.word) >= 2
      and w.word !~ '^[a-z]{1,3}[0-9]+$'
    order by w.word
    limit 64
  ), function_terms as (
    -- a word followed by "(" (a call), or a word in capitals
    select distinct pg_catalog.lower(coalesce(m.parts[1], m.parts[2])) as word
    from source s,
         pg_catalog.regexp_matches(
           s.text, '([A-Za-z_][A-Za-z0-9_.]*)\s*\(|\m([A-Z][A-Z0-9_.]+)\M', 'g'
         ) as m(parts)
    limit 64
  ), queries as (
    select
      pg_catalog.websearch_to_tsquery(
        'english'::regconfig,
        (select pg_catalog.string_agg('"' || t.word || '"', ' or ') from terms t)
      ) as words,
      pg_catalog.websearch_to_tsquery(
        'simple'::regconfig,
        (select pg_catalog.string_agg('"' || f.word || '"', ' or ') from function_terms f)
      ) as functions
  ), ranked as (
    select
      c.policy_id,
      c.id as chunk_id,
      p.title,
      c.content,
      c.ordinal,
      p.created_at,
      (coalesce(pg_catalog.ts_rank_cd(c.tsv, q.words, 1), 0)
        + 2 * coalesce(pg_catalog.ts_rank_cd(c.tsv_simple, q.functions, 1), 0)
        + coalesce(pg_catalog.ts_rank_cd(pg_catalog.to_tsvector('simple'::regconfig, p.title), q.functions), 0)
      )::real as rank
    from queries q, public.policy_chunks c
    join public.policies p on p.id = c.policy_id
    where c.organization_id = retrieve_policy_chunks.org_id
      and (c.tsv @@ q.words or c.tsv_simple @@ q.functions)
  )
  select r.policy_id, r.chunk_id, r.title, r.content, r.rank
  from ranked r
  order by r.rank desc, r.created_at, r.policy_id, r.ordinal
  limit greatest(1, least(coalesce(retrieve_policy_chunks.k, 5), 50));
$$;

revoke all on function public.retrieve_policy_chunks(uuid, text, integer) from public, anon, authenticated;
grant execute on function public.retrieve_policy_chunks(uuid, text, integer) to authenticated, service_role;
