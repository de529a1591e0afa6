-- =============================================================================
-- Supabase platform shim for plain PostgreSQL (15, 17, 18).
--
-- Hosted Supabase and the Supabase local stack already provide everything in
-- this file. Plain Postgres (CI, the embedded server of local mode) does not, so
-- tests and the local-mode migrator apply this script BEFORE the migrations.
--
-- Rules:
--   * idempotent: every object is created only when it is missing;
--   * a no-op on real Supabase: platform-wide settings (default privileges,
--     pgrst.db_schemas) are only touched when the `supabase_admin` role is
--     absent, i.e. when we are NOT on a Supabase-managed database;
--   * one plain SQL script, no psql meta-commands: it is run both by
--     `psql -v ON_ERROR_STOP=1 -f` and by psycopg in the service.
-- =============================================================================

/** Roles used by PostgREST: anon, authenticated, service_role (+ authenticator). */
do $shim$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator nologin noinherit;
  end if;
end
$shim$;

/**
 * Let the connecting user switch to the API roles (`set local role ...`), as
 * PostgREST does. Superusers (and Supabase's postgres) already can: no-op there.
 */
do $shim$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not pg_catalog.pg_has_role(current_user, r, 'MEMBER') then
      execute pg_catalog.format('grant %I to %I', r, current_user);
    end if;
    if not pg_catalog.pg_has_role('authenticator', r, 'MEMBER') then
      execute pg_catalog.format('grant %I to authenticator', r);
    end if;
  end loop;
end
$shim$;

/** Schemas `auth` and `extensions` (checked first: no CREATE privilege is needed where they exist). */
do $shim$
begin
  if not exists (select 1 from pg_catalog.pg_namespace where nspname = 'auth') then
    create schema auth;
  end if;
  if not exists (select 1 from pg_catalog.pg_namespace where nspname = 'extensions') then
    create schema extensions;
  end if;
end
$shim$;

/**
 * auth.jwt(), auth.uid(), auth.role(): same definitions as Supabase's, reading
 * the claims PostgREST puts in `request.jwt.claims` (or the legacy
 * `request.jwt.claim.*` settings). Created only when missing.
 * Note: auth.uid() returns uuid like Supabase's, so it cannot be used with
 * Clerk user ids (`user_...`); our policies use auth.jwt() only.
 */
do $shim$
begin
  if pg_catalog.to_regprocedure('auth.jwt()') is null then
    execute $fn$
      create function auth.jwt()
      returns jsonb
      language sql
      stable
      set search_path = ''
      as $body$
        select coalesce(
          nullif(pg_catalog.current_setting('request.jwt.claim', true), ''),
          nullif(pg_catalog.current_setting('request.jwt.claims', true), '')
        )::jsonb
      $body$
    $fn$;
  end if;

  if pg_catalog.to_regprocedure('auth.uid()') is null then
    execute $fn$
      create function auth.uid()
      returns uuid
      language sql
      stable
      set search_path = ''
      as $body$
        select coalesce(
          nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''),
          (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $body$
    $fn$;
  end if;

  if pg_catalog.to_regprocedure('auth.role()') is null then
    execute $fn$
      create function auth.role()
      returns text
      language sql
      stable
      set search_path = ''
      as $body$
        select coalesce(
          nullif(pg_catalog.current_setting('request.jwt.claim.role', true), ''),
          (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
        )::text
      $body$
    $fn$;
  end if;
end
$shim$;

/**
 * Grants and platform-wide settings Supabase applies to every project; only on
 * plain Postgres (never touch a Supabase-managed database):
 *   - schema usage for the API roles, execute on the auth helpers;
 *   - default privileges in public: everything granted to the API roles, as on
 *     Supabase (our migrations then revoke explicitly);
 *   - pgrst.db_schemas, which PostgREST and `supabase db advisors` read.
 */
do $shim$
begin
  if exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_admin') then
    return;
  end if;

  grant usage on schema public to anon, authenticated, service_role;
  grant usage on schema auth to anon, authenticated, service_role;
  grant usage on schema extensions to anon, authenticated, service_role;
  grant execute on function auth.jwt() to anon, authenticated, service_role;
  grant execute on function auth.uid() to anon, authenticated, service_role;
  grant execute on function auth.role() to anon, authenticated, service_role;

  execute 'alter default privileges in schema public grant all on tables to anon, authenticated, service_role';
  execute 'alter default privileges in schema public grant all on sequences to anon, authenticated, service_role';
  execute 'alter default privileges in schema public grant all on functions to anon, authenticated, service_role';

  if coalesce(pg_catalog.current_setting('pgrst.db_schemas', true), '') = '' then
    execute pg_catalog.format(
      'alter database %I set pgrst.db_schemas = %L',
      pg_catalog.current_database(),
      'public, graphql_public'
    );
  end if;
end
$shim$;
