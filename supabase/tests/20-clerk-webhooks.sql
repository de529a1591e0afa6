-- apply_clerk_event: each delivery once, placeholders filled later, stale events
-- ignored, deletions final and keeping audit history.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(27);

-- ---------------------------------------------------------------- idempotency
select is(
  public.apply_clerk_event('msg_wh_1', 'user.created', '2026-11-01 10:00Z',
                           '{"user_id":"user_wh1","email":"a@example.com","name":"Ann"}'),
  '{"status":"applied"}'::jsonb,
  'user.created is applied'
);
select is(
  public.apply_clerk_event('msg_wh_1', 'user.created', '2026-11-01 10:00Z',
                           '{"user_id":"user_wh1","email":"changed@example.com","name":"Changed"}'),
  '{"status":"duplicate"}'::jsonb,
  'the same svix id again is a duplicate'
);
select results_eq(
  $$ select email, name from public.users where clerk_user_id = 'user_wh1' $$,
  $$ values ('a@example.com'::text, 'Ann'::text) $$,
  'a duplicate delivery changes nothing'
);
select is(
  (select pg_catalog.count(*)::integer from public.webhook_events where svix_id = 'msg_wh_1'),
  1,
  'the delivery is recorded once'
);

-- ---------------------------------------------------------------- stale and newer updates
select is(
  public.apply_clerk_event('msg_wh_2', 'user.updated', '2026-11-01 09:00Z',
                           '{"user_id":"user_wh1","email":"old@example.com","name":"Old"}'),
  '{"status":"stale"}'::jsonb,
  'an update older than the stored data is stale'
);
select results_eq(
  $$ select email, name from public.users where clerk_user_id = 'user_wh1' $$,
  $$ values ('a@example.com'::text, 'Ann'::text) $$,
  'a stale update does not overwrite newer data'
);
select is(
  (select outcome from public.webhook_events where svix_id = 'msg_wh_2'),
  'stale',
  'the stale delivery is recorded as stale'
);
select is(
  public.apply_clerk_event('msg_wh_3', 'user.updated', '2026-11-01 11:00Z',
                           '{"user_id":"user_wh1","email":"new@example.com","name":"Ann New"}'),
  '{"status":"applied"}'::jsonb,
  'a newer update is applied'
);
select results_eq(
  $$ select email, name from public.users where clerk_user_id = 'user_wh1' $$,
  $$ values ('new@example.com'::text, 'Ann New'::text) $$,
  'a newer update overwrites the user'
);

-- ---------------------------------------------------------------- placeholders
select is(
  public.apply_clerk_event('msg_wh_4', 'organizationMembership.created', '2026-11-01 10:00Z',
                           '{"org_id":"org_wh1","user_id":"user_wh2","role":"org:admin",
                             "org_name":"From membership","org_slug":"from-membership",
                             "email":"b@example.com","name":"Bob"}'),
  '{"status":"applied"}'::jsonb,
  'a membership before its organization and user is applied'
);
select results_eq(
  $$ select o.name, o.slug, o.clerk_updated_at is null, m.role, u.email, u.name, u.clerk_updated_at is null
       from public.organization_memberships m
       join public.organizations o on o.id = m.organization_id
       join public.users u on u.id = m.user_id
      where o.clerk_org_id = 'org_wh1' and u.clerk_user_id = 'user_wh2' $$,
  $$ values ('From membership'::text, 'from-membership'::text, true, 'org:admin'::text,
             'b@example.com'::text, 'Bob'::text, true) $$,
  'placeholders carry the membership''s copy of the organization and user'
);
select results_eq(
  $$ select s.plan, (select pg_catalog.count(*) from public.policies p where p.organization_id = o.id)
       from public.organizations o join public.subscriptions s on s.organization_id = o.id
      where o.clerk_org_id = 'org_wh1' $$,
  $$ select 'free'::text, pg_catalog.count(*) from public.policy_templates $$,
  'a placeholder organization gets a free subscription and the default policies'
);
select is(
  public.apply_clerk_event('msg_wh_5', 'organization.created', '2026-11-01 09:30Z',
                           '{"org_id":"org_wh1","name":"Acme","slug":"acme"}'),
  '{"status":"applied"}'::jsonb,
  'the organization''s own event arriving late is applied'
);
select results_eq(
  $$ select name, slug from public.organizations where clerk_org_id = 'org_wh1' $$,
  $$ values ('Acme'::text, 'acme'::text) $$,
  'the organization''s own event fills the placeholder'
);
select is(
  public.apply_clerk_event('msg_wh_6', 'organizationMembership.updated', '2026-11-01 12:00Z',
                           '{"org_id":"org_wh1","user_id":"user_wh2","role":"org:member",
                             "org_name":"Stale copy","org_slug":"stale-copy"}'),
  '{"status":"applied"}'::jsonb,
  'a newer membership update is applied'
);
select results_eq(
  $$ select o.name, m.role from public.organization_memberships m
       join public.organizations o on o.id = m.organization_id
       join public.users u on u.id = m.user_id
      where o.clerk_org_id = 'org_wh1' and u.clerk_user_id = 'user_wh2' $$,
  $$ values ('Acme'::text, 'org:member'::text) $$,
  'a membership event changes the role but not an organization filled by its own event'
);

-- ---------------------------------------------------------------- membership deleted before created
select is(
  public.apply_clerk_event('msg_wh_7', 'organizationMembership.deleted', '2026-11-01 13:00Z',
                           '{"org_id":"org_wh1","user_id":"user_wh1"}'),
  '{"status":"applied"}'::jsonb,
  'a membership deletion for an unknown membership is applied'
);
select is(
  public.apply_clerk_event('msg_wh_8', 'organizationMembership.created', '2026-11-01 12:30Z',
                           '{"org_id":"org_wh1","user_id":"user_wh1","role":"org:member"}'),
  '{"status":"stale"}'::jsonb,
  'a membership created before its (already applied) deletion is stale'
);
select is_empty(
  $$ select 1 from public.organization_memberships m
       join public.users u on u.id = m.user_id where u.clerk_user_id = 'user_wh1' $$,
  'the deleted membership does not come back'
);

-- ---------------------------------------------------------------- user deleted keeps audit history
insert into public.audit_logs (organization_id, user_id, formula_count)
select m.organization_id, m.user_id, 7
  from public.organization_memberships m join public.users u on u.id = m.user_id
 where u.clerk_user_id = 'user_wh2';

select is(
  public.apply_clerk_event('msg_wh_9', 'user.deleted', '2026-11-01 14:00Z', '{"user_id":"user_wh2"}'),
  '{"status":"applied"}'::jsonb,
  'user.deleted is applied'
);
select is_empty(
  $$ select 1 from public.users where clerk_user_id = 'user_wh2' $$,
  'the deleted user''s row, with their email and name, is gone'
);
select results_eq(
  $$ select l.user_id, l.formula_count from public.audit_logs l
       join public.organizations o on o.id = l.organization_id
      where o.clerk_org_id = 'org_wh1' $$,
  $$ values (null::uuid, 7) $$,
  'the deleted user''s audit history stays, with user_id null'
);
select is(
  public.apply_clerk_event('msg_wh_10', 'user.updated', '2026-11-01 13:30Z',
                           '{"user_id":"user_wh2","email":"late@example.com","name":"Late"}'),
  '{"status":"stale"}'::jsonb,
  'an update arriving after the user''s deletion is stale'
);
select is_empty(
  $$ select 1 from public.users where clerk_user_id = 'user_wh2' $$,
  'a late update does not bring a deleted user back'
);

-- ---------------------------------------------------------------- organization deleted
select is(
  public.apply_clerk_event('msg_wh_11', 'organization.deleted', '2026-11-01 15:00Z', '{"org_id":"org_wh1"}'),
  '{"status":"applied"}'::jsonb,
  'organization.deleted is applied'
);
select is_empty(
  $$ select 1 from public.organizations where clerk_org_id = 'org_wh1' $$,
  'the deleted organization is gone, with everything it owned'
);

-- ---------------------------------------------------------------- privileges
set local role authenticated;
set local "request.jwt.claims" = '{"sub":"user_wh1","org_id":"org_wh1","org_role":"org:admin"}';
select throws_ok(
  $$ select public.apply_clerk_event('msg_wh_12', 'user.deleted', now(), '{"user_id":"user_wh1"}') $$,
  '42501', null, 'authenticated cannot execute apply_clerk_event'
);
reset role;

select * from finish();
rollback;
