-- Readiness support: the service compares these versions with the migration files it ships.

/** The applied migration versions, in order (service_role only). */
create or replace function public.applied_migrations()
returns text[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(m.version order by m.version), '{}'::text[])
  from supabase_migrations.schema_migrations m;
$$;

revoke all on function public.applied_migrations() from public, anon, authenticated;
grant execute on function public.applied_migrations() to service_role;
