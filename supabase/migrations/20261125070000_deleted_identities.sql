-- =============================================================================
-- A user or organization deleted in Clerk stays deleted.
--
-- Clerk session tokens live up to 60 s, so a request can arrive after the
-- user.deleted / organization.deleted webhook with a token that is still valid.
-- provision_identity (called by every begin_* function) would then create the
-- rows again. The tombstones apply_clerk_event leaves in clerk_deletions are the
-- authority: inserting a tombstoned id is refused with PT403.
-- =============================================================================

/** Refuses to (re)create a user or organization that Clerk deleted. */
create function public.refuse_deleted_clerk_identity()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_kind text := case tg_table_name when 'users' then 'user' else 'organization' end;
  -- NEW has a different row type per table: read the key column by name.
  v_clerk_id text := pg_catalog.to_jsonb(new)
                     ->> case tg_table_name when 'users' then 'clerk_user_id' else 'clerk_org_id' end;
begin
  if exists (
    select 1 from public.clerk_deletions d where d.kind = v_kind and d.clerk_id = v_clerk_id
  ) then
    raise exception using
      errcode = 'PT403',
      message = pg_catalog.format('this %s was deleted', v_kind),
      detail = pg_catalog.format('Clerk deleted %s %s.', v_kind, v_clerk_id),
      hint = 'Sign in with an active account.';
  end if;
  return new;
end;
$$;

revoke all on function public.refuse_deleted_clerk_identity() from public, anon, authenticated;

create trigger users_refuse_deleted_clerk_identity
  before insert on public.users
  for each row execute function public.refuse_deleted_clerk_identity();

create trigger organizations_refuse_deleted_clerk_identity
  before insert on public.organizations
  for each row execute function public.refuse_deleted_clerk_identity();
