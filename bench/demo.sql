-- The cascade_cache demo walkthrough (run by make demo after bench/schema.sql).
\set ON_ERROR_STOP on
\pset footer off
SET search_path = public, cascade_cache;
SELECT cache_flush() AS flushed, cache_stats_reset();

\echo
\echo '== 1. First call: a miss.  The query runs and its result is stored.'
SELECT r->0->'data'->>'name' AS name, jsonb_array_length(r->0->'data'->'posts') AS posts,
       pg_column_size(r) AS bytes
  FROM cached_query('SELECT data FROM v_user WHERE id = $1', '[42]') r;
SELECT hits, misses, stores, entries FROM cache_stats();

\echo
\echo '== 2. Second call: a hit, straight from shared memory (no parse, no plan, no SPI).'
SELECT r->0->'data'->>'name' AS name, jsonb_array_length(r->0->'data'->'posts') AS posts,
       pg_column_size(r) AS bytes
  FROM cached_query('SELECT data FROM v_user WHERE id = $1', '[42]') r;
SELECT hits, misses, stores, entries FROM cache_stats();

\echo
\echo '== 2b. cached_query_json: the same rows as JSON text, stored in that form, so a hit'
\echo '==     returns the stored bytes (what a GraphQL server sends on).  Its entries are its own.'
SELECT left(cached_query_json('SELECT data FROM v_user WHERE id = $1', '[42]')::text, 60) || '...' AS miss;
SELECT left(cached_query_json('SELECT data FROM v_user WHERE id = $1', '[42]')::text, 60) || '...' AS hit,
       cached_query_json('SELECT data FROM v_user WHERE id = $1', '[42]')::text
         = cached_query('SELECT data FROM v_user WHERE id = $1', '[42]')::text AS same_text;
SELECT hits, misses, stores, entries FROM cache_stats();

\echo
\echo '== 2c. cached_document_json: just the document (the first column of the first row),'
\echo '==     what a resolver returns, without the array of row objects around it.'
SELECT left(cached_document_json('SELECT data FROM v_user WHERE id = $1', '[42]')::text, 60) || '...' AS document;
SELECT cached_document_json('SELECT data FROM v_user WHERE id = $1', '[42]')::jsonb
         = (cached_query('SELECT data FROM v_user WHERE id = $1', '[42]') -> 0 -> 'data') AS same_document;

\echo
\echo '== 2d. cached_document_json_args: the same, with the id passed as an integer (no JSON'
\echo '==     array to build: drivers bind values as themselves, and the query sees their types).'
SELECT left(cached_document_json_args('SELECT data FROM v_user WHERE id = $1', 42)::text, 60) || '...' AS document;
SELECT cached_document_json_args('SELECT pg_typeof($1)::text', 42::bigint) AS the_query_sees;

\echo
\echo '== 3. A mutation: create_post(42, ...) inserts into tb_post and reports a GraphQL cascade.'
\echo '==    At commit, every entry that read tb_post, or holds User:42, is removed'
\echo '==    before the new row becomes visible.'
SELECT create_post(42, 'Hello from the demo', 'A new post') -> 'cascade' AS cascade;
SELECT invalidations, entries FROM cache_stats();

\echo
\echo '== 4. The next call misses and sees the new post.'
SELECT jsonb_array_length(r->0->'data'->'posts') AS posts,
       r->0->'data'->'posts'->-1->>'title' AS newest
  FROM cached_query('SELECT data FROM v_user WHERE id = $1', '[42]') r;

\echo
\echo '== 5. Every mutation left an audit row.'
SELECT id, source, status, entities, query_names, entries_removed FROM cascade_audit_recent(1);

\echo
\echo '== 6. Uncacheable queries run normally and are counted by reason.'
SELECT cached_query('SELECT now() > ''2000-01-01'' AS later') AS with_now;
SELECT * FROM cache_bypass_stats() WHERE count > 0;

\echo
\echo '== 7. Refresh-ahead: a mutation whose cascade asks to REFETCH the query "user" (the'
\echo '==    GraphQL Cascade strategy) has a background runner compute the entry again right'
\echo '==    after the commit, as the entry''s role: the next read is a hit with the new name.'
SELECT cached_query('SELECT data FROM v_user WHERE id = $1', '[7]', NULL, 'user') -> 0 -> 'data' ->> 'name' AS name;
BEGIN;
SELECT update_user(7, 'Refreshed Ahead') -> 'status' AS status;
SELECT cascade_invalidate('{"invalidations": [{"queryName": "user", "strategy": "REFETCH"}]}') AS removed;
COMMIT;
SELECT pg_sleep(0.5);
SELECT hits AS hits_before FROM cache_stats() \gset
SELECT cached_query('SELECT data FROM v_user WHERE id = $1', '[7]', NULL, 'user') -> 0 -> 'data' ->> 'name' AS name,
       (SELECT hits FROM cache_stats()) > :hits_before AS was_a_hit;
SELECT kind, queued, filled FROM cache_recipe_stats() WHERE kind = 'refresh';
