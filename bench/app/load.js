'use strict';
// The load of bench/run.sh app, against the GraphQL server of
// examples/graphql:
//
//   node load.js prime URL USERS
//       reads every user once (20 at a time), so that the run starts warm
//   node load.js run URL USERS CONNECTIONS SECONDS
//       autocannon with CONNECTIONS keep-alive connections for SECONDS: 19
//       reads of a random user (ids 1..USERS) for 1 updateUser of a random
//       user (ids 101..USERS), each request as the user's tenant; next to
//       it, a stale-read checker that renames a user of ids 1..100 through
//       the server and reads the user back at once, again and again: the
//       read must return the new name.  Prints one line of JSON.

const http = require('http');
const autocannon = require('autocannon');

const READ = 'query ($id: ID!) { user(id: $id) { id name posts { id title } } }';
const RENAME = 'mutation ($id: ID!, $name: String!) { updateUser(id: $id, input: {name: $name}) { success } }';
const CHECKER_USERS = 100;

const tenantOf = (id) => (id % 2 === 1 ? 'acme' : 'globex');
const randomId = (from, to) => from + Math.floor(Math.random() * (to - from + 1));
const headersFor = (id) => ({ 'content-type': 'application/json', 'x-tenant-id': tenantOf(id) });

// one GraphQL request over a keep-alive agent; resolves to the parsed body
const agent = new http.Agent({ keepAlive: true });
function post(url, id, query, variables) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: headersFor(id) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        try { resolve(JSON.parse(body)); } catch (err) { reject(new Error(`HTTP ${res.statusCode}: ${body}`)); }
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify({ query, variables }));
  });
}

async function prime(url, users) {
  let next = 1;
  const worker = async () => {
    while (next <= users) {
      const id = next++;
      const r = await post(url, id, READ, { id });
      if (r.errors) throw new Error(JSON.stringify(r.errors));
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
}

// rename-then-read until stop() is called; counts checks and stale reads
function staleChecker(url) {
  const state = { checks: 0, stale: 0, errors: 0, requests: 0, running: true };
  let seq = 0;
  state.done = (async () => {
    while (state.running) {
      const id = randomId(1, CHECKER_USERS);
      const name = `checked ${process.pid}-${++seq}`;
      try {
        const w = await post(url, id, RENAME, { id, name });
        state.requests++;
        if (!w.data || !w.data.updateUser || !w.data.updateUser.success) {
          state.errors++;
          continue;
        }
        const r = await post(url, id, READ, { id });
        state.requests++;
        state.checks++;
        if (!r.data || !r.data.user || r.data.user.name !== name) state.stale++;
      } catch (err) {
        state.errors++;
      }
    }
  })();
  return state;
}

async function run(url, users, connections, seconds) {
  const read = {
    method: 'POST',
    setupRequest: (req) => {
      const id = randomId(1, users);
      return { ...req, headers: headersFor(id), body: JSON.stringify({ query: READ, variables: { id } }) };
    },
  };
  const write = {
    method: 'POST',
    setupRequest: (req) => {
      const id = randomId(CHECKER_USERS + 1, users);
      const name = `renamed ${Math.random().toString(36).slice(2, 10)}`;
      return { ...req, headers: headersFor(id), body: JSON.stringify({ query: RENAME, variables: { id, name } }) };
    },
  };
  // GraphQL errors come with status 200: count the bodies that carry one
  let graphqlErrors = 0;
  const onResponse = (status, body) => {
    if (body && body.includes('"errors"')) graphqlErrors++;
  };
  const requests = Array.from({ length: 20 }, (_, i) => ({ ...(i === 19 ? write : read), onResponse }));

  const checker = staleChecker(url);
  const result = await autocannon({
    url, connections, duration: seconds, timeout: 60, requests,
  });
  checker.running = false;
  await checker.done;

  const total = result.requests.total + checker.requests;
  return {
    requests: total,
    rps: total / seconds,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
    checks: checker.checks,
    stale: checker.stale,
    checker_errors: checker.errors,
  };
}

async function main() {
  const [mode, url, users, connections, seconds] = process.argv.slice(2);
  if (mode === 'prime') {
    await prime(url, Number(users));
  } else if (mode === 'run') {
    console.log(JSON.stringify(await run(url, Number(users), Number(connections), Number(seconds))));
  } else {
    throw new Error('usage: node load.js prime URL USERS | run URL USERS CONNECTIONS SECONDS');
  }
  agent.destroy();
}

main().catch((err) => {
  console.error(err.stack || err.message);
  process.exit(1);
});
