-- =============================================================================
-- Policy tags: POST /api/policies (the original backend's route) takes
-- {title, content, category?, department?, tags?}. The policy itself is stored by
-- ingest_policy, like every other ingest; its tags are set afterwards here.
-- =============================================================================

alter table public.policies
  add column tags text[] not null default '{}'
    constraint policies_tags_count check (pg_catalog.cardinality(tags) <= 20);

comment on column public.policies.tags is
  'Free labels from the policy''s author (at most 20, each 1-50 characters, no blanks).';

/**
 * Replaces the tags of a policy of the actor's organization and returns the policy row.
 * Only an org admin or the policy's creator may tag it. `tags` is stored in the given
 * order without duplicates. PT404 when the policy is not in the actor's organization,
 * PT403 for anyone else, 22023 on more than 20 tags or a null, blank or over-long
 * (50 characters) tag; PT401/PT403 for a missing or malformed actor.
 */
create function public.set_policy_tags(actor jsonb, policy_id uuid, tags text[])
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_scope record;
  v_policy public.policies;
  v_tags text[];
begin
  select a.* into v_scope from private.actor_scope(set_policy_tags.actor) a;
  if set_policy_tags.tags is null
     or pg_catalog.cardinality(set_policy_tags.tags) > 20
     or exists (
       select 1 from pg_catalog.unnest(set_policy_tags.tags) t(tag)
        where t.tag is null or pg_catalog.btrim(t.tag) = '' or pg_catalog.length(t.tag) > 50
     ) then
    raise exception using
      errcode = '22023',
      message = 'invalid tags',
      hint = 'At most 20 tags, each 1-50 characters.';
  end if;
  select pg_catalog.array_agg(t.tag order by t.position) into v_tags
    from (
      select t.tag, pg_catalog.min(t.position) as position
        from pg_catalog.unnest(set_policy_tags.tags) with ordinality t(tag, position)
       group by t.tag
    ) t;

  select p.* into v_policy
    from public.policies p
   where p.id = set_policy_tags.policy_id
     and p.organization_id = v_scope.organization_id;
  if v_policy.id is null then
    raise exception using errcode = 'PT404', message = 'policy not found';
  end if;
  if v_scope.role is distinct from 'org:admin'
     and v_policy.created_by is distinct from v_scope.user_id then
    raise exception using
      errcode = 'PT403',
      message = 'only organization admins and the policy''s author may tag it';
  end if;

  update public.policies p
     set tags = coalesce(v_tags, '{}'),
         updated_by = coalesce(v_scope.user_id, p.updated_by)
   where p.id = v_policy.id
  returning p.* into v_policy;
  return pg_catalog.to_jsonb(v_policy);
end;
$$;

revoke all on function public.set_policy_tags(jsonb, uuid, text[]) from public, anon, authenticated;
grant execute on function public.set_policy_tags(jsonb, uuid, text[]) to service_role;
