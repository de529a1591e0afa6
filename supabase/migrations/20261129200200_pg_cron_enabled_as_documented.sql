-- =============================================================================
-- pg_cron enabled the way Supabase documents it, and the retention jobs of
-- 20261125060100 scheduled where they are missing.
--
-- Supabase (Integrations > Cron, or in SQL):
--   create extension pg_cron with schema pg_catalog;
--   grant usage on schema cron to postgres;
--   grant all privileges on all tables in schema cron to postgres;
-- 20261125060100 created the extension without its schema and without those grants,
-- and swallowed every error, a failed cron.schedule() included: on a project where
-- pg_cron works the jobs could be missing without a word. Here only enabling pg_cron
-- may fail quietly (not installed, or installed but not in shared_preload_libraries,
-- as on a plain PostgreSQL: a no-op with a notice; run `sheetbrain db ...` from the
-- system's cron instead). Once pg_cron is enabled, an error fails the migration.
-- A job that already exists is left as it is (a later migration may have changed it).
-- =============================================================================

do $cron$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
      raise notice 'pg_cron is not available: retention jobs not scheduled';
      return;
    end if;
    begin
      create extension pg_cron with schema pg_catalog;
    exception
      when others then
        -- typically "pg_cron can only be loaded via shared_preload_libraries"
        raise notice 'pg_cron cannot be enabled here (%): retention jobs not scheduled', sqlerrm;
        return;
    end;
  end if;

  grant usage on schema cron to postgres;
  grant all privileges on all tables in schema cron to postgres;

  perform cron.schedule(j.name, j.schedule, j.command)
     from (values
       ('sheetbrain-cleanup-rate-limits', '*/5 * * * *',
        'select public.cleanup_expired_rate_limits()'),
       ('sheetbrain-archive-audit-logs', '15 3 * * *',
        $job$select public.archive_audit_logs(interval '90 days')$job$),
       ('sheetbrain-purge-audit-archive', '45 3 * * *',
        $job$select public.purge_audit_archive(interval '365 days')$job$)
     ) as j(name, schedule, command)
    where not exists (select 1 from cron.job c where c.jobname = j.name);
end
$cron$;
