-- =============================================================================
-- The add-on's own sign-in: refresh tokens for SheetBrain access tokens.
--
-- The Google Sheets add-on exchanges a Google ID token (verified by the service)
-- for a short-lived SheetBrain access token and a rotating refresh token. Only
-- the sha256 of a refresh token is stored. Each exchange starts a family; every
-- refresh rotates the token inside its family, and presenting a token that was
-- already rotated (a stolen copy, or a replay) revokes the whole family.
--
-- Writes go through functions granted to service_role only. A member may read
-- their own sign-in sessions (not the hashes). Runs on PostgreSQL 15, 17, 18.
-- =============================================================================

/** One refresh token; the family groups the tokens one sign-in rotated through. */
create table public.refresh_tokens (
  id uuid primary key default gen_random_uuid(),
  family_id uuid not null,
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  user_id uuid not null references public.users (id) on delete cascade,
  clerk_org_id text not null check (clerk_org_id <> ''),
  org_role text not null check (org_role ~ '^org:'),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  rotated_at timestamptz,
  revoked_at timestamptz
);
alter table public.refresh_tokens enable row level security;
comment on column public.refresh_tokens.token_hash is
  'Hex sha256 of the refresh token; the token itself is never stored.';
comment on column public.refresh_tokens.clerk_org_id is
  'The organization the tokens act in: a Clerk org id, or the user''s own id for the personal workspace.';

create index refresh_tokens_family_id_idx on public.refresh_tokens (family_id);
create index refresh_tokens_user_id_idx on public.refresh_tokens (user_id);
create index refresh_tokens_expires_at_idx on public.refresh_tokens (expires_at);

/** The add-on signs users in by their verified Google email. */
create index users_lower_email_idx on public.users (pg_catalog.lower(email));

revoke all on table public.refresh_tokens from public, anon, authenticated;
grant select (id, family_id, user_id, clerk_org_id, org_role, created_at, expires_at, rotated_at, revoked_at)
  on table public.refresh_tokens to authenticated;
grant all on table public.refresh_tokens to service_role;

create policy "Users can view their own sign-in sessions"
  on public.refresh_tokens
  for select
  to authenticated
  using (
    user_id in (
      select u.id from public.users u where u.clerk_user_id = (select auth.jwt()) ->> 'sub'
    )
  );

-- -----------------------------------------------------------------------------
-- Functions (service_role only, except get_me)
-- -----------------------------------------------------------------------------

/**
 * The user with this email (case-insensitive) and the organization they sign in to:
 *   {"account": {"clerk_user_id", "email", "name", "clerk_org_id", "org_name", "org_role",
 *                "personal"}}
 * with "account": null when no synced user has that email (an object, never a bare null,
 * which supabase-py would hand back as an empty list). The organization is a team
 * membership first (the user's primary organization before others, then the
 * oldest), else the personal workspace, keyed on the user's own id, as admin.
 * Clerk keeps verified emails unique; a stale duplicate loses to the most
 * recently updated row. 22023 on a blank email.
 */
create function public.find_user_by_email(email text)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_answer jsonb;
begin
  if nullif(pg_catalog.btrim(find_user_by_email.email), '') is null then
    raise exception using errcode = '22023', message = 'email is required';
  end if;

  select pg_catalog.jsonb_build_object(
           'clerk_user_id', u.clerk_user_id,
           'email', u.email,
           'name', u.name,
           'clerk_org_id', coalesce(m.clerk_org_id, u.clerk_user_id),
           'org_name', m.org_name,
           'org_role', coalesce(m.role, 'org:admin'),
           'personal', coalesce(m.is_personal, true)
         )
    into v_answer
    from public.users u
    left join lateral (
      select o.clerk_org_id, o.name as org_name, o.is_personal, mm.role
        from public.organization_memberships mm
        join public.organizations o on o.id = mm.organization_id
       where mm.user_id = u.id
       order by o.is_personal, (o.id = u.organization_id) desc nulls last, mm.created_at, o.clerk_org_id
       limit 1
    ) m on true
   where pg_catalog.lower(u.email) = pg_catalog.lower(pg_catalog.btrim(find_user_by_email.email))
   order by u.updated_at desc, u.clerk_user_id
   limit 1;

  return pg_catalog.jsonb_build_object('account', v_answer);
end;
$$;

revoke all on function public.find_user_by_email(text) from public, anon, authenticated;
grant execute on function public.find_user_by_email(text) to service_role;

/**
 * Stores a new refresh token (by its hash) for a user acting in an organization.
 * family_id null starts a new family (a new sign-in). Returns
 *   {"family_id": uuid, "expires_at": timestamptz}.
 * 22023 on a malformed hash, role or lifetime; PT404 when the user is not synced.
 */
create function public.issue_refresh_token(
  token_hash text,
  clerk_user_id text,
  clerk_org_id text,
  org_role text,
  lifetime interval default '7 days',
  family_id uuid default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_user_id uuid;
  v_family uuid := coalesce(issue_refresh_token.family_id, gen_random_uuid());
  v_role text := issue_refresh_token.org_role;
  v_expires timestamptz;
begin
  if issue_refresh_token.token_hash is null or issue_refresh_token.token_hash !~ '^[0-9a-f]{64}$' then
    raise exception using errcode = '22023', message = 'token_hash must be a hex sha256';
  end if;
  if issue_refresh_token.lifetime is null or issue_refresh_token.lifetime <= interval '0' then
    raise exception using errcode = '22023', message = 'lifetime must be positive';
  end if;
  if nullif(pg_catalog.btrim(issue_refresh_token.clerk_org_id), '') is null then
    raise exception using errcode = '22023', message = 'clerk_org_id is required';
  end if;
  if v_role is not null and v_role !~ '^org:' then
    v_role := 'org:' || v_role;
  end if;
  if v_role is null or v_role !~ '^org:[A-Za-z0-9_:-]+$' then
    raise exception using errcode = '22023', message = 'invalid org_role', hint = 'E.g. org:admin or org:member.';
  end if;

  select u.id into v_user_id
    from public.users u
   where u.clerk_user_id = issue_refresh_token.clerk_user_id;
  if v_user_id is null then
    raise exception using
      errcode = 'PT404',
      message = 'user not found',
      detail = pg_catalog.format('No synced user has id %L.', issue_refresh_token.clerk_user_id);
  end if;

  insert into public.refresh_tokens (family_id, token_hash, user_id, clerk_org_id, org_role, expires_at)
  values (v_family, issue_refresh_token.token_hash, v_user_id, issue_refresh_token.clerk_org_id, v_role,
          pg_catalog.now() + issue_refresh_token.lifetime)
  returning expires_at into v_expires;

  return pg_catalog.jsonb_build_object('family_id', v_family, 'expires_at', v_expires);
end;
$$;

revoke all on function public.issue_refresh_token(text, text, text, text, interval, uuid) from public, anon, authenticated;
grant execute on function public.issue_refresh_token(text, text, text, text, interval, uuid) to service_role;

/**
 * Exchanges a refresh token (by hash) for its successor (new_hash) in the same family.
 * Answers {"status": ...}; only 'rotated' carries the identity to sign the next
 * access token with ("family_id", "clerk_user_id", "email", "name", "clerk_org_id",
 * "org_name", "org_role", "personal", "expires_at"):
 *   rotated  the token was current; it is now spent and new_hash is the current one
 *   reused   the token had already been rotated: the whole family is revoked
 *   revoked  the family was revoked (logout, reuse, or the membership ended)
 *   expired  the token outlived its lifetime
 *   unknown  no such token
 * Never raises for a bad token, so a reuse's revocation commits. The spend is one
 * UPDATE guarded by rotated_at is null: of two concurrent presentations exactly one
 * rotates, the other counts as reuse. The role is re-read from the membership, so a
 * member removed from the organization cannot refresh into it.
 */
create function public.rotate_refresh_token(
  token_hash text,
  new_hash text,
  lifetime interval default '7 days'
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_token public.refresh_tokens%rowtype;
  v_user public.users%rowtype;
  v_role text;
  v_org_name text;
  v_personal boolean;
  v_expires timestamptz;
begin
  if rotate_refresh_token.new_hash is null or rotate_refresh_token.new_hash !~ '^[0-9a-f]{64}$' then
    raise exception using errcode = '22023', message = 'new_hash must be a hex sha256';
  end if;
  if rotate_refresh_token.lifetime is null or rotate_refresh_token.lifetime <= interval '0' then
    raise exception using errcode = '22023', message = 'lifetime must be positive';
  end if;

  update public.refresh_tokens t
     set rotated_at = pg_catalog.now()
   where t.token_hash = rotate_refresh_token.token_hash
     and t.rotated_at is null
     and t.revoked_at is null
     and t.expires_at > pg_catalog.now()
  returning t.* into v_token;

  if v_token.id is null then
    select t.* into v_token
      from public.refresh_tokens t
     where t.token_hash = rotate_refresh_token.token_hash;
    if v_token.id is null then
      return pg_catalog.jsonb_build_object('status', 'unknown');
    elsif v_token.revoked_at is not null then
      return pg_catalog.jsonb_build_object('status', 'revoked');
    elsif v_token.rotated_at is not null then
      update public.refresh_tokens t
         set revoked_at = pg_catalog.now()
       where t.family_id = v_token.family_id
         and t.revoked_at is null;
      return pg_catalog.jsonb_build_object('status', 'reused');
    end if;
    return pg_catalog.jsonb_build_object('status', 'expired');
  end if;

  select u.* into v_user from public.users u where u.id = v_token.user_id;
  v_personal := v_token.clerk_org_id = v_user.clerk_user_id;
  select m.role, o.name into v_role, v_org_name
    from public.organizations o
    left join public.organization_memberships m
      on m.organization_id = o.id and m.user_id = v_user.id
   where o.clerk_org_id = v_token.clerk_org_id;
  if v_personal then
    v_role := 'org:admin';  -- a personal workspace belongs to its user
  elsif v_role is null then
    update public.refresh_tokens t
       set revoked_at = pg_catalog.now()
     where t.family_id = v_token.family_id
       and t.revoked_at is null;
    return pg_catalog.jsonb_build_object('status', 'revoked');
  end if;

  insert into public.refresh_tokens (family_id, token_hash, user_id, clerk_org_id, org_role, expires_at)
  values (v_token.family_id, rotate_refresh_token.new_hash, v_token.user_id, v_token.clerk_org_id, v_role,
          pg_catalog.now() + rotate_refresh_token.lifetime)
  returning expires_at into v_expires;

  return pg_catalog.jsonb_build_object(
    'status', 'rotated',
    'family_id', v_token.family_id,
    'clerk_user_id', v_user.clerk_user_id,
    'email', v_user.email,
    'name', v_user.name,
    'clerk_org_id', v_token.clerk_org_id,
    'org_name', nullif(v_org_name, ''),
    'org_role', v_role,
    'personal', v_personal,
    'expires_at', v_expires
  );
end;
$$;

revoke all on function public.rotate_refresh_token(text, text, interval) from public, anon, authenticated;
grant execute on function public.rotate_refresh_token(text, text, interval) to service_role;

/**
 * Revokes a whole family (sign-out), named by any of its tokens' hash or by its id
 * (exactly one). Returns how many of the family's tokens it marked revoked (0 when
 * already revoked or unknown). 22023 unless exactly one of token_hash, family_id is given.
 */
create function public.revoke_refresh_family(token_hash text default null, family_id uuid default null)
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_family uuid := revoke_refresh_family.family_id;
  v_count integer;
begin
  if (revoke_refresh_family.token_hash is null) = (revoke_refresh_family.family_id is null) then
    raise exception using errcode = '22023', message = 'give exactly one of token_hash, family_id';
  end if;
  if v_family is null then
    select t.family_id into v_family
      from public.refresh_tokens t
     where t.token_hash = revoke_refresh_family.token_hash;
  end if;

  update public.refresh_tokens t
     set revoked_at = pg_catalog.now()
   where t.family_id = v_family
     and t.revoked_at is null;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

revoke all on function public.revoke_refresh_family(text, uuid) from public, anon, authenticated;
grant execute on function public.revoke_refresh_family(text, uuid) to service_role;

/**
 * The caller as the database knows them (member read; RLS applies):
 *   {"user": {"id", "email", "name"} | null, "organization": {"id", "name", "personal"} | null}
 * from the JWT's `sub` and org claim. Either is null until first provisioned.
 */
create function public.get_me()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'user', (
      select pg_catalog.jsonb_build_object('id', u.clerk_user_id, 'email', u.email, 'name', u.name)
        from public.users u
       where u.clerk_user_id = (select auth.jwt()) ->> 'sub'
    ),
    'organization', (
      select pg_catalog.jsonb_build_object('id', o.clerk_org_id, 'name', o.name, 'personal', o.is_personal)
        from public.organizations o
       where o.clerk_org_id = coalesce((select auth.jwt()) ->> 'org_id', (select auth.jwt()) -> 'o' ->> 'id')
    )
  );
$$;

revoke all on function public.get_me() from public, anon, authenticated;
grant execute on function public.get_me() to authenticated, service_role;

/**
 * Retention: deletes refresh tokens that expired more than `grace` ago; returns how
 * many. A spent token older than its own expiry can no longer be replayed anyway
 * (it answers 'unknown'), so nothing is lost. Run it daily (pg_cron or the CLI).
 */
create function public.cleanup_expired_refresh_tokens(grace interval default '1 day')
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_count integer;
begin
  if cleanup_expired_refresh_tokens.grace is null or cleanup_expired_refresh_tokens.grace < interval '0' then
    raise exception using errcode = '22023', message = 'grace must not be negative';
  end if;
  delete from public.refresh_tokens t
   where t.expires_at < pg_catalog.now() - cleanup_expired_refresh_tokens.grace;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

revoke all on function public.cleanup_expired_refresh_tokens(interval) from public, anon, authenticated;
grant execute on function public.cleanup_expired_refresh_tokens(interval) to service_role;
