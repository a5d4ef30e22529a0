'use strict';
// A reference GraphQL server on cascade_cache.
//
//   POST /graphql   GraphQL over HTTP (graphql-http); the tenant in the
//                   X-Tenant-Id header
//   GET  /health    cache_health() (and a few cache_stats() counters)
//
// Configuration: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD for the
// database (see README.md for the role), PORT for the HTTP server (4000),
// PG_POOL_SIZE for the connection pool (10).

const fs = require('fs');
const http = require('http');
const path = require('path');
const { buildSchema, execute, parse, validate } = require('graphql');
const { createHandler } = require('graphql-http/lib/use/http');
const { createPool, RequestDb } = require('./db');
const { root } = require('./resolvers');

const schema = buildSchema(fs.readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));
const pool = createPool();

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

// a request without a tenant is refused before anything runs
function tenantMissing() {
  return [
    JSON.stringify({
      errors: [{ message: 'the X-Tenant-Id header is required',
                 extensions: { code: 'TENANT_REQUIRED' } }],
    }),
    { status: 400, statusText: 'Bad Request', headers: JSON_TYPE },
  ];
}

// Clients send the same few query texts again and again: parse and
// validate each text once (at most 1000 texts are kept).
const documents = new Map();
const validated = new WeakMap();
function cachedParse(source) {
  const text = typeof source === 'string' ? source : source.body;
  let doc = documents.get(text);
  if (!doc) {
    doc = parse(source);
    if (documents.size >= 1000) documents.clear();
    documents.set(text, doc);
  }
  return doc;
}
function cachedValidate(s, doc, rules) {
  let errors = validated.get(doc);
  if (!errors) {
    errors = validate(s, doc, rules);
    validated.set(doc, errors);
  }
  return errors;
}

const graphql = createHandler({
  schema,
  rootValue: root,
  parse: cachedParse,
  validate: cachedValidate,
  context: (req) => {
    const tenant = req.headers['x-tenant-id'];
    if (typeof tenant !== 'string' || tenant === '') return tenantMissing();
    return { db: new RequestDb(pool, tenant) };
  },
  // the whole operation, then the end of its transaction
  execute: async (args) => {
    try {
      return await execute(args);
    } finally {
      await args.contextValue.db.finish();
    }
  },
});

// cache_health() with the counters that show the cache at work
const HEALTH_SQL = `
  SELECT json_build_object(
           'status', h.status, 'warnings', h.warnings,
           'recommendation', h.recommendation,
           'stats', (SELECT row_to_json(s)
                       FROM (SELECT hits, misses, bypasses, entries
                               FROM cascade_cache.cache_stats()) s)) AS health
    FROM cascade_cache.cache_health() h`;

async function health(res) {
  try {
    const { rows } = await pool.query(HEALTH_SQL);
    res.writeHead(200, JSON_TYPE).end(JSON.stringify(rows[0].health));
  } catch (err) {
    res.writeHead(503, JSON_TYPE).end(JSON.stringify({ status: 'unavailable', error: err.message, code: err.code }));
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/graphql') {
    graphql(req, res);
  } else if (url.pathname === '/health' && req.method === 'GET') {
    health(res);
  } else {
    res.writeHead(404, JSON_TYPE).end('{"error":"not found"}');
  }
});
// keep-alive clients (load generators, proxies) reuse their connections
server.keepAliveTimeout = 60000;

const port = Number(process.env.PORT || 4000);
server.listen(port, () => console.log(`GraphQL server on http://localhost:${port}/graphql`));

function shutdown() {
  server.close();
  pool.end().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
