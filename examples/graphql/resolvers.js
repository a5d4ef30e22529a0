'use strict';
// Resolvers, FraiseQL style: the views build each object's whole document
// in PostgreSQL; a query resolver returns the view's document through
// cascade_cache, and a mutation resolver calls the mutation's SQL function,
// which reports its GraphQL Cascade to the cache, and returns the cascade
// to the client as the GraphQL Cascade specification shapes it.

const { GraphQLError } = require('graphql');

// the document of one entity of each type, and the cache's name for it
// (cache_stats_by_name(), invalidations by query name)
const DOCUMENT = {
  User: { sql: 'SELECT data FROM v_user WHERE id = $1', name: 'user' },
  Post: { sql: 'SELECT data FROM v_post WHERE id = $1', name: 'post' },
};

const USERS_SQL = `SELECT coalesce(jsonb_agg(data ORDER BY id), '[]')
  FROM (SELECT id, data FROM v_user ORDER BY id LIMIT $1) u`;
const MAX_USERS = 100;

function entity(db, typename, id) {
  const doc = DOCUMENT[typename];
  return db.document(doc.sql, [id], doc.name);
}

// ---------------------------------------------------------------------
// mutations
// ---------------------------------------------------------------------

// The cascade of a mutation response: what the SQL function reported
// ({"updated": [{"__typename", "id", "operation"}], "deleted": [...]}),
// with each updated entity read back as it is now (in the mutation's own
// transaction, which has written: the read bypasses the cache).
async function cascadeOf(db, reported) {
  const timestamp = new Date().toISOString();
  const updated = [];
  for (const e of reported.updated || []) {
    updated.push({
      typename: e.__typename,
      id: e.id,
      operation: e.operation || 'UPDATED',
      entity: DOCUMENT[e.__typename] ? await entity(db, e.__typename, e.id) : null,
    });
  }
  const deleted = (reported.deleted || []).map((e) => ({
    typename: e.__typename,
    id: e.id,
    deletedAt: timestamp,
  }));
  const affectedCount = updated.length + deleted.length;
  return {
    updated,
    deleted,
    // clients that normalise by __typename and id need no query
    // invalidation here: every document that embeds a changed entity
    // refers to it by type and id
    invalidations: [],
    metadata: { timestamp, depth: affectedCount > 1 ? 1 : 0, affectedCount },
  };
}

function emptyCascade() {
  return {
    updated: [],
    deleted: [],
    invalidations: [],
    metadata: { timestamp: new Date().toISOString(), depth: 0, affectedCount: 0 },
  };
}

// A failed mutation: nothing was changed (its transaction rolls back).
function failure(code, message, field, path) {
  return {
    success: false,
    errors: [{ message, code, field: field || null, path: path || null }],
    data: null,
    cascade: emptyCascade(),
  };
}

// Run one mutation field in a transaction of its own: committed when it
// succeeds, rolled back when it fails or raises (a PostgreSQL error then
// becomes a GraphQL error with its SQLSTATE).
async function mutation(db, work) {
  let result;
  try {
    result = await work();
  } catch (err) {
    await db.rollback();
    throw err;
  }
  if (result.success) {
    await db.commit();
  } else {
    await db.rollback();
  }
  return result;
}

async function createPost({ input }, { db }) {
  return mutation(db, async () => {
    if (!input.title.trim()) {
      return failure('VALIDATION_ERROR', 'a post needs a title', 'title', ['input', 'title']);
    }
    // an author of another tenant fails the foreign key (23503)
    const [{ r }] = await db.query('SELECT create_post($1, $2, $3) AS r',
      [input.authorId, input.title, input.body]);
    const cascade = await cascadeOf(db, r.cascade);
    const post = cascade.updated.find((e) => e.typename === 'Post');
    return { success: true, errors: null, data: post.entity, cascade };
  });
}

async function updateUser({ id, input }, { db }) {
  return mutation(db, async () => {
    const [{ r }] = await db.query('SELECT update_user($1, $2) AS r', [id, input.name]);
    const cascade = await cascadeOf(db, r.cascade);
    const user = cascade.updated.find((e) => e.typename === 'User');
    // update_user reports its cascade whether or not a row matched: a
    // user that is absent, or of another tenant, has no document
    if (!user || !user.entity) {
      return failure('NOT_FOUND', `no user ${id}`, 'id', ['id']);
    }
    return { success: true, errors: null, data: user.entity, cascade };
  });
}

async function deletePost({ id }, { db }) {
  return mutation(db, async () => {
    const before = await entity(db, 'Post', id);
    const [{ r }] = await db.query('SELECT delete_post($1) AS r', [id]);
    if (r.status !== 'success') {
      return failure('NOT_FOUND', `no post ${id}`, 'id', ['id']);
    }
    return { success: true, errors: null, data: before, cascade: await cascadeOf(db, r.cascade) };
  });
}

// ---------------------------------------------------------------------
// queries
// ---------------------------------------------------------------------

function users({ limit }, { db }) {
  if (limit < 0 || limit > MAX_USERS) {
    throw new GraphQLError(`limit must be between 0 and ${MAX_USERS}`,
      { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return db.document(USERS_SQL, [limit], 'users');
}

// the root value of buildSchema(): one function per root field, called
// with (args, context, info)
const root = {
  user: ({ id }, { db }) => entity(db, 'User', id),
  post: ({ id }, { db }) => entity(db, 'Post', id),
  users,
  createPost,
  updateUser,
  deletePost,
};

module.exports = { root };
