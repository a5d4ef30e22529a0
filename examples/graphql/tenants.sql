-- Tenants for the demo schema: apply after bench/schema.sql.
--
--   psql -v users=50 -f bench/schema.sql
--   psql -f examples/graphql/tenants.sql
--
-- Every user and post belongs to a tenant ('acme' for odd user ids,
-- 'globex' for even ones); row-level security lets a session see only the
-- rows of the tenant named by the setting app.tenant_id, which the GraphQL
-- server sets per request with set_config('app.tenant_id', ..., true)
-- inside the request's transaction.  The setting is part of every
-- cascade_cache key, so each tenant gets its own entries.
--
-- The views read the tables with the privileges of the caller
-- (security_invoker), so the policies apply to the application role,
-- which owns nothing: RLS does not apply to a table's owner.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

ALTER TABLE tb_user ADD COLUMN tenant_id text;
UPDATE tb_user SET tenant_id = CASE WHEN id % 2 = 1 THEN 'acme' ELSE 'globex' END;
ALTER TABLE tb_post ADD COLUMN tenant_id text;
UPDATE tb_post p SET tenant_id = u.tenant_id FROM tb_user u WHERE u.id = p.author_id;

-- new rows belong to the tenant of the session (an error when none is set)
ALTER TABLE tb_user ALTER tenant_id SET NOT NULL,
                    ALTER tenant_id SET DEFAULT current_setting('app.tenant_id');
ALTER TABLE tb_post ALTER tenant_id SET NOT NULL,
                    ALTER tenant_id SET DEFAULT current_setting('app.tenant_id');

-- a post's author is of the post's tenant (foreign keys are checked
-- without row-level security, so the tenant must be part of the key)
ALTER TABLE tb_user ADD UNIQUE (id, tenant_id);
ALTER TABLE tb_post ADD FOREIGN KEY (author_id, tenant_id) REFERENCES tb_user (id, tenant_id);

-- a session sees, inserts, updates and deletes only its tenant's rows;
-- with no tenant set it sees nothing (missing_ok: NULL matches no row)
ALTER TABLE tb_user ENABLE ROW LEVEL SECURITY;
ALTER TABLE tb_post ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tb_user
    USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON tb_post
    USING (tenant_id = current_setting('app.tenant_id', true));

ALTER VIEW v_user SET (security_invoker = true);
ALTER VIEW v_post SET (security_invoker = true);

-- Watched tables: a changed row invalidates, at commit, the entries that
-- read that row (User:id, Post:id), not every entry that read the table
SELECT cascade_cache.cascade_watch('tb_user'), cascade_cache.cascade_watch('tb_post', 'Post');

-- The application's role: it logs in, owns nothing, and gets what the
-- server uses.  (Roles are cluster-wide: it may exist from an earlier run.)
DO $$
BEGIN
    CREATE ROLE graphql_app LOGIN;
EXCEPTION WHEN duplicate_object THEN
    NULL;
END $$;
GRANT USAGE ON SCHEMA cascade_cache TO graphql_app;
GRANT EXECUTE ON FUNCTION cascade_cache.cached_document_json(text, jsonb, interval, text),
                          cascade_cache.cascade_invalidate(jsonb)
   TO graphql_app;
-- Tables with row-level security are cached only for sessions that key a
-- named setting (cascade_cache.key_settings, settable by a superuser; here
-- for the role, or for everyone in postgresql.conf): a deliberate opt-in
ALTER ROLE graphql_app SET cascade_cache.key_settings = 'app.tenant_id';
-- cache_health() for GET /health reads the monitoring views
GRANT pg_monitor TO graphql_app;
GRANT SELECT ON v_user, v_post TO graphql_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tb_user, tb_post TO graphql_app;
GRANT USAGE ON SEQUENCE tb_post_id_seq TO graphql_app;
-- create_post, update_user and delete_post are executable by PUBLIC (the
-- default for functions) and run with the caller's privileges
