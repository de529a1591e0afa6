-- =============================================================================
-- Rate limits for the add-on's sign-in (POST /api/auth/token), per client IP and
-- per signing-in subject (the Google account), in Postgres so they hold across
-- replicas. Fixed windows, decided like check_rate_limit: one INSERT ... ON
-- CONFLICT ... DO UPDATE ... WHERE per key, so N concurrent callers against a
-- limit L are admitted exactly min(N, L) times.
-- =============================================================================

/** One fixed window per key: 'ip:<address>' or 'subject:<id>'. */
create table public.sign_in_rate_limits (
  key text primary key check (key <> ''),
  request_count integer not null check (request_count >= 0),
  window_reset_at timestamptz not null
);
alter table public.sign_in_rate_limits enable row level security;

create index sign_in_rate_limits_window_reset_at_idx on public.sign_in_rate_limits (window_reset_at);

revoke all on table public.sign_in_rate_limits from public, anon, authenticated;
grant all on table public.sign_in_rate_limits to service_role;

create policy "Sign-in rate limits are read by the service only"
  on public.sign_in_rate_limits
  for select
  to service_role
  using (true);

/**
 * Admits one sign-in request in the window of its client IP (ip_limit per
 * window) and of its subject (subject_limit), or refuses it: PT429 with DETAIL
 * {"scope": "ip" | "subject", "limit", "retry_after"} (seconds). A null or
 * blank ip or subject is not limited. A refusal rolls back both counts.
 * Returns {"ip_remaining", "subject_remaining"} (null for a key not given).
 * 22023 on a limit below 1 or a window outside 1..3600 seconds.
 */
create function public.check_sign_in_rate_limit(
  ip text,
  subject text,
  ip_limit integer,
  subject_limit integer,
  window_seconds integer default 60
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_scope record;
  v_count integer;
  v_reset_at timestamptz;
  v_remaining jsonb := '{}'::jsonb;
begin
  if coalesce(check_sign_in_rate_limit.ip_limit, 0) < 1
     or coalesce(check_sign_in_rate_limit.subject_limit, 0) < 1
     or check_sign_in_rate_limit.window_seconds is null
     or check_sign_in_rate_limit.window_seconds not between 1 and 3600 then
    raise exception using
      errcode = '22023',
      message = 'invalid sign-in rate limit',
      hint = 'Limits of at least 1, a window of 1 to 3600 seconds.';
  end if;

  for v_scope in
    select s.scope, s.key, s.max_requests
      from (values
        ('ip', 'ip:' || nullif(pg_catalog.btrim(check_sign_in_rate_limit.ip), ''),
         check_sign_in_rate_limit.ip_limit),
        ('subject', 'subject:' || nullif(pg_catalog.btrim(check_sign_in_rate_limit.subject), ''),
         check_sign_in_rate_limit.subject_limit)
      ) as s(scope, key, max_requests)
     where s.key is not null
  loop
    v_count := null;
    insert into public.sign_in_rate_limits as b (key, request_count, window_reset_at)
    values (
      v_scope.key, 1,
      pg_catalog.now() + pg_catalog.make_interval(secs => check_sign_in_rate_limit.window_seconds)
    )
    on conflict (key) do update
      set request_count = case when b.window_reset_at <= pg_catalog.now() then 1
                               else b.request_count + 1 end,
          window_reset_at = case when b.window_reset_at <= pg_catalog.now() then excluded.window_reset_at
                                 else b.window_reset_at end
      where b.window_reset_at <= pg_catalog.now() or b.request_count < v_scope.max_requests
    returning b.request_count into v_count;

    if v_count is null then
      select b.window_reset_at into v_reset_at
        from public.sign_in_rate_limits b where b.key = v_scope.key;
      raise exception using
        errcode = 'PT429',
        message = 'too many sign-in requests',
        detail = pg_catalog.jsonb_build_object(
          'scope', v_scope.scope,
          'limit', v_scope.max_requests,
          'retry_after', greatest(
            pg_catalog.ceil(extract(epoch from v_reset_at - pg_catalog.now()))::integer, 1)
        )::text,
        hint = 'Wait retry_after seconds.';
    end if;
    v_remaining := v_remaining
      || pg_catalog.jsonb_build_object(v_scope.scope || '_remaining', v_scope.max_requests - v_count);
  end loop;

  return pg_catalog.jsonb_build_object(
    'ip_remaining', v_remaining -> 'ip_remaining',
    'subject_remaining', v_remaining -> 'subject_remaining'
  );
end;
$$;

revoke all on function public.check_sign_in_rate_limit(text, text, integer, integer, integer) from public, anon, authenticated;
grant execute on function public.check_sign_in_rate_limit(text, text, integer, integer, integer) to service_role;

/** Deletes sign-in rate-limit windows that have ended; returns how many. */
create function public.cleanup_expired_sign_in_rate_limits()
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
  with deleted as (
    delete from public.sign_in_rate_limits b
     where b.window_reset_at <= pg_catalog.now()
    returning 1
  )
  select pg_catalog.count(*)::integer from deleted;
$$;

revoke all on function public.cleanup_expired_sign_in_rate_limits() from public, anon, authenticated;
grant execute on function public.cleanup_expired_sign_in_rate_limits() to service_role;
