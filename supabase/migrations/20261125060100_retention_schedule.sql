-- =============================================================================
-- Retention jobs on pg_cron, where the database has it (hosted Supabase does).
--
--   sheetbrain-cleanup-rate-limits  every 5 minutes   cleanup_expired_rate_limits()
--   sheetbrain-archive-audit-logs   daily at 03:15    archive_audit_logs('90 days')
--   sheetbrain-purge-audit-archive  daily at 03:45    purge_audit_archive('365 days')
--
-- Where pg_cron is not installed, or installed but not preloaded
-- (shared_preload_libraries), nothing is scheduled and this migration still
-- succeeds: run `sheetbrain db cleanup|archive|retention` from the system's
-- cron instead (README, "Statistics, retention and operations").
-- cron.schedule() with a job name replaces that job, so re-running is safe.
-- =============================================================================

do $retention$
begin
  if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
    raise notice 'pg_cron is not available: retention jobs not scheduled';
    return;
  end if;
  begin
    create extension if not exists pg_cron;
    perform cron.schedule(
      'sheetbrain-cleanup-rate-limits', '*/5 * * * *',
      'select public.cleanup_expired_rate_limits()'
    );
    perform cron.schedule(
      'sheetbrain-archive-audit-logs', '15 3 * * *',
      $job$select public.archive_audit_logs(interval '90 days')$job$
    );
    perform cron.schedule(
      'sheetbrain-purge-audit-archive', '45 3 * * *',
      $job$select public.purge_audit_archive(interval '365 days')$job$
    );
  exception
    when others then
      -- typically "pg_cron can only be loaded via shared_preload_libraries"
      raise notice 'pg_cron is present but unusable (%): retention jobs not scheduled', sqlerrm;
  end;
end
$retention$;
