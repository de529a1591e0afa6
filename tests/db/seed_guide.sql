-- Every SQL statement of ../shared/seed/DATABASE_MIGRATION.md, verbatim, in guide order.
-- test_seed_guide.py runs them; only the guide's placeholder 'org-uuid-here' is replaced
-- by a real organisation id, as the guide asks its readers to do.

-- Step 2: Verify Tables Created
SELECT table_name
FROM information_schema.tables
WHERE table_schema = 'public'
ORDER BY table_name;

-- Step 4: Test User Sync
SELECT * FROM users ORDER BY created_at DESC LIMIT 5;

SELECT * FROM organizations ORDER BY created_at DESC LIMIT 5;

-- Step 5
SELECT * FROM subscriptions;

-- Step 6
SELECT * FROM policies;

SELECT * FROM ingestion_logs;

-- Step 7
SELECT * FROM audit_logs ORDER BY created_at DESC LIMIT 5;

SELECT * FROM audit_usage;

SELECT * FROM rate_limit_buckets;

-- Step 8: Check Statistics
SELECT * FROM get_org_stats('org-uuid-here');

-- View usage by month
SELECT
  o.name as organization,
  au.month_year,
  au.count as audits
FROM audit_usage au
JOIN organizations o ON o.id = au.organization_id
ORDER BY au.month_year DESC, o.name;

-- View rate limit status
SELECT
  o.name as organization,
  rl.request_count,
  rl.window_reset_at
FROM rate_limit_buckets rl
JOIN organizations o ON o.id = rl.organization_id;

-- Cleanup Old Data
SELECT cleanup_expired_rate_limits();

INSERT INTO audit_logs_archive
SELECT * FROM audit_logs
WHERE created_at < NOW() - INTERVAL '90 days';

DELETE FROM audit_logs
WHERE created_at < NOW() - INTERVAL '90 days';
