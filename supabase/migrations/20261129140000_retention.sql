-- =============================================================================
-- Retention for the records that only grew: Svix deliveries (webhook_events),
-- Stripe events, settled audit reservations, expired refresh tokens and ended
-- sign-in rate-limit windows; and one list of every retention job, which pg_cron
-- schedules where it exists (`sheetbrain db cleanup|retention` run the same
-- functions from the system's cron elsewhere).
--
-- What is never purged: clerk_deletions (a deletion tombstone decides that a token
-- cannot bring a user, organization or membership back) and
-- stripe_ended_subscriptions (an ended subscription never comes back).
-- =============================================================================

/**
 * Deletes, older than `older_than` (at least 7 days: Stripe retries a delivery for
 * 3 days and the ids must still deduplicate it):
 *   webhook_events      Svix deliveries, by received_at
 *   stripe_events       Stripe events, by received_at
 *   audit_reservations  settled reservations (confirmed, released, expired), by
 *                       settled_at; an open one is never deleted
 * Returns {"webhook_events": n, "stripe_events": n, "audit_reservations": n}.
 * 22023 on a null interval or one shorter than 7 days.
 */
create function public.purge_service_records(older_than interval default '90 days')
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_cutoff timestamptz;
  v_webhooks integer;
  v_stripe integer;
  v_reservations integer;
begin
  if purge_service_records.older_than is null or purge_service_records.older_than < interval '7 days' then
    raise exception using
      errcode = '22023',
      message = 'invalid older_than',
      detail = pg_catalog.format('older_than must be at least 7 days, got %L.', purge_service_records.older_than),
      hint = 'Delivery ids deduplicate retries for days; e.g. ''90 days''.';
  end if;
  v_cutoff := pg_catalog.now() - purge_service_records.older_than;

  delete from public.webhook_events e where e.received_at < v_cutoff;
  get diagnostics v_webhooks = row_count;
  delete from public.stripe_events e where e.received_at < v_cutoff;
  get diagnostics v_stripe = row_count;
  delete from public.audit_reservations r
   where r.status <> 'reserved' and coalesce(r.settled_at, r.created_at) < v_cutoff;
  get diagnostics v_reservations = row_count;

  return pg_catalog.jsonb_build_object(
    'webhook_events', v_webhooks,
    'stripe_events', v_stripe,
    'audit_reservations', v_reservations
  );
end;
$$;

revoke all on function public.purge_service_records(interval) from public, anon, authenticated;
grant execute on function public.purge_service_records(interval) to service_role;

/**
 * Every retention job: its pg_cron name, schedule (UTC) and the statement it runs.
 * The schedule below and `sheetbrain db cleanup|archive|retention` follow it.
 */
create function public.retention_jobs()
returns table (name text, schedule text, command text)
language sql
immutable
security invoker
set search_path = ''
as $$
  values
    ('sheetbrain-cleanup-rate-limits', '*/5 * * * *',
     'select public.cleanup_expired_rate_limits()'),
    ('sheetbrain-cleanup-sign-in-rate-limits', '*/5 * * * *',
     'select public.cleanup_expired_sign_in_rate_limits()'),
    ('sheetbrain-cleanup-refresh-tokens', '30 3 * * *',
     'select public.cleanup_expired_refresh_tokens(interval ''1 day'')'),
    ('sheetbrain-archive-audit-logs', '15 3 * * *',
     'select public.archive_audit_logs(interval ''90 days'')'),
    ('sheetbrain-purge-audit-archive', '45 3 * * *',
     'select public.purge_audit_archive(interval ''365 days'')'),
    ('sheetbrain-purge-service-records', '0 4 * * *',
     'select public.purge_service_records(interval ''90 days'')');
$$;

revoke all on function public.retention_jobs() from public, anon, authenticated;
grant execute on function public.retention_jobs() to service_role;

-- Where pg_cron is usable, schedule every job (cron.schedule with a name replaces
-- that job, so the three scheduled by 20261125060100 are simply re-stated).
do $retention$
declare
  v_job record;
begin
  if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
    raise notice 'pg_cron is not available: retention jobs not scheduled';
    return;
  end if;
  begin
    create extension if not exists pg_cron;
    for v_job in select * from public.retention_jobs() loop
      perform cron.schedule(v_job.name, v_job.schedule, v_job.command);
    end loop;
  exception
    when others then
      raise notice 'pg_cron is present but unusable (%): retention jobs not scheduled', sqlerrm;
  end;
end
$retention$;
