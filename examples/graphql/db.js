'use strict';
// The database side of a request: one pooled connection, one transaction
// that names the tenant, and PostgreSQL errors turned into GraphQL errors
// that carry their SQLSTATE.
//
// The tenant is set with set_config(..., true), which lasts until the end
// of the transaction: nothing of it is left on the connection for the
// pool's next request, which also makes the server safe behind PgBouncer
// in transaction pooling.  No query has a `name`: node-postgres then uses
// the unnamed statement, which PgBouncer 1.18 passes through (named
// prepared statements do not survive a change of server connection there).

const { Pool } = require('pg');
const { GraphQLError } = require('graphql');

// Connection settings come from PGHOST, PGPORT, PGUSER, PGDATABASE,
// PGPASSWORD (node-postgres reads them); PG_POOL_SIZE sets the pool size.
function createPool() {
  const pool = new Pool({ max: Number(process.env.PG_POOL_SIZE || 10) });
  // an idle connection that fails (server restart) is dropped by the
  // pool; without a listener the error would end the process
  pool.on('error', (err) => console.error('idle connection failed:', err.message));
  return pool;
}

// A PostgreSQL error as a GraphQL error: the message, and the SQLSTATE in
// extensions.code (with the detail and hint when the server gave them).
function toGraphQLError(err) {
  if (!err || typeof err.code !== 'string' || !/^[0-9A-Z]{5}$/.test(err.code)) {
    return err;
  }
  const extensions = { code: err.code };
  if (err.detail) extensions.detail = err.detail;
  if (err.hint) extensions.hint = err.hint;
  return new GraphQLError(err.message, { originalError: err, extensions });
}

// The database handle of one GraphQL request.  Queries run one at a time
// (graphql-js resolves sibling fields concurrently) inside a transaction
// that is opened on first use.  A failed statement rolls its transaction
// back, so that the request's other fields can still be answered in a new
// one; commit() ends a transaction early (each mutation field commits its
// own), finish() commits what is open and returns the connection.
class RequestDb {
  constructor(pool, tenant) {
    this.pool = pool;
    this.tenant = tenant;
    this.client = null;
    this.inTransaction = false;
    this.queue = Promise.resolve();
  }

  // run fn() after every operation queued before it
  serialize(fn) {
    const result = this.queue.then(fn);
    this.queue = result.catch(() => {});
    return result;
  }

  async begin() {
    if (!this.client) this.client = await this.pool.connect();
    if (this.inTransaction) return;
    // one round trip: BEGIN and the tenant (a literal, escaped by the
    // driver: a simple-protocol string with two statements has no
    // parameters)
    await this.client.query(
      'BEGIN; SELECT set_config(\'app.tenant_id\', ' +
        this.client.escapeLiteral(this.tenant) + ', true)');
    this.inTransaction = true;
  }

  async end(command) {
    if (!this.inTransaction) return;
    this.inTransaction = false;
    await this.client.query(command);
  }

  // One statement in the request's transaction; rows of the result.
  query(text, params) {
    return this.serialize(async () => {
      await this.begin();
      try {
        return (await this.client.query(text, params)).rows;
      } catch (err) {
        await this.end('ROLLBACK').catch(() => {});
        throw toGraphQLError(err);
      }
    });
  }

  // A document through the cache: the first column of the first row of
  // `sql` run with `params`, parsed from JSON (null for no row).  The
  // parameters travel as one JSON text: node-postgres would send a
  // JavaScript array as a PostgreSQL array literal.
  async document(sql, params, name) {
    const rows = await this.query(
      'SELECT cascade_cache.cached_document_json($1, $2, NULL, $3) AS doc',
      [sql, JSON.stringify(params), name || null]);
    return rows[0].doc;
  }

  commit() {
    return this.serialize(() => this.end('COMMIT').catch((err) => {
      throw toGraphQLError(err);
    }));
  }

  rollback() {
    return this.serialize(() => this.end('ROLLBACK'));
  }

  // After the request: commit what is open, return the connection (a
  // connection whose COMMIT or ROLLBACK failed is closed, not reused).
  finish() {
    return this.serialize(async () => {
      if (!this.client) return;
      let failed = null;
      try {
        await this.end('COMMIT');
      } catch (err) {
        failed = err;
      }
      this.client.release(failed || undefined);
      this.client = null;
    });
  }
}

module.exports = { createPool, RequestDb, toGraphQLError };
