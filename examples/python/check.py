"""The test of the psycopg example (run by t/018_psycopg.pl).

Usage: check.py CONNINFO
Runs the example's calls against a database holding the demo schema
(bench/schema.sql) and prints one line per check, "ok - ..." or
"not ok - ...", then "checks: N".  Exits 1 if a check failed or raised.
"""

import datetime
import json
import sys

import psycopg

import app

failures = 0
checks = 0


def check(cond, what, detail=""):
    global failures, checks
    checks += 1
    if cond:
        print(f"ok - {what}")
    else:
        failures += 1
        print(f"not ok - {what} {detail}")


def stats(conn):
    return conn.execute(
        "SELECT hits, misses FROM cascade_cache.cache_stats()").fetchone()


def outcome(conn, fn):
    """Run fn(); return (its result, 'hit' / 'miss' / 'other')."""
    h0, m0 = stats(conn)
    result = fn()
    h1, m1 = stats(conn)
    if h1 == h0 + 1 and m1 == m0:
        return result, "hit"
    if m1 == m0 + 1 and h1 == h0:
        return result, "miss"
    return result, f"other (hits +{h1 - h0}, misses +{m1 - m0})"


def main(conninfo):
    conn = app.connect(conninfo)
    other = app.connect(conninfo)
    conn.execute("SELECT cascade_cache.cache_flush()")

    # a miss, then a hit, from a statement prepared on the server
    doc, how = outcome(conn, lambda: app.get_user(conn, 1))
    check(how == "miss" and doc["id"] == 1 and doc["__typename"] == "User",
          "first read of user 1 misses and returns the document", how)
    doc2, how = outcome(conn, lambda: app.get_user(conn, 1))
    check(how == "hit" and doc2 == doc, "second read hits, same document", how)
    prepared = conn.execute(
        "SELECT count(*) FROM pg_prepared_statements"
        " WHERE statement LIKE '%cached_document_json_args%v_user WHERE id = $1%'"
        " AND NOT from_sql").fetchone()[0]
    check(prepared == 1, "the read is a server-side prepared statement",
          f"found {prepared}")

    # native values: the types reach the query
    types = conn.execute(
        "SELECT cascade_cache.cached_query_json_args("
        "'SELECT pg_typeof($1)::text AS a, pg_typeof($2)::text AS b,"
        " pg_typeof($3)::text AS c, pg_typeof($4)::text AS d', %s, %s, %s, %s)",
        [42, 2**40, datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc),
         [1, 2]]).fetchone()[0]
    check(types == [{"a": "smallint", "b": "bigint",
                     "c": "timestamp with time zone", "d": "smallint[]"}],
          "int, big int, datetime and list arrive with their types", str(types))
    posts = app.posts_of(conn, [1, 2], 3)
    check(len(posts) == 3 and all(p["id"] <= 20 for p in posts),
          "a list binds an array parameter", str(posts))
    email = conn.execute("SELECT email FROM tb_user WHERE id = 2").fetchone()[0]
    check(app.get_user_by_email(conn, email)["id"] == 2,
          "a string value cast in the statement (%s::text)")

    # pipeline mode: three reads in one round trip; again, three hits
    docs = app.get_users_pipelined(conn, [1, 2, 3])
    check([d["id"] for d in docs] == [1, 2, 3], "pipelined reads return each document")
    h0, _ = stats(conn)
    again = app.get_users_pipelined(conn, [1, 2, 3])
    h1, _ = stats(conn)
    check(again == docs and h1 - h0 == 3, "pipelined reads hit",
          f"hits +{h1 - h0}")

    # the document as JSON text, passed through unparsed
    raw = app.connect(conninfo)
    app.raw_json(raw)
    text = app.get_user(raw, 1)
    check(isinstance(text, str) and json.loads(text) == doc,
          "raw_json() returns the stored JSON text")
    raw.close()

    # a mutation: the cascade comes back, and the next read is fresh
    response = app.rename_user(conn, 1, "Renamed by psycopg")
    updated = response.get("cascade", {}).get("updated", [])
    check(any(e.get("__typename") == "User" and e.get("id") == 1 for e in updated),
          "the mutation returns its cascade", json.dumps(response))
    doc, how = outcome(conn, lambda: app.get_user(conn, 1))
    check(how == "miss" and doc["name"] == "Renamed by psycopg",
          "the read after the mutation misses and sees the new name", how)

    # a write from another connection, without any cascade
    other.execute("UPDATE tb_user SET name = 'Changed elsewhere' WHERE id = 2")
    doc = app.get_user(conn, 2)
    check(doc["name"] == "Changed elsewhere",
          "a write committed by another connection is seen at once")

    # the tenant is part of the key: a second tenant does not get the
    # first tenant's entry
    _, how1 = outcome(conn, lambda: app.get_user_for_tenant(conn, "t1", 3))
    _, how2 = outcome(conn, lambda: app.get_user_for_tenant(conn, "t1", 3))
    _, how3 = outcome(conn, lambda: app.get_user_for_tenant(conn, "t2", 3))
    check((how1, how2, how3) == ("miss", "hit", "miss"),
          "SET LOCAL of a tenant keys the entries", f"{how1}, {how2}, {how3}")
    setting = conn.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0]
    check(setting in (None, ""), "the tenant setting ended with its transaction",
          repr(setting))

    # errors: SQLSTATE, and the position inside the query text
    try:
        conn.execute("SELECT cascade_cache.cached_document_json_args("
                     "'SELECT data FROM v_user WHER id = $1', %s)", [1])
        check(False, "a syntax error in the query text raises")
    except psycopg.errors.SyntaxError as e:
        check(e.sqlstate == "42601" and e.diag.internal_query ==
              "SELECT data FROM v_user WHER id = $1" and e.diag.internal_position == "30",
              "a syntax error carries 42601 and the position in the query text",
              f"{e.sqlstate} {e.diag.internal_query!r} {e.diag.internal_position!r}")
    try:
        conn.execute("SELECT cascade_cache.cached_document_json_args("
                     "'SELECT data FROM v_user WHERE id = $1', %s)", ["1"])
        check(False, "an untyped string value raises")
    except psycopg.errors.IndeterminateDatatype as e:
        check(e.sqlstate == "42P18", "an untyped string value raises 42P18 (cast it)")
    try:
        conn.execute("SELECT cascade_cache.cached_document_args('SELECT 1 / $1', %s)", [0])
        check(False, "division by zero raises")
    except psycopg.errors.DivisionByZero as e:
        check(e.sqlstate == "22012", "an error of the query keeps its SQLSTATE")
    check(app.get_user(conn, 1)["id"] == 1, "the connection works after the errors")

    conn.close()
    other.close()
    print(f"checks: {checks}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
