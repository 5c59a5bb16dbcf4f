'use strict';
/**
 * The peers of SPEC section 6: what a Node user would pick instead of Tessera, express-session
 * keeping the whole session as one value in a store:
 *
 *   - `pg`:    connect-pg-simple, one JSON row per session in PostgreSQL (a pg Pool of 10, Tessera's
 *              DB_POOL_SIZE default), on the same PostgreSQL server as Tessera;
 *   - `redis`: connect-redis 10 with the `redis` 6 client, one Redis string per session, on the
 *              machine's Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379) under a key prefix of
 *              its own that the bench deletes afterwards.
 *
 * Both peers run the same express app (`peerApp` below); only the session store differs. The app
 * is the documented default a user would copy: express.json(), express-session with resave=false,
 * saveUninitialized=false. Its login does no password check: it is not measured.
 *
 * `node bench/peer.js serve --store pg|redis` runs one peer's HTTP server (bench/attrs.js starts
 * it as a child process, so the load generator does not share its event loop); its settings come
 * from PEER_PORT, PEER_DATABASE_URL (pg), PEER_REDIS_URL and PEER_REDIS_PREFIX (redis). The
 * orchestration (start, log in, fill, stop, clean up) is exported for bench/attrs.js.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');

const HOST = '127.0.0.1';
const TABLE = 'bench_peer_session';
const STORES = ['pg', 'redis'];
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** How to get a Redis for the bench, printed when the one asked for cannot be reached. */
const REDIS_HELP = [
  'The Redis peer needs a Redis server. Either start one locally, as the project machines run it:',
  '    redis-server --port 6379 --save "" --appendonly no',
  'or point the bench at one with BENCH_REDIS_URL=redis://host:port, or skip the Redis peer with',
  'BENCH_PEERS=pg (or BENCH_PEERS=none for no peers).',
];

// ---------------------------------------------------------------------------------------------
// Server mode (child process)

/** The express app both peers run; `store` is the express-session store. */
function peerApp(store) {
  const express = require('express');
  const session = require('express-session');
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.use(session({ store, secret: 'bench-peer-secret', resave: false, saveUninitialized: false }));
  const authed = (req, res, next) => (req.session.user ? next() : res.status(401).json({ code: 'session_invalid' }));

  app.post('/login', (req, res) => {
    req.session.user = String(req.body?.username ?? 'peer');
    req.session.attrs = {};
    res.status(201).json({ ok: true });
  });
  app.get('/attrs', authed, (req, res) => res.json({ names: Object.keys(req.session.attrs).sort() }));
  // Setup only (not measured): merge many keys at once, {values: {name: value, ...}}.
  app.put('/attrs', authed, (req, res) => {
    const values = req.body?.values;
    if (!values || typeof values !== 'object') return res.status(400).json({ code: 'validation_failed' });
    Object.assign(req.session.attrs, values);
    res.json({ names: Object.keys(values).length });
  });
  app.get('/attrs/:name', authed, (req, res) => {
    const value = req.session.attrs[req.params.name];
    if (value === undefined) return res.status(404).json({ code: 'attr_not_found' });
    res.json({ name: req.params.name, value });
  });
  app.put('/attrs/:name', authed, (req, res) => {
    if (!req.body || !('value' in req.body)) return res.status(400).json({ code: 'validation_failed' });
    req.session.attrs[req.params.name] = req.body.value;
    res.json({ name: req.params.name });
  });
  app.use((error, req, res, next) => {
    void next;
    process.stderr.write(`peer error: ${error?.message ?? error}\n`);
    res.status(500).json({ code: 'internal' });
  });
  return app;
}

async function openStore(kind) {
  const session = require('express-session');
  if (kind === 'pg') {
    const PgStore = require('connect-pg-simple')(session);
    const { Pool } = require('pg');
    const pool = new Pool({ connectionString: process.env.PEER_DATABASE_URL, max: Number(process.env.PEER_POOL_SIZE) || 10 });
    return { store: new PgStore({ pool, tableName: TABLE, createTableIfMissing: false }), close: () => pool.end() };
  }
  if (kind === 'redis') {
    const { RedisStore } = require('connect-redis');
    const { createClient } = require('redis');
    const client = createClient({ url: process.env.PEER_REDIS_URL });
    client.on('error', (error) => process.stderr.write(`peer redis client: ${error?.message ?? error}\n`));
    await client.connect();
    return { store: new RedisStore({ client, prefix: process.env.PEER_REDIS_PREFIX }), close: () => client.close() };
  }
  throw new Error(`unknown store "${kind}" (use ${STORES.join(' or ')})`);
}

async function serve(kind) {
  const { store, close } = await openStore(kind);
  const port = Number(process.env.PEER_PORT);
  const server = peerApp(store).listen(port, HOST, () => process.stdout.write(`peer (${kind}) listening on ${HOST}:${port}\n`));
  const stop = () => server.close(() => Promise.resolve(close()).finally(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// ---------------------------------------------------------------------------------------------
// Orchestration (used by bench/attrs.js)

async function withClient(url, work) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** connect-pg-simple's table.sql, with an index name of its own so it never clashes with a real store. */
async function createTable(url) {
  await withClient(url, async (c) => {
    await c.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await c.query(`CREATE TABLE ${TABLE} (sid varchar NOT NULL COLLATE "default" PRIMARY KEY, sess json NOT NULL, expire timestamp(6) NOT NULL)`);
    await c.query(`CREATE INDEX ${TABLE}_expire ON ${TABLE} (expire)`);
  });
}

async function dropTable(url) {
  await withClient(url, (c) => c.query(`DROP TABLE IF EXISTS ${TABLE}`)).catch(() => undefined);
}

async function redisClient(url) {
  const { createClient } = require('redis');
  const client = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  client.on('error', () => undefined); // connect() rejects with the error
  await client.connect();
  return client;
}

/** Parses `INFO` text into {field: value}. */
function parseInfo(text) {
  return Object.fromEntries(
    String(text)
      .split(/\r?\n/)
      .filter((l) => l.includes(':') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

/** The redis-server process on this machine: INFO's process_id when it is ours, else the only redis-server in /proc. */
function localRedisPid(infoPid) {
  const comm = (pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  if (infoPid && /redis/.test(comm(infoPid))) return infoPid;
  let found = [];
  try {
    found = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e) && comm(e) === 'redis-server').map(Number);
  } catch {
    /* no /proc */
  }
  return found.length === 1 ? found[0] : undefined;
}

/**
 * Can the bench use the Redis at `url`? Resolves with {ok, version, pid, durability} or {ok: false, error}.
 * `durability` says whether an acknowledged write reaches disk (RDB `save` and `appendonly`/`appendfsync`).
 */
async function probeRedis(url) {
  let client;
  try {
    client = await redisClient(url);
    await client.ping();
    const info = parseInfo(await client.info('server'));
    const persistence = parseInfo(await client.info('persistence'));
    let save;
    let appendfsync;
    try {
      save = Object.values(await client.configGet('save'))[0];
      appendfsync = Object.values(await client.configGet('appendfsync'))[0];
    } catch {
      /* CONFIG may be renamed away on a managed server */
    }
    const aof = persistence.aof_enabled === '1';
    const durability = aof
      ? `appendonly yes, appendfsync ${appendfsync ?? '?'}: ${appendfsync === 'always' ? 'each write is fsynced before the reply' : 'writes are acknowledged before they are fsynced (up to ~1 s of them can be lost)'}`
      : `appendonly no, save "${save ?? '?'}": acknowledged writes live in memory only and are lost if Redis stops${save ? ' (or reach disk later, in snapshots)' : ''}`;
    const host = new URL(url).hostname;
    const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
    return { ok: true, version: info.redis_version, pid: local ? localRedisPid(Number(info.process_id)) : undefined, durability };
  } catch (error) {
    return { ok: false, error: error?.message || String(error) || 'connection failed' };
  } finally {
    if (client?.isOpen) await client.close().catch(() => undefined);
  }
}

/** Deletes every key under `prefix`; resolves with how many. */
async function cleanRedis(url, prefix) {
  const client = await redisClient(url);
  let deleted = 0;
  try {
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      const keys = [].concat(batch);
      if (keys.length) deleted += await client.del(keys);
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  return deleted;
}

/**
 * Starts one peer's server as a child process. `opts`: {databaseUrl, postmaster} for pg,
 * {redisUrl, redisPrefix, redisPid} for redis. Resolves with the store description bench/attrs.js
 * measures (port, pids, login, fill, names, stop).
 */
async function startPeer(kind, opts, bench) {
  const env = { ...process.env, NODE_ENV: 'production', PEER_PORT: String(await bench.freePort()) };
  if (kind === 'pg') {
    await createTable(opts.databaseUrl);
    env.PEER_DATABASE_URL = opts.databaseUrl;
  } else {
    env.PEER_REDIS_URL = opts.redisUrl;
    env.PEER_REDIS_PREFIX = opts.redisPrefix;
  }
  const child = spawn(process.execPath, [__filename, 'serve', '--store', kind], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = bench.collectOutput(child, { keep: 50 });
  const port = Number(env.PEER_PORT);
  const cleanup = async () => {
    if (kind === 'pg') await dropTable(opts.databaseUrl);
    else {
      const n = await cleanRedis(opts.redisUrl, opts.redisPrefix).catch((error) => `not deleted (${error.message})`);
      bench.say(`  Redis peer: ${n} key(s) under "${opts.redisPrefix}" deleted`);
    }
  };
  try {
    await bench.waitForLine(child, /peer \(\w+\) listening/, 30_000, lines);
  } catch (error) {
    await bench.stopChild(child);
    await cleanup();
    throw new Error(`the ${kind} peer ${error.message}`);
  }
  const headersOf = async (res) => {
    bench.expectStatus(res, 201, `${kind} peer login`);
    const cookie = [].concat(res.headers['set-cookie'] ?? [])[0]?.split(';')[0];
    if (!cookie) throw new Error(`${kind} peer login set no cookie`);
    return { headers: { cookie } };
  };
  return {
    key: kind,
    name: kind === 'pg' ? 'PostgreSQL peer' : 'Redis peer',
    port,
    pid: child.pid,
    child,
    db: kind === 'pg' ? { postmaster: opts.postmaster } : { redis: opts.redisPid },
    dbName: kind === 'pg' ? 'PostgreSQL' : 'redis-server',
    attrPath: (name) => `/attrs/${encodeURIComponent(name)}`,
    login: async () => headersOf(await bench.request(port, 'POST', '/login', { body: { username: 'bench' } })),
    fill: async (sess, values) => {
      bench.expectStatus(await bench.request(port, 'PUT', '/attrs', { body: { values }, headers: sess.headers }), 200, `${kind} peer fill`);
    },
    names: async (sess) => bench.expectStatus(await bench.request(port, 'GET', '/attrs', { headers: sess.headers }), 200, `${kind} peer list`).json.names,
    laterOutput: () => lines.filter((l) => !/listening/.test(l)),
    stop: async () => {
      await bench.stopChild(child);
      await cleanup();
    },
  };
}

module.exports = { STORES, DEFAULT_REDIS_URL, REDIS_HELP, TABLE, peerApp, probeRedis, cleanRedis, startPeer };

if (require.main === module) {
  const storeArg = process.argv.indexOf('--store');
  if (process.argv[2] === 'serve' && storeArg > 0 && STORES.includes(process.argv[storeArg + 1])) {
    serve(process.argv[storeArg + 1]).catch((error) => {
      process.stderr.write(`peer: ${error?.message ?? error}\n`);
      process.exit(1);
    });
  } else {
    process.stderr.write(
      'usage: node bench/peer.js serve --store pg|redis   (one peer server; bench/attrs.js starts it)\n' +
        'The peers are measured by `npm run bench` beside Tessera; BENCH_PEERS=pg,redis|pg|redis|none selects them.\n',
    );
    process.exit(2);
  }
}
