-- =============================================================================
-- One fixed rate-limit window behind check_rate_limit and increment_rate_limit.
--
-- Both kept the organization's window with their own copy of the same upsert
-- (20261129100000_subscription_status.sql): check_rate_limit admits up to the plan's
-- limit, the seed guide's increment_rate_limit always counts. private.count_request
-- now keeps the window; both are thin readers of it. Signatures, answers and errors
-- are unchanged (increment_rate_limit(org_id uuid) -> integer still counts every call).
-- =============================================================================

/**
 * Counts one request in an organization's fixed rate-limit window and answers one row:
 *   request_count    the requests in the window now; null when refused
 *   request_limit    the plan's rate_limit_requests (100 without a plans row)
 *   window_seconds   the plan's rate_limit_window_seconds (60 without a plans row)
 *   window_reset_at  when the window ends
 * The plan is plan_in_force(). A window that has ended restarts at 1. With
 * enforce_limit, a request beyond request_limit is refused (not counted); without, every
 * request counts. One statement decides: the bucket row is locked by the upsert and its
 * WHERE reads the latest version, so N concurrent callers against a limit L are
 * admitted exactly min(N, L) times.
 * 22023 for a null org_id, PT404 for an unknown organization.
 */
create function private.count_request(org_id uuid, enforce_limit boolean)
returns table (
  request_count integer,
  request_limit integer,
  window_seconds integer,
  window_reset_at timestamptz
)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_limit integer;
  v_window integer;
  v_count integer;
  v_reset_at timestamptz;
begin
  if count_request.org_id is null then
    raise exception using
      errcode = '22023',
      message = 'org_id is required',
      hint = 'Pass the organization''s uuid (organizations.id).';
  end if;

  select p.rate_limit_requests, p.rate_limit_window_seconds
    into v_limit, v_window
    from public.plans p
   where p.id = public.plan_in_force(count_request.org_id);
  v_limit := coalesce(v_limit, 100);
  v_window := coalesce(v_window, 60);

  insert into public.rate_limit_buckets as b (organization_id, request_count, window_reset_at)
  values (
    count_request.org_id,
    1,
    pg_catalog.now() + pg_catalog.make_interval(secs => v_window)
  )
  on conflict (organization_id) do update
    set request_count = case
          when b.window_reset_at <= pg_catalog.now() then 1
          else b.request_count + 1
        end,
        window_reset_at = case
          when b.window_reset_at <= pg_catalog.now() then excluded.window_reset_at
          else b.window_reset_at
        end
    where not count_request.enforce_limit
       or b.window_reset_at <= pg_catalog.now()
       or b.request_count < v_limit
  returning b.request_count, b.window_reset_at into v_count, v_reset_at;

  if v_count is null then
    -- refused: the row exists and is locked by this transaction's attempt
    select b.window_reset_at into v_reset_at
      from public.rate_limit_buckets b
     where b.organization_id = count_request.org_id;
  end if;

  return query select v_count, v_limit, v_window, v_reset_at;
exception
  when foreign_key_violation then
    raise exception using
      errcode = 'PT404',
      message = 'organization not found',
      detail = pg_catalog.format('No organization with id %s.', count_request.org_id),
      hint = 'Provision the organization first (provision_actor).';
end;
$$;

revoke all on function private.count_request(uuid, boolean) from public, anon, authenticated;
grant execute on function private.count_request(uuid, boolean) to service_role;

/**
 * The seed guide's counter: counts one request in the organization's window
 * (private.count_request, never refused) and returns the number of requests in it (1
 * for the first one). The caller compares it with plans.rate_limit_requests.
 * 22023 for a null org_id, PT404 for an unknown organization.
 */
create or replace function public.increment_rate_limit(org_id uuid)
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
  select c.request_count from private.count_request(increment_rate_limit.org_id, false) c;
$$;

/**
 * Admits one request in the organization's window (private.count_request), or refuses
 * it. Returns {"limit", "remaining", "reset_at", "reset_seconds", "window_seconds"}.
 * Refused: PT429, DETAIL = the same JSON plus "retry_after" (seconds).
 * 22023 for a null org_id, PT404 for an unknown organization.
 */
create or replace function public.check_rate_limit(org_id uuid)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_window record;
  v_state jsonb;
begin
  select c.* into v_window from private.count_request(check_rate_limit.org_id, true) c;

  v_state := pg_catalog.jsonb_build_object(
    'limit', v_window.request_limit,
    'remaining', greatest(v_window.request_limit - coalesce(v_window.request_count, v_window.request_limit), 0),
    'reset_at', v_window.window_reset_at,
    'reset_seconds', greatest(
      pg_catalog.ceil(extract(epoch from v_window.window_reset_at - pg_catalog.now()))::integer, 0),
    'window_seconds', v_window.window_seconds
  );

  if v_window.request_count is null then
    raise exception using
      errcode = 'PT429',
      message = 'rate limit exceeded',
      detail = (v_state || pg_catalog.jsonb_build_object(
        'retry_after', greatest((v_state ->> 'reset_seconds')::integer, 1)))::text,
      hint = 'Wait until the window resets (retry_after seconds).';
  end if;
  return v_state;
end;
$$;
