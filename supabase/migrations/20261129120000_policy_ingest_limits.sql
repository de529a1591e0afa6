-- =============================================================================
-- Who may add policies, how often, and how many.
--
-- Every policy reaches every member's Claude prompt, so:
--   * members and admins (org_role_rank >= org:member) may add a policy; a
--     viewer may not (PT403);
--   * only an admin changes an existing one: re-ingesting the same text
--     (same content_hash) as a non-admin leaves the policy exactly as it was
--     and answers outcome 'unchanged' (it used to rewrite title, category,
--     department and source with no role check);
--   * ingest is admitted by the organization's rate limit, like an audit:
--     begin_ingest() provisions, checks the role and counts the request in
--     the same window before the service spends any time on the document;
--   * an organization holds at most plans.max_policies policies (null =
--     unlimited; default policies count); one more is PT402.
-- =============================================================================

alter table public.plans
  add column max_policies integer check (max_policies >= 0);

comment on column public.plans.max_policies is
  'Most policies an organization on this plan may hold (default policies included); null = unlimited.';

update public.plans set max_policies = 25 where id = 'free';
update public.plans set max_policies = 250 where id = 'pro';

-- -----------------------------------------------------------------------------
-- Authors
-- -----------------------------------------------------------------------------

/**
 * Provisions the caller (provision_actor) and returns it when its stored role
 * may add policies (org_role_rank at least org:member's); PT403 otherwise.
 */
create function public.require_policy_author(actor jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_identity jsonb := public.provision_actor(require_policy_author.actor);
begin
  if public.org_role_rank(v_identity ->> 'role') < public.org_role_rank('org:member') then
    raise exception using
      errcode = 'PT403',
      message = 'only members and admins may add policies',
      detail = pg_catalog.format('Your role in this organization is %s.', v_identity ->> 'role'),
      hint = 'Ask an admin of the organization to add the policy.';
  end if;
  return v_identity;
end;
$$;

revoke all on function public.require_policy_author(jsonb) from public, anon, authenticated;
grant execute on function public.require_policy_author(jsonb) to service_role;

/**
 * The first round trip of an ingest, before the document is read: provisions
 * the caller, checks they may add policies (PT403), and admits the request in
 * the organization's rate-limit window (check_rate_limit: PT429 with a JSON
 * DETAIL when refused). Returns {"organization_id", "user_id", "role",
 * "rate_limit": <check_rate_limit answer>}.
 */
create function public.begin_ingest(actor jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_identity jsonb := public.require_policy_author(begin_ingest.actor);
begin
  return pg_catalog.jsonb_build_object(
    'organization_id', v_identity -> 'organization_id',
    'user_id', v_identity -> 'user_id',
    'role', v_identity -> 'role',
    'rate_limit', public.check_rate_limit((v_identity ->> 'organization_id')::uuid)
  );
end;
$$;

revoke all on function public.begin_ingest(jsonb) from public, anon, authenticated;
grant execute on function public.begin_ingest(jsonb) to service_role;

-- -----------------------------------------------------------------------------
-- ingest_policy
-- -----------------------------------------------------------------------------

/**
 * Stores an ingested document in one transaction and returns
 *   {"created": bool, "outcome": "created" | "updated" | "unchanged",
 *    "policy": {...policies row...}, "chunks": n, "ingestion_log_id": uuid}
 * where chunks is the policy's chunk count.
 *
 * Provisions the caller, who must be a policy author (require_policy_author).
 * Ingests of one organization run one at a time (an advisory lock), so:
 *   * a policy of the same organization with the same content_hash is, for an
 *     admin, updated (title, file name, source; category/department when
 *     given; chunks replaced): 'updated'; for anyone else left exactly as it
 *     was: 'unchanged';
 *   * otherwise a new policy is added: 'created', unless the organization
 *     already holds max_policies of its plan in force (PT402, DETAIL
 *     {"plan", "limit", "policies"}).
 * An ingestion_logs row (success = true, chunk_count = chunks written) is
 * written in every case. 22023 on a blank title/content, a malformed hash or
 * chunks.
 */
create or replace function public.ingest_policy(
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
  v_policy public.policies;
  v_outcome text;
  v_written integer := 0;
  v_plan text;
  v_limit integer;
  v_count integer;
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

  v_identity := public.require_policy_author(ingest_policy.actor);
  v_org_id := (v_identity ->> 'organization_id')::uuid;
  v_user_id := (v_identity ->> 'user_id')::uuid;

  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('ingest:' || v_org_id::text, 0));

  select p.* into v_policy
    from public.policies p
   where p.organization_id = v_org_id and p.content_hash = ingest_policy.content_hash;

  if v_policy.id is not null and v_identity ->> 'role' is distinct from 'org:admin' then
    v_outcome := 'unchanged';
  elsif v_policy.id is not null then
    update public.policies p
       set title = pg_catalog.btrim(ingest_policy.title),
           content = ingest_policy.content,
           category = coalesce(ingest_policy.category, p.category),
           department = coalesce(ingest_policy.department, p.department),
           source = coalesce(ingest_policy.source, 'manual'),
           file_name = coalesce(ingest_policy.file_name, p.file_name),
           updated_by = v_user_id,
           updated_at = pg_catalog.now()
     where p.id = v_policy.id
    returning p.* into v_policy;
    v_outcome := 'updated';
  else
    v_plan := public.plan_in_force(v_org_id);
    select pl.max_policies into v_limit from public.plans pl where pl.id = v_plan;
    select pg_catalog.count(*)::integer into v_count
      from public.policies p where p.organization_id = v_org_id;
    if v_limit is not null and v_count >= v_limit then
      raise exception using
        errcode = 'PT402',
        message = 'policy limit reached',
        detail = pg_catalog.jsonb_build_object('plan', v_plan, 'limit', v_limit, 'policies', v_count)::text,
        hint = 'Delete a policy, or upgrade the plan.';
    end if;
    insert into public.policies (
      organization_id, title, content, category, department, source,
      content_hash, file_name, created_by, updated_by
    )
    values (
      v_org_id, pg_catalog.btrim(ingest_policy.title), ingest_policy.content,
      ingest_policy.category, ingest_policy.department, coalesce(ingest_policy.source, 'manual'),
      ingest_policy.content_hash, ingest_policy.file_name, v_user_id, v_user_id
    )
    returning * into v_policy;
    v_outcome := 'created';
  end if;

  if v_outcome <> 'unchanged' then
    v_written := public.replace_policy_chunks(v_policy.id, v_org_id, ingest_policy.chunks);
  end if;

  insert into public.ingestion_logs (
    organization_id, user_id, policy_id, document_size, chunk_count, duration_ms, success
  )
  values (
    v_org_id, v_user_id, v_policy.id, ingest_policy.document_size, v_written,
    greatest(coalesce(ingest_policy.duration_ms, 0), 0), true
  )
  returning id into v_log_id;

  return pg_catalog.jsonb_build_object(
    'created', v_outcome = 'created',
    'outcome', v_outcome,
    'policy', pg_catalog.to_jsonb(v_policy),
    'chunks', (select pg_catalog.count(*)::integer from public.policy_chunks c where c.policy_id = v_policy.id),
    'ingestion_log_id', v_log_id
  );
end;
$$;
