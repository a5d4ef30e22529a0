"""cascade_cache from Python with psycopg 3: the calls an application makes.

Reads go through cascade_cache's _args functions, which take the values of
$1..$n as native SQL values: psycopg binds a Python int, datetime or list
as itself (an int as smallint, integer or bigint by its size, a list as an
array), and the query sees those types.  Python strings are sent untyped,
so a string value is cast in the statement (%s::text): a value of unknown
type cannot be passed to a VARIADIC "any" function.

Every statement here has a fixed text, so psycopg prepares it on the
server (prepare=True prepares it at once, instead of after five calls):
the call to cascade_cache then costs a Bind/Execute, and a hit returns the
stored bytes of the document.

Writes call the demo's mutation functions (bench/schema.sql), which return
a GraphQL Cascade and report it to the cache: the next read of anything
the mutation changed misses and returns the new data.
"""

import json

import psycopg

# cached_document_json_args returns the document as JSON text (type json);
# psycopg parses json into Python objects.  An application that only
# passes the document on can keep the text instead: see raw_json().
USER_BY_ID = (
    "SELECT cascade_cache.cached_document_json_args("
    "'SELECT data FROM v_user WHERE id = $1', %s)"
)
POSTS_BY_AUTHORS = (
    "SELECT cascade_cache.cached_query_json_args("
    "'SELECT id, title FROM tb_post WHERE author_id = ANY ($1) ORDER BY id LIMIT $2',"
    " %s, %s)"
)
USER_BY_EMAIL = (
    "SELECT cascade_cache.cached_document_json_args("
    "'SELECT data FROM v_user WHERE id = (SELECT id FROM tb_user WHERE email = $1)',"
    " %s::text)"
)


def connect(conninfo=""):
    """A connection as an application would open it: autocommit, so that
    each read is its own transaction and sees every commit before it."""
    return psycopg.connect(conninfo, autocommit=True)


def raw_json(conn):
    """Make this connection return json values as text, unparsed: for a
    service that passes the document through to its client."""
    conn.adapters.register_loader("json", psycopg.types.string.TextLoader)


def get_user(conn, user_id):
    """The user document (a dict, or None when there is no such user)."""
    return conn.execute(USER_BY_ID, [user_id], prepare=True).fetchone()[0]


def get_user_by_email(conn, email):
    return conn.execute(USER_BY_EMAIL, [email], prepare=True).fetchone()[0]


def posts_of(conn, author_ids, limit):
    """Posts of several authors: the list goes to the query as an array."""
    return conn.execute(POSTS_BY_AUTHORS, [list(author_ids), limit],
                        prepare=True).fetchone()[0]


def get_users_pipelined(conn, user_ids):
    """Several documents in one round trip: pipeline mode sends every
    statement before reading any result."""
    with conn.pipeline():
        cursors = [conn.execute(USER_BY_ID, [i], prepare=True) for i in user_ids]
    return [cur.fetchone()[0] for cur in cursors]


def rename_user(conn, user_id, name):
    """A mutation: update_user() changes the row and reports the cascade;
    the response carries it (GraphQL Cascade shape)."""
    return conn.execute("SELECT update_user(%s, %s::text)", [user_id, name]).fetchone()[0]


def get_user_for_tenant(conn, tenant, user_id):
    """A read with a tenant: SET LOCAL (set_config(..., true)) inside the
    transaction, so that the setting, which is part of the cache key, ends
    with the transaction (safe behind PgBouncer's transaction pooling)."""
    with conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s::text, true)", [tenant])
        return get_user(conn, user_id)


if __name__ == "__main__":
    import sys

    with connect(sys.argv[1] if len(sys.argv) > 1 else "") as conn:
        print(json.dumps(get_user(conn, 1), indent=2)[:400])
        print(conn.execute("SELECT hits, misses FROM cascade_cache.cache_stats()").fetchone())
