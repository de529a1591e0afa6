-- =============================================================================
-- SheetBrain core schema: tenants, users, billing, policies, usage, logs.
--
-- Table and column names follow seed/DATABASE_MIGRATION.md so its SQL runs
-- verbatim. Every table enables row level security right after it is created;
-- grants and policies live in 20261125000200_core_security.sql, functions in
-- 20261125000300_core_functions.sql.
-- Runs on PostgreSQL 15, 17 and 18 (core gen_random_uuid(), no extensions).
-- =============================================================================

/**
 * Default-deny for functions: nothing created in public by this role is
 * executable by PUBLIC/anon/authenticated unless granted explicitly (every
 * function below also revokes and grants explicitly).
 */
alter default privileges in schema public revoke execute on functions from public, anon, authenticated;

-- -----------------------------------------------------------------------------
-- Timestamps
-- -----------------------------------------------------------------------------

/** Keeps updated_at current on every UPDATE (trigger only; not callable via the API). */
create function public.set_updated_at()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end;
$$;

revoke all on function public.set_updated_at() from public, anon, authenticated, service_role;

-- -----------------------------------------------------------------------------
-- Tenancy: organizations, users, memberships
-- -----------------------------------------------------------------------------

/** A tenant: a Clerk organization, or a user's personal workspace (is_personal). */
create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  clerk_org_id text not null unique,
  name text not null default '',
  slug text,
  is_personal boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.organizations enable row level security;
comment on column public.organizations.clerk_org_id is
  'Clerk organization id (org_...) or the personal-workspace key the service puts in the org_id claim.';

create trigger organizations_set_updated_at
  before update on public.organizations
  for each row execute function public.set_updated_at();

/** A Clerk user. organization_id is the first organization they were provisioned in. */
create table public.users (
  id uuid primary key default gen_random_uuid(),
  clerk_user_id text not null unique,
  email text,
  name text,
  organization_id uuid references public.organizations (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.users enable row level security;

create index users_organization_id_idx on public.users (organization_id);

create trigger users_set_updated_at
  before update on public.users
  for each row execute function public.set_updated_at();

/** Which users belong to which organization, with their Clerk role (org:admin, org:member, ...). */
create table public.organization_memberships (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references public.users (id) on delete cascade,
  role text not null default 'org:member' check (role ~ '^org:'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, user_id)
);
alter table public.organization_memberships enable row level security;

create index organization_memberships_user_id_idx on public.organization_memberships (user_id);

create trigger organization_memberships_set_updated_at
  before update on public.organization_memberships
  for each row execute function public.set_updated_at();

-- -----------------------------------------------------------------------------
-- Billing: plans, subscriptions
-- -----------------------------------------------------------------------------

/** Plan catalogue. audits_per_month null = unlimited. Rate limit = fixed window. */
create table public.plans (
  id text primary key,
  name text not null,
  audits_per_month integer check (audits_per_month >= 0),
  rate_limit_requests integer not null default 100 check (rate_limit_requests > 0),
  rate_limit_window_seconds integer not null default 60 check (rate_limit_window_seconds > 0),
  price_cents integer not null default 0 check (price_cents >= 0),
  created_at timestamptz not null default now()
);
alter table public.plans enable row level security;

/**
 * subscriptions.plan defaults to 'free', so the 'free' plan must exist whether
 * or not the seed ran (seed.sql inserts all plans, also ON CONFLICT DO NOTHING).
 */
insert into public.plans (id, name, audits_per_month, rate_limit_requests, rate_limit_window_seconds, price_cents)
values ('free', 'Free', 10, 100, 60, 0)
on conflict (id) do nothing;

/** One subscription per organization (Stripe ids once checkout happened). */
create table public.subscriptions (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null unique references public.organizations (id) on delete cascade,
  stripe_customer_id text,
  stripe_subscription_id text unique,
  plan text not null default 'free' references public.plans (id),
  status text not null default 'active' check (
    status in ('active', 'trialing', 'past_due', 'canceled', 'incomplete', 'incomplete_expired', 'unpaid', 'paused')
  ),
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.subscriptions enable row level security;

create index subscriptions_plan_idx on public.subscriptions (plan);
create index subscriptions_stripe_customer_id_idx on public.subscriptions (stripe_customer_id);

create trigger subscriptions_set_updated_at
  before update on public.subscriptions
  for each row execute function public.set_updated_at();

-- -----------------------------------------------------------------------------
-- Policies
-- -----------------------------------------------------------------------------

/** Global default policies, copied into every new organization by provision_identity(). */
create table public.policy_templates (
  key text primary key,
  title text not null,
  content text not null,
  category text,
  created_at timestamptz not null default now()
);
alter table public.policy_templates enable row level security;

/** An organization's formula policies (manual, uploaded, or copied from a template). */
create table public.policies (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  title text not null,
  content text not null,
  category text,
  department text,
  source text not null default 'manual',
  is_default boolean not null default false,
  template_key text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- a template is copied at most once per organization (null keys never conflict)
  constraint policies_organization_template_key unique (organization_id, template_key)
);
alter table public.policies enable row level security;

create index policies_organization_created_idx on public.policies (organization_id, created_at desc);

create trigger policies_set_updated_at
  before update on public.policies
  for each row execute function public.set_updated_at();

-- -----------------------------------------------------------------------------
-- Usage and rate limits
-- -----------------------------------------------------------------------------

/** Audits per organization per calendar month (month_year = 'YYYY-MM', UTC). */
create table public.audit_usage (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  month_year text not null check (month_year ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  count integer not null default 0 check (count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, month_year)
);
alter table public.audit_usage enable row level security;

create trigger audit_usage_set_updated_at
  before update on public.audit_usage
  for each row execute function public.set_updated_at();

/** Fixed-window rate limit bucket, one per organization. */
create table public.rate_limit_buckets (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null unique references public.organizations (id) on delete cascade,
  request_count integer not null default 0 check (request_count >= 0),
  window_reset_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.rate_limit_buckets enable row level security;

create index rate_limit_buckets_window_reset_at_idx on public.rate_limit_buckets (window_reset_at);

create trigger rate_limit_buckets_set_updated_at
  before update on public.rate_limit_buckets
  for each row execute function public.set_updated_at();

-- -----------------------------------------------------------------------------
-- Logs
-- -----------------------------------------------------------------------------

/**
 * One row per audit.
 * WARNING: audit_logs_archive must keep EXACTLY the same columns, in the same
 * order and with the same types (the seed guide runs
 * `INSERT INTO audit_logs_archive SELECT * FROM audit_logs ...`, and
 * archive_audit_logs() does the same). Any migration that adds a column here
 * must add it to audit_logs_archive in the same position too; a pgTAP test
 * (supabase/tests/01-structure.sql) compares both column lists.
 */
create table public.audit_logs (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references public.users (id) on delete set null,
  formula_count integer not null default 0 check (formula_count >= 0),
  compliant_count integer not null default 0 check (compliant_count >= 0),
  issues_found integer not null default 0 check (issues_found >= 0),
  duration_ms integer not null default 0 check (duration_ms >= 0),
  rag_used boolean not null default false,
  rag_context_count integer not null default 0 check (rag_context_count >= 0),
  created_at timestamptz not null default now()
);
alter table public.audit_logs enable row level security;
comment on table public.audit_logs is
  'One row per audit. Any column added here must be added to audit_logs_archive too (same order and type).';

create index idx_audit_logs_user_created on public.audit_logs (user_id, created_at desc);
create index audit_logs_organization_created_idx on public.audit_logs (organization_id, created_at desc, id desc);
create index audit_logs_created_at_idx on public.audit_logs (created_at);

/** Archived audit_logs rows: identical columns (see the warning on audit_logs). */
create table public.audit_logs_archive (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references public.users (id) on delete set null,
  formula_count integer not null default 0 check (formula_count >= 0),
  compliant_count integer not null default 0 check (compliant_count >= 0),
  issues_found integer not null default 0 check (issues_found >= 0),
  duration_ms integer not null default 0 check (duration_ms >= 0),
  rag_used boolean not null default false,
  rag_context_count integer not null default 0 check (rag_context_count >= 0),
  created_at timestamptz not null default now()
);
alter table public.audit_logs_archive enable row level security;
comment on table public.audit_logs_archive is
  'Same columns, order and types as audit_logs (INSERT INTO audit_logs_archive SELECT * FROM audit_logs must work).';

create index audit_logs_archive_user_created_idx on public.audit_logs_archive (user_id, created_at desc);
create index audit_logs_archive_organization_created_idx on public.audit_logs_archive (organization_id, created_at desc, id desc);

/** One row per policy document ingestion. */
create table public.ingestion_logs (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid references public.users (id) on delete set null,
  policy_id uuid references public.policies (id) on delete set null,
  document_size bigint check (document_size >= 0),
  chunk_count integer not null default 0 check (chunk_count >= 0),
  vectors_upserted integer not null default 0 check (vectors_upserted >= 0),
  duration_ms integer not null default 0 check (duration_ms >= 0),
  success boolean not null default false,
  error text,
  created_at timestamptz not null default now()
);
alter table public.ingestion_logs enable row level security;

create index ingestion_logs_organization_created_idx on public.ingestion_logs (organization_id, created_at desc);
create index ingestion_logs_user_id_idx on public.ingestion_logs (user_id);
create index ingestion_logs_policy_id_idx on public.ingestion_logs (policy_id);
