-- Sign-in rate limits: per client address and per account, exact, refusals roll back.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(8);

set local role service_role;

select is(
  public.check_sign_in_rate_limit('198.51.100.65', 'google:acc65', 3, 2),
  '{"ip_remaining": 2, "subject_remaining": 1}'::jsonb,
  'the first request is admitted and counted for the address and the account'
);
select is(
  public.check_sign_in_rate_limit('198.51.100.65', 'google:acc65', 3, 2),
  '{"ip_remaining": 1, "subject_remaining": 0}'::jsonb,
  'the second uses the account''s minute up'
);
select throws_ok(
  $$ select public.check_sign_in_rate_limit('198.51.100.65', 'google:acc65', 3, 2) $$,
  'PT429', 'too many sign-in requests',
  'a third sign-in of the account is refused'
);
select is(
  (select request_count from public.sign_in_rate_limits where key = 'ip:198.51.100.65'),
  2, 'and the refused request is not counted for the address either'
);
select is(
  public.check_sign_in_rate_limit('198.51.100.65', null, 3, 2),
  '{"ip_remaining": 0, "subject_remaining": null}'::jsonb,
  'a refresh (no account) counts for the address only'
);
select throws_ok(
  $$ select public.check_sign_in_rate_limit('198.51.100.65', 'google:other65', 3, 2) $$,
  'PT429', 'too many sign-in requests',
  'another account from the same address is refused once the address used its minute'
);
update public.sign_in_rate_limits set window_reset_at = now() - interval '1 second'
 where key = 'ip:198.51.100.65';
select public.cleanup_expired_sign_in_rate_limits() is not null as ok;
select is(
  (select pg_catalog.array_agg(key order by key) from public.sign_in_rate_limits where key like '%65'),
  array['subject:google:acc65'],
  'cleanup deletes the ended window and keeps the running one'
);
select throws_ok(
  $$ select public.check_sign_in_rate_limit('198.51.100.65', null, 0, 2) $$,
  '22023', 'invalid sign-in rate limit', 'a limit below 1 is refused'
);

select * from finish();
rollback;
