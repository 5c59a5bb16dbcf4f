'use strict';
/**
 * Tessera attribute benchmark (SPEC section 6). Plain CommonJS; run it with `npm run bench`, which
 * builds first. It starts the built service (`node dist/src/service/main.js`) as a child process on a free
 * loopback port, with its own embedded PostgreSQL in a temporary DATA_DIR (or the server named by
 * DATABASE_URL), creates a super-user with the CLI, logs in over REST and drives the REST API with
 * autocannon. Then, unless BENCH_PEER=0, it runs bench/peer.js (express-session +
 * connect-pg-simple) against the same PostgreSQL server, and prints one table with both.
 *
 * Settings (environment): BENCH_SECONDS (10), BENCH_RUNS (3), BENCH_CONNECTIONS (64),
 * BENCH_WARMUP_SECONDS (2), BENCH_LOGIN_CONNECTIONS (8), BENCH_PEER (1), BENCH_SOAK_SECONDS (0),
 * BENCH_STRICT (0: exit non-zero only on errors; 1: also on a missed target), BENCH_DATA_DIR
 * (default: a fresh temporary directory, removed afterwards), BENCH_NODE_ARGS (extra node flags for
 * the service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), DATABASE_URL.
 *
 * Exit status: 0 when every request of the read/write runs answered 2xx (target misses are
 * reported, not fatal, unless BENCH_STRICT=1); 1 on errors; the service is stopped with SIGTERM
 * in every case.
 */
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');

const ROOT = path.resolve(__dirname, '..');
const HOST = '127.0.0.1';
const APP = 'bench';
const PASSWORD = 'bench-password-0123456789';

/** The SPEC section 6 figures: the peer as measured when the spec was written, and the targets. */
const SPEC = {
  peerReadRps: 1534,
  peerReadP99: 74,
  peerWriteRps: 300,
  readRps: 4500,
  readP99: 20,
  writeRps: 3000,
  createManyRatio: 20,
  loginP99Factor: 3,
  rssMb: 200,
};

// ---------------------------------------------------------------------------------------------
// Small helpers (bench/peer.js uses them too)

function envInt(name, fallback, min = 0) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number >= ${min}, got "${raw}"`);
  return value;
}

function settings() {
  return {
    seconds: envInt('BENCH_SECONDS', 10, 1),
    runs: envInt('BENCH_RUNS', 3, 1),
    connections: envInt('BENCH_CONNECTIONS', 64, 1),
    warmup: envInt('BENCH_WARMUP_SECONDS', 2, 0),
    loginConnections: envInt('BENCH_LOGIN_CONNECTIONS', 8, 1),
    soakSeconds: envInt('BENCH_SOAK_SECONDS', 0, 0),
    peer: (process.env.BENCH_PEER ?? '1').trim() !== '0',
    strict: (process.env.BENCH_STRICT ?? '0').trim() === '1',
    databaseUrl: process.env.DATABASE_URL?.trim() || undefined,
    dataDir: process.env.BENCH_DATA_DIR?.trim() || undefined,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function say(line = '') {
  process.stdout.write(`${line}\n`);
}

/** A free loopback port, from the kernel. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/** One JSON request on 127.0.0.1; resolves with {status, headers, json, text} whatever the status. */
function request(port, method, urlPath, { body, headers = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: HOST,
        port,
        method,
        path: urlPath,
        agent,
        headers: { ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}), ...headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, json, text });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath}: no answer in ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** Throws unless the status is one of `ok`; the message names the call and the error code, never a value. */
function expectStatus(res, ok, what) {
  const oks = Array.isArray(ok) ? ok : [ok];
  if (oks.includes(res.status)) return res;
  const code = res.json && typeof res.json === 'object' ? res.json.code ?? '' : '';
  const message = res.json && typeof res.json === 'object' ? res.json.message ?? '' : res.text.slice(0, 200);
  throw new Error(`${what}: HTTP ${res.status} ${code} ${message}`.trim());
}

function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---------------------------------------------------------------------------------------------
// Where the CPU went during a run (Linux /proc): the server under test, its PostgreSQL (the
// postmaster and its children), this load generator, and everything else on the machine (other
// work sharing the cores). Percentages are of one core.

const cpuTargets = { server: undefined, postmaster: undefined };
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function setCpuTargets(targets) {
  Object.assign(cpuTargets, targets);
}

function procTicks(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { ticks: Number(fields[11]) + Number(fields[12]), ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/**
 * Ticks of the postmaster and its children, by pid (a backend started during a run counts from its
 * start), each marked as a client backend or background work (autovacuum, checkpointer, io workers...).
 */
function postgresTicks(postmaster) {
  const out = new Map();
  if (!postmaster) return out;
  const own = procTicks(postmaster);
  if (!own) return out;
  out.set(postmaster, { ticks: own.ticks, background: true });
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = procTicks(entry);
    if (!p || p.ppid !== postmaster) continue;
    let title = '';
    try {
      title = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      /* gone */
    }
    // Client backends show "postgres: user database host(port) state".
    out.set(Number(entry), { ticks: p.ticks, background: !/\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(title) });
  }
  return out;
}

function cpuSnapshot() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = line[3] + line[4];
    const usage = process.cpuUsage();
    return {
      at: process.hrtime.bigint(),
      busy: total - idle,
      server: cpuTargets.server ? procTicks(cpuTargets.server)?.ticks : undefined,
      pg: postgresTicks(cpuTargets.postmaster),
      gen: (usage.user + usage.system) / (1e6 / TICKS_PER_SECOND),
    };
  } catch {
    return undefined;
  }
}

function cpuBetween(a, b) {
  if (!a || !b) return undefined;
  const secs = Number(b.at - a.at) / 1e9;
  const pct = (ticks) => (ticks / TICKS_PER_SECOND / secs) * 100;
  const server = a.server !== undefined && b.server !== undefined ? b.server - a.server : 0;
  let pg = 0;
  let pgBackground = 0;
  for (const [pid, now] of b.pg) {
    const used = now.ticks - (a.pg.get(pid)?.ticks ?? 0);
    pg += used;
    if (now.background) pgBackground += used;
  }
  const gen = b.gen - a.gen;
  const busy = b.busy - a.busy;
  return {
    server: Math.round(pct(server)),
    pg: cpuTargets.postmaster ? Math.round(pct(pg)) : undefined,
    pgBackground: cpuTargets.postmaster ? Math.round(pct(pgBackground)) : undefined,
    gen: Math.round(pct(gen)),
    other: Math.max(0, Math.round(pct(busy - server - pg - gen))),
    busy: Math.round(pct(busy)),
  };
}

const activeCannons = new Set();

/** One autocannon run; resolves with the numbers this benchmark reports. */
async function cannon(opts) {
  const instance = autocannon({ timeout: 30, ...opts });
  activeCannons.add(instance);
  const before = cpuSnapshot();
  try {
    const r = await instance;
    const cpu = cpuBetween(before, cpuSnapshot());
    return {
      cpu,
      rps: r.requests.average,
      total: r.requests.total,
      p50: r.latency.p50,
      p99: r.latency.p99,
      max: r.latency.max,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
      duration: r.duration,
    };
  } finally {
    activeCannons.delete(instance);
  }
}

function stopCannons() {
  for (const instance of activeCannons) {
    try {
      instance.stop();
    } catch {
      /* already stopped */
    }
  }
}

/** Medians of rps/p50/p99 over the runs; errors and non-2xx are summed. */
function summarise(runs) {
  const statusCodes = {};
  for (const run of runs) for (const [code, n] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    timeouts: runs.reduce((n, r) => n + r.timeouts, 0),
    statusCodes,
    // Median share of the cores other work took during the runs: how contended the machine was.
    otherCpu: median(runs.map((r) => r.cpu?.other)),
    serverCpu: median(runs.map((r) => r.cpu?.server)),
    pgCpu: median(runs.map((r) => r.cpu?.pg)),
    genCpu: median(runs.map((r) => r.cpu?.gen)),
    // Requests per CPU-second of server + PostgreSQL: less sensitive to other work than req/s.
    perCpuSecond: median(runs.map((r) => (r.cpu && r.cpu.server + (r.cpu.pg ?? 0) > 0 ? r.rps / ((r.cpu.server + (r.cpu.pg ?? 0)) / 100) : NaN))),
    runs,
  };
}

function fmtInt(n) {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

function fmtMs(n) {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 100 ? String(Math.round(n)) : n >= 10 ? n.toFixed(1).replace(/\.0$/, '') : n.toFixed(2).replace(/0$/, '');
}

function describeCpu(cpu) {
  if (!cpu) return '';
  const pg = cpu.pg === undefined ? '' : `, PostgreSQL ${cpu.pg}%${cpu.pgBackground ? ` (background ${cpu.pgBackground}%)` : ''}`;
  return ` [CPU: server ${cpu.server}%${pg}, load generator ${cpu.gen}%, other work ${cpu.other}%]`;
}

function describeRun(r, withCpu = true) {
  const bad = r.non2xx || r.errors ? `, non-2xx ${r.non2xx}, errors ${r.errors} ${JSON.stringify(r.statusCodes)}` : '';
  return `${fmtInt(r.rps)} req/s, p50 ${fmtMs(r.p50)} ms, p99 ${fmtMs(r.p99)} ms${bad}${withCpu ? describeCpu(r.cpu) : ''}`;
}

/** Warm-up, then `runs` measured runs of `opts` (autocannon options without duration). */
async function loadScenario(label, s, opts) {
  say(`\n${label}`);
  if (s.warmup > 0) {
    const w = await cannon({ ...opts, duration: s.warmup });
    say(`  warm-up ${s.warmup} s: ${describeRun(w)}`);
  }
  const runs = [];
  for (let i = 0; i < s.runs; i++) {
    const r = await cannon({ ...opts, duration: s.seconds });
    runs.push(r);
    say(`  run ${i + 1}/${s.runs}: ${describeRun(r)}`);
  }
  return summarise(runs);
}

function printTable(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  say(line(headers));
  say(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) say(line(row));
}

/** VmRSS and VmHWM of a process in MiB (Linux /proc), or undefined elsewhere. */
function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rssMb: kib('VmRSS') / 1024, hwmMb: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Runs `work(i)` for i in [0, count) with at most `concurrency` at once. */
async function pool(count, concurrency, work) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Sends SIGTERM and waits for the exit; SIGKILL after `graceMs`. Resolves with the exit code or signal. */
function stopChild(child, graceMs = 20_000) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve(child?.exitCode ?? child?.signalCode);
    const timer = setTimeout(() => {
      say(`  (pid ${child.pid} did not stop within ${graceMs / 1000} s of SIGTERM: SIGKILL)`);
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
    child.kill('SIGTERM');
  });
}

/** A child's output lines, kept (last `keep`) for error reports and echoed with a prefix when asked. */
function collectOutput(child, { keep = 60, echo } = {}) {
  const lines = [];
  const take = (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > keep) lines.shift();
      if (echo) echo(line);
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return lines;
}

/** Waits until `child` prints a line matching `pattern`; rejects if it exits first or after `timeoutMs`. */
function waitForLine(child, pattern, timeoutMs, lines) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk) => {
      buffer += chunk.toString('utf8');
      if (pattern.test(buffer)) done(null);
      else if (buffer.length > 65536) buffer = buffer.slice(-4096);
    };
    const onExit = (code, signal) =>
      done(new Error(`exited (${code ?? signal}) before it was ready:\n    ${lines.slice(-15).join('\n    ')}`));
    const timer = setTimeout(() => done(new Error(`not ready after ${timeoutMs / 1000} s:\n    ${lines.slice(-15).join('\n    ')}`)), timeoutMs);
    function done(error) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Runs a command to completion; resolves with {code, output}. */
function runCommand(args, env, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = collectOutput(child, { keep: 40 });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, output: lines.join('\n') });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The Tessera service under test

class Service {
  constructor(s) {
    this.s = s;
    this.ownsDataDir = !s.dataDir;
    this.dataDir = s.dataDir ? path.resolve(s.dataDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-'));
    this.child = undefined;
    this.port = undefined;
    this.lines = [];
    this.startupLines = 0;
  }

  env(extra = {}) {
    const env = {
      ...process.env,
      HOST,
      DATA_DIR: this.dataDir,
      // Set even when empty, so a .env file cannot point the benchmark at another server.
      DATABASE_URL: this.s.databaseUrl ?? '',
      LOG_LEVEL: 'warn',
      SSO_APPS: APP,
      NODE_ENV: process.env.NODE_ENV || 'development',
      // As `npm start` runs the service: two malloc arenas (see docs/performance.md, memory).
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX || '2',
      // Scenario 5 logs one account in from BENCH_LOGIN_CONNECTIONS connections at once: load, not an
      // attack, so the per-account share of the hash queue (8 by default) must not refuse it.
      LOGIN_MAX_PENDING_PER_ACCOUNT: process.env.LOGIN_MAX_PENDING_PER_ACCOUNT || '64',
      ...extra,
    };
    delete env.SESSION_TOUCH_INTERVAL; // the default (60 s) is part of what is measured
    return env;
  }

  async start() {
    const main = path.join(ROOT, 'dist/src/service/main.js');
    if (!fs.existsSync(main)) throw new Error(`${path.relative(ROOT, main)} is missing: run "npm run build" (or "npm run bench")`);
    this.port = await freePort();
    // BENCH_NODE_ARGS: extra flags for the service's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    this.child = spawn(process.execPath, [...nodeArgs, main], { cwd: ROOT, env: this.env({ PORT: String(this.port) }), stdio: ['ignore', 'pipe', 'pipe'] });
    this.lines = collectOutput(this.child, { keep: 200 });
    await waitForLine(this.child, /listening on http/, 120_000, this.lines).catch((error) => {
      throw new Error(`the service ${error.message}`);
    });
    this.startupLines = this.lines.length;
  }

  /** What the service printed after it started (at LOG_LEVEL=warn: warnings and errors only). */
  laterOutput() {
    return this.lines.slice(this.startupLines);
  }

  /** The embedded server's URL (port from postmaster.pid, password from DATA_DIR), or DATABASE_URL. */
  databaseUrl() {
    if (this.s.databaseUrl) return this.s.databaseUrl;
    const pid = fs.readFileSync(path.join(this.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n');
    const password = fs.readFileSync(path.join(this.dataDir, 'pg-password'), 'utf8').trim();
    return `postgres://tessera:${encodeURIComponent(password)}@${HOST}:${Number(pid[3])}/tessera`;
  }

  async createSuperUser(username) {
    const { code, output } = await runCommand([path.join(ROOT, 'dist/src/service/cli.js'), 'create-super-user', username], this.env({ SSO_PASSWORD: PASSWORD }));
    if (code !== 0) throw new Error(`create-super-user exited with ${code}:\n    ${output.split('\n').join('\n    ')}`);
  }

  async login(username) {
    const res = await request(this.port, 'POST', '/auth/login', { body: { username, password: PASSWORD, currentApp: APP } });
    expectStatus(res, 201, 'login');
    return { ust: res.json.ust, id: res.json.session.id, userId: res.json.session.userId };
  }

  async stop() {
    const child = this.child;
    this.child = undefined;
    if (child) {
      const result = await stopChild(child);
      if (result !== 0) say(`  (the service exited with ${result})`);
    }
    if (!this.s.databaseUrl) this.stopOrphanedPostgres();
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The embedded PostgreSQL's postmaster pid (undefined with DATABASE_URL). */
  postmasterPid() {
    if (this.s.databaseUrl) return undefined;
    try {
      return Number(fs.readFileSync(path.join(this.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
    } catch {
      return undefined;
    }
  }

  /** If the service was killed, its embedded PostgreSQL outlives it: stop it (fast shutdown). */
  stopOrphanedPostgres() {
    try {
      const pid = Number(fs.readFileSync(path.join(this.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid) {
        process.kill(pid, 'SIGINT');
        say(`  (stopped the embedded PostgreSQL left running, pid ${pid})`);
      }
    } catch {
      /* no pid file, or not running: nothing to do */
    }
  }
}

const auth = (ust) => ({ authorization: `Bearer ${ust}` });

// ---------------------------------------------------------------------------------------------
// Scenarios

const KIB_VALUE = 'x'.repeat(1022); // JSON text of 1,024 bytes
const SMALL_VALUE = { theme: 'dark', lang: 'en', tz: 'Europe/Prague', n: 42 };
const BATCH_VALUE = { v: 'y'.repeat(80) }; // ~90 bytes of JSON per item in scenario 3

async function readOne(svc, s, sess) {
  const base = '/sessions/current/attrs';
  expectStatus(await request(svc.port, 'PUT', `${base}/greeting`, { body: { value: SMALL_VALUE }, headers: auth(sess.ust) }), 200, 'set greeting');
  const check = expectStatus(await request(svc.port, 'GET', `${base}/greeting`, { headers: auth(sess.ust) }), 200, 'get greeting');
  if (JSON.stringify(check.json.value) !== JSON.stringify(SMALL_VALUE)) throw new Error('get greeting: the value read back differs');
  return loadScenario(`(1) GET one session attribute, ${s.connections} connections`, s, {
    url: `http://${HOST}:${svc.port}${base}/greeting`,
    connections: s.connections,
    headers: auth(sess.ust),
  });
}

function hundredNames() {
  return Array.from({ length: 100 }, (_, i) => `a${String(i).padStart(3, '0')}`);
}

async function fillHundred(svc, sess) {
  const data = hundredNames().map((name) => ({ name, value: KIB_VALUE }));
  const res = expectStatus(
    await request(svc.port, 'POST', '/sessions/current/attrs/batch/set', { body: { data }, headers: auth(sess.ust) }),
    200,
    'batch/set of 100 x 1 KiB',
  );
  if (res.json.attrs.length !== 100) throw new Error(`batch/set of 100 answered ${res.json.attrs.length} items`);
}

function putOpts(port, s, ust, pathFor) {
  return {
    url: `http://${HOST}:${port}/`,
    connections: s.connections,
    method: 'PUT',
    headers: { ...auth(ust), 'content-type': 'application/json' },
    body: JSON.stringify({ value: KIB_VALUE }),
    requests: [
      {
        setupRequest: (req) => {
          req.path = pathFor();
          return req;
        },
      },
    ],
  };
}

async function writeOne(svc, s, sess) {
  await fillHundred(svc, sess);
  const names = hundredNames();
  let i = 0;
  const spread = await loadScenario(
    `(2) PUT one 1 KiB attribute of a session holding 100 x 1 KiB, ${s.connections} connections, names in turn`,
    s,
    putOpts(svc.port, s, sess.ust, () => `/sessions/current/attrs/${names[i++ % 100]}`),
  );
  const hot = await loadScenario(
    `(2b) the same, every request on one name (a000): one hot row`,
    s,
    putOpts(svc.port, s, sess.ust, () => '/sessions/current/attrs/a000'),
  );
  const list = expectStatus(await request(svc.port, 'GET', '/sessions/current/attrs', { headers: auth(sess.ust) }), 200, 'list');
  if (list.json.attrs.length !== 100) throw new Error(`after the write runs the session holds ${list.json.attrs.length} attributes, not 100`);
  return { spread, hot };
}

async function createManyVsSingles(svc, s, username) {
  say('\n(3) createMany of 1,000 attributes in one call vs 1,000 single creates');
  const base = '/sessions/current/attrs';
  const once = async (sess, prefix) => {
    const data = Array.from({ length: 1000 }, (_, i) => ({ name: `${prefix}b${i}`, value: BATCH_VALUE }));
    let t = process.hrtime.bigint();
    const res = await request(svc.port, 'POST', `${base}/batch/create`, { body: { data }, headers: auth(sess.ust) });
    const batchMs = Number(process.hrtime.bigint() - t) / 1e6;
    expectStatus(res, 201, 'batch/create of 1,000');
    if (res.json.attrs.length !== 1000) throw new Error(`batch/create of 1,000 answered ${res.json.attrs.length} items`);
    const singles = async (tag, concurrency) => {
      t = process.hrtime.bigint();
      await pool(1000, concurrency, async (i) => {
        const r = await request(svc.port, 'POST', base, { body: { name: `${prefix}${tag}${i}`, value: BATCH_VALUE }, headers: auth(sess.ust) });
        expectStatus(r, 201, 'single create');
      });
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const seqMs = await singles('s', 1);
    const c8Ms = await singles('c', 8);
    return { batchMs, seqMs, c8Ms };
  };
  // Warm-up: JIT, prepared statements on the pool's connections.
  const warm = await svc.login(username);
  await once(warm, 'w');
  const runs = [];
  for (let r = 0; r < s.runs; r++) {
    const sess = await svc.login(username);
    const run = await once(sess, `r${r}`);
    runs.push(run);
    say(
      `  run ${r + 1}/${s.runs}: createMany ${fmtMs(run.batchMs)} ms; 1,000 creates one at a time ${fmtInt(run.seqMs)} ms ` +
        `(${(run.seqMs / run.batchMs).toFixed(1)}x), 8 at a time ${fmtInt(run.c8Ms)} ms (${(run.c8Ms / run.batchMs).toFixed(1)}x)`,
    );
  }
  return {
    batchMs: median(runs.map((r) => r.batchMs)),
    seqMs: median(runs.map((r) => r.seqMs)),
    c8Ms: median(runs.map((r) => r.c8Ms)),
    seqRatio: median(runs.map((r) => r.seqMs / r.batchMs)),
    c8Ratio: median(runs.map((r) => r.c8Ms / r.batchMs)),
    runs,
  };
}

async function concurrentWrites(svc, s, username) {
  say('\n(4) 50 concurrent PUTs of 50 distinct names on one session; 50 concurrent creates of one name');
  const base = '/sessions/current/attrs';
  const runs = [];
  for (let r = 0; r < s.runs; r++) {
    const sess = await svc.login(username);
    // Open the 50 connections first, so the writes themselves start together.
    await Promise.all(Array.from({ length: 50 }, () => request(svc.port, 'GET', '/sessions/current', { headers: auth(sess.ust) })));
    const puts = await Promise.all(
      Array.from({ length: 50 }, (_, i) => request(svc.port, 'PUT', `${base}/k${i}`, { body: { value: { i, at: Date.now() } }, headers: auth(sess.ust) })),
    );
    const putOk = puts.filter((p) => p.status === 200).length;
    const list = expectStatus(await request(svc.port, 'GET', base, { headers: auth(sess.ust) }), 200, 'list');
    const kept = list.json.attrs.filter((a) => /^k\d+$/.test(a.name)).length;
    const creates = await Promise.all(
      Array.from({ length: 50 }, (_, i) => request(svc.port, 'POST', base, { body: { name: 'once', value: i }, headers: auth(sess.ust) })),
    );
    const created = creates.filter((c) => c.status === 201).length;
    const conflicts = creates.filter((c) => c.status === 409 && c.json?.code === 'attr_exists').length;
    const unexpected = puts.filter((p) => p.status !== 200).concat(creates.filter((c) => c.status !== 201 && c.status !== 409));
    runs.push({ putOk, kept, created, conflicts, unexpected: unexpected.map((u) => `${u.status} ${u.json?.code ?? ''}`.trim()) });
    say(`  run ${r + 1}/${s.runs}: PUT 2xx ${putOk}/50, kept ${kept}/50; creates of one name: ${created} x 201, ${conflicts} x 409 attr_exists` +
      (unexpected.length ? `; unexpected: ${runs[r].unexpected.join(', ')}` : ''));
  }
  return {
    keptMin: Math.min(...runs.map((r) => r.kept)),
    createdMax: Math.max(...runs.map((r) => r.created)),
    createdMin: Math.min(...runs.map((r) => r.created)),
    unexpected: runs.flatMap((r) => r.unexpected),
    runs,
  };
}

async function readsDuringLogins(svc, s, sess, username) {
  say(`\n(5) GET one attribute (${s.connections} connections) while ${s.loginConnections} connections log in at full speed`);
  const readOpts = { url: `http://${HOST}:${svc.port}/sessions/current/attrs/greeting`, connections: s.connections, headers: auth(sess.ust) };
  const loginOpts = {
    url: `http://${HOST}:${svc.port}/auth/login`,
    connections: s.loginConnections,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD, currentApp: APP }),
  };
  const reads = [];
  const logins = [];
  for (let r = 0; r < s.runs; r++) {
    const [read, login] = await Promise.all([cannon({ ...readOpts, duration: s.seconds }), cannon({ ...loginOpts, duration: s.seconds })]);
    reads.push(read);
    logins.push(login);
    say(`  run ${r + 1}/${s.runs}: reads ${describeRun(read, false)}; logins ${describeRun(login)}`);
  }
  return { reads: summarise(reads), logins: summarise(logins) };
}

async function soak(svc, s, sess, sessWrite) {
  say(`\n(soak) ${s.soakSeconds} s of mixed reads and writes; RSS every 30 s`);
  const samples = [{ at: 0, ...memoryOf(svc.child.pid) }];
  const names = hundredNames();
  let i = 0;
  const readP = cannon({ url: `http://${HOST}:${svc.port}/sessions/current/attrs/greeting`, connections: Math.ceil(s.connections / 2), headers: auth(sess.ust), duration: s.soakSeconds });
  const writeP = cannon({ ...putOpts(svc.port, s, sessWrite.ust, () => `/sessions/current/attrs/${names[i++ % 100]}`), connections: Math.floor(s.connections / 2), duration: s.soakSeconds });
  const started = Date.now();
  const timer = setInterval(() => {
    const m = memoryOf(svc.child.pid);
    samples.push({ at: Math.round((Date.now() - started) / 1000), ...m });
    say(`  ${samples.at(-1).at} s: RSS ${m ? m.rssMb.toFixed(0) : 'n/a'} MiB`);
  }, 30_000);
  const [read, write] = await Promise.all([readP, writeP]).finally(() => clearInterval(timer));
  samples.push({ at: Math.round((Date.now() - started) / 1000), ...memoryOf(svc.child.pid) });
  say(`  reads ${describeRun(read, false)}; writes ${describeRun(write)}`);
  return { read, write, samples };
}

/** Runs bench/peer.js on the same PostgreSQL server; resolves with its results (or an error note). */
async function runPeer(svc) {
  say('\n(peer) express-session + connect-pg-simple on the same PostgreSQL server (bench/peer.js)');
  const child = spawn(process.execPath, [path.join(__dirname, 'peer.js')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: svc.databaseUrl(), BENCH_PG_PID: String(svc.postmasterPid() ?? '') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  currentPeer = child;
  let result;
  collectOutput(child, {
    keep: 5,
    echo: (line) => {
      if (line.startsWith('PEER_RESULT ')) result = JSON.parse(line.slice('PEER_RESULT '.length));
      else say(`  [peer] ${line}`);
    },
  });
  const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? sig)));
  currentPeer = undefined;
  if (code !== 0 || !result) return { error: `bench/peer.js exited with ${code}` };
  return result;
}

let currentPeer;

// ---------------------------------------------------------------------------------------------
// Report

function cpuCol(x) {
  const v = (n) => (Number.isFinite(n) ? String(Math.round(n)) : '-');
  return `${v(x.serverCpu)}/${v(x.pgCpu)}/${v(x.genCpu)}/${v(x.otherCpu)}`;
}

function verdict(ok) {
  return ok === undefined ? '' : ok ? 'meets' : 'MISSES';
}

function report(s, res, svc) {
  const { read, write, createMany, conc, loaded, memory, peer } = res;
  const havePeer = peer && !peer.error;
  const readTarget = havePeer ? Math.max(SPEC.readRps, 3 * peer.read.rps) : SPEC.readRps;
  const writeTarget = havePeer ? Math.max(SPEC.writeRps, 10 * peer.write.rps) : SPEC.writeRps;
  const checks = [];

  say(`\nResults: medians of ${s.runs} run(s) of ${s.seconds} s, ${s.connections} connections, 127.0.0.1`);
  const rows = [
    [
      '(1) GET one attribute',
      fmtInt(read.rps),
      fmtMs(read.p50),
      fmtMs(read.p99),
      read.non2xx + read.errors,
      cpuCol(read),
      fmtInt(read.perCpuSecond),
      `>= ${fmtInt(SPEC.readRps)} req/s${havePeer ? ` and 3x peer (${fmtInt(3 * peer.read.rps)})` : ''}, p99 <= ${SPEC.readP99} ms`,
      verdict(read.rps >= readTarget && read.p99 <= SPEC.readP99),
    ],
    [
      '(2) PUT one of 100 x 1 KiB (names in turn)',
      fmtInt(write.spread.rps),
      fmtMs(write.spread.p50),
      fmtMs(write.spread.p99),
      write.spread.non2xx + write.spread.errors,
      cpuCol(write.spread),
      fmtInt(write.spread.perCpuSecond),
      `>= ${fmtInt(SPEC.writeRps)} req/s${havePeer ? ` and 10x peer (${fmtInt(10 * peer.write.rps)})` : ''}`,
      verdict(write.spread.rps >= writeTarget),
    ],
    [
      '(2b) PUT one of 100 x 1 KiB (one hot name)',
      fmtInt(write.hot.rps),
      fmtMs(write.hot.p50),
      fmtMs(write.hot.p99),
      write.hot.non2xx + write.hot.errors,
      cpuCol(write.hot),
      fmtInt(write.hot.perCpuSecond),
      '(same target; informative)',
      '',
    ],
    [
      '(5) GET one attribute during logins',
      fmtInt(loaded.reads.rps),
      fmtMs(loaded.reads.p50),
      fmtMs(loaded.reads.p99),
      loaded.reads.non2xx + loaded.reads.errors,
      cpuCol(loaded.reads),
      fmtInt(loaded.reads.perCpuSecond),
      `p99 <= ${SPEC.loginP99Factor}x idle (${fmtMs(SPEC.loginP99Factor * read.p99)} ms)`,
      verdict(loaded.reads.p99 <= SPEC.loginP99Factor * read.p99),
    ],
    [
      '(5) ... the logins themselves',
      loaded.logins.rps.toFixed(1),
      fmtMs(loaded.logins.p50),
      fmtMs(loaded.logins.p99),
      loaded.logins.non2xx + loaded.logins.errors,
      '(same window)',
      '',
      'argon2-bound by design',
      '',
    ],
  ];
  if (havePeer) {
    rows.push(
      ['peer: GET one key', fmtInt(peer.read.rps), fmtMs(peer.read.p50), fmtMs(peer.read.p99), peer.read.non2xx + peer.read.errors, cpuCol(peer.read), fmtInt(peer.read.perCpuSecond), `spec quotes ${fmtInt(SPEC.peerReadRps)} req/s, p99 ${SPEC.peerReadP99} ms`, ''],
      ['peer: PUT one key of 100 x 1 KiB', fmtInt(peer.write.rps), fmtMs(peer.write.p50), fmtMs(peer.write.p99), peer.write.non2xx + peer.write.errors, cpuCol(peer.write), fmtInt(peer.write.perCpuSecond), `spec quotes ${fmtInt(SPEC.peerWriteRps)} req/s`, ''],
    );
  }
  printTable(['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx+err', 'CPU % srv/pg/gen/other', 'req/CPU-s', 'target', 'verdict'], rows);
  say('CPU: median % of one core (of 200 on 2 cores) taken by the server, its PostgreSQL, the load generator, and other work');
  say('on the machine. req/CPU-s: requests per CPU-second of server + PostgreSQL (less sensitive to other work).');

  say('');
  const createOk = createMany.seqRatio >= SPEC.createManyRatio;
  const concOk = conc.keptMin === 50 && conc.createdMin === 1 && conc.createdMax === 1;
  const rssOk = memory.end ? Math.max(memory.end.rssMb, memory.end.hwmMb) <= SPEC.rssMb : undefined;
  const checkRows = [
    ['(3) createMany of 1,000 (one call)', `${fmtMs(createMany.batchMs)} ms`, '', ''],
    ['(3) 1,000 single creates, one at a time', `${fmtInt(createMany.seqMs)} ms = ${createMany.seqRatio.toFixed(1)}x createMany`, `>= ${SPEC.createManyRatio}x`, verdict(createOk)],
    ['(3) 1,000 single creates, 8 at a time', `${fmtInt(createMany.c8Ms)} ms = ${createMany.c8Ratio.toFixed(1)}x createMany`, '(informative)', ''],
    ['(4) 50 concurrent PUTs, 50 names: kept', `${conc.runs.map((r) => r.kept).join(', ')} (per run)`, '50', verdict(conc.keptMin === 50)],
    ['(4) 50 concurrent creates of one name: 201s', `${conc.runs.map((r) => r.created).join(', ')} (per run)`, 'exactly 1', verdict(conc.createdMin === 1 && conc.createdMax === 1)],
    [
      '(6) service RSS after the runs',
      memory.end
        ? `${memory.end.rssMb.toFixed(0)} MiB (peak ${memory.end.hwmMb.toFixed(0)} MiB; ${memory.boot?.rssMb.toFixed(0)} MiB after start, ${memory.start.rssMb.toFixed(0)} after 2 logins)`
        : 'n/a (no /proc)',
      `<= ${SPEC.rssMb} MB`,
      verdict(rssOk),
    ],
  ];
  if (havePeer) {
    checkRows.push(
      ['peer: 50 concurrent writes, 50 keys: kept', `${peer.conc.runs.map((r) => r.kept).join(', ')} (per run)`, 'spec quotes 1-3 kept', ''],
      ['peer: server RSS after its runs', peer.memory ? `${peer.memory.rssMb.toFixed(0)} MiB (peak ${peer.memory.hwmMb.toFixed(0)} MiB)` : 'n/a', '', ''],
    );
  } else if (peer?.error) {
    checkRows.push(['peer', peer.error, '', '']);
  }
  if (res.soak) {
    const first = res.soak.samples[0];
    const last = res.soak.samples.at(-1);
    checkRows.push(['soak: RSS start -> end', `${first.rssMb?.toFixed(0)} -> ${last.rssMb?.toFixed(0)} MiB over ${last.at} s`, 'no growth', '']);
  }
  printTable(['check', 'result', 'target', 'verdict'], checkRows);

  checks.push(read.rps >= readTarget && read.p99 <= SPEC.readP99, write.spread.rps >= writeTarget, loaded.reads.p99 <= SPEC.loginP99Factor * read.p99, createOk, concOk, rssOk !== false);
  const later = svc.laterOutput();
  if (later.length) {
    say(`\nThe service printed ${later.length} line(s) during the runs (last ones):`);
    for (const line of later.slice(-10)) say(`  ${line.slice(0, 300)}`);
  }
  return checks.every(Boolean);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const s = settings();
  const began = Date.now();
  const svc = new Service(s);
  let stopping = false;
  const cleanup = async () => {
    if (stopping) return;
    stopping = true;
    stopCannons();
    if (currentPeer) await stopChild(currentPeer, 30_000);
    await svc.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      say(`\n${signal}: stopping the service`);
      cleanup().finally(() => process.exit(130));
    });
  }

  let exitCode = 0;
  try {
    say(`Tessera attribute benchmark: ${s.runs} run(s) x ${s.seconds} s, ${s.connections} connections, warm-up ${s.warmup} s`);
    say(`machine: ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}`);
    say(`code: ${codeVersion()}`);
    say(`database: ${s.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL in ${svc.dataDir}`}`);
    await svc.start();
    say(`service: pid ${svc.child.pid}, http://${HOST}:${svc.port}`);
    setCpuTargets({ server: svc.child.pid, postmaster: svc.postmasterPid() });
    const booted = memoryOf(svc.child.pid);
    const username = `bench.${process.pid}.${Date.now().toString(36)}`;
    await svc.createSuperUser(username);
    const sessRead = await svc.login(username);
    const sessWrite = await svc.login(username);
    const pgVersion = await postgresVersion(svc);
    if (pgVersion) say(`PostgreSQL: ${pgVersion}`);
    const memory = { boot: booted, start: memoryOf(svc.child.pid) };

    const res = { memory };
    memory.steps = [];
    const step = (label) => {
      const m = memoryOf(svc.child.pid);
      if (m) memory.steps.push(`${label} ${m.rssMb.toFixed(0)}`);
    };
    if (booted) memory.steps.push(`boot ${booted.rssMb.toFixed(0)}`);
    step('2 logins');
    res.read = await readOne(svc, s, sessRead);
    step('(1)');
    res.write = await writeOne(svc, s, sessWrite);
    step('(2)');
    res.createMany = await createManyVsSingles(svc, s, username);
    step('(3)');
    res.conc = await concurrentWrites(svc, s, username);
    step('(4)');
    res.loaded = await readsDuringLogins(svc, s, sessRead, username);
    step('(5)');
    memory.end = memoryOf(svc.child.pid);
    if (memory.end) {
      say(`\n(6) service RSS after the runs: ${memory.end.rssMb.toFixed(1)} MiB (VmHWM ${memory.end.hwmMb.toFixed(1)} MiB)`);
      say(`  RSS in MiB after each scenario: ${memory.steps.join(', ')}`);
    }
    if (s.soakSeconds > 0) res.soak = await soak(svc, s, sessRead, sessWrite);
    if (s.peer) res.peer = await runPeer(svc);

    const targetsMet = report(s, res, svc);
    const errors = [res.read, res.write.spread, res.write.hot, res.loaded.reads].reduce((n, r) => n + r.non2xx + r.errors, 0) + res.conc.unexpected.length;
    if (errors > 0) {
      say(`\nERROR: ${errors} non-2xx responses or request errors in the read/write runs`);
      exitCode = 1;
    } else if (!targetsMet && s.strict) {
      say('\nBENCH_STRICT=1 and a target was missed');
      exitCode = 1;
    }
    if (s.databaseUrl) await removeBenchUser(svc, sessRead);
    say(`\nJSON ${JSON.stringify(compact(s, res))}`);
  } catch (error) {
    say(`\nERROR: ${error instanceof Error ? error.message : String(error)}`);
    exitCode = 1;
  } finally {
    await cleanup();
    say(`done in ${Math.round((Date.now() - began) / 1000)} s`);
  }
  process.exit(exitCode);
}

/** The commit measured, and whether src/ or migrations/ differ from it (dist/ is built from the work tree). */
function codeVersion() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('log', '-1', '--format=%h %cI %s').slice(0, 120);
    const dirty = git('status', '--porcelain', '--', 'src', 'migrations');
    return `${commit}${dirty ? ' (plus uncommitted changes in src/ or migrations/)' : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

async function postgresVersion(svc) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: svc.databaseUrl() });
  try {
    await client.connect();
    return (await client.query('SHOW server_version')).rows[0].server_version;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** On a shared DATABASE_URL, leave nothing behind: the bench user (and with it its sessions). */
async function removeBenchUser(svc, sess) {
  const res = await request(svc.port, 'DELETE', `/users/${sess.userId}`, { headers: auth(sess.ust) }).catch(() => undefined);
  if (res && res.status < 300) return;
  // A super-user may not delete itself over REST: revoke its sessions (their attributes go with
  // them), then remove the user row directly.
  await request(svc.port, 'DELETE', '/sessions', { headers: auth(sess.ust) }).catch(() => undefined);
  const { Client } = require('pg');
  const client = new Client({ connectionString: svc.databaseUrl() });
  try {
    await client.connect();
    await client.query('DELETE FROM sso_user WHERE id = $1', [sess.userId]);
  } catch (error) {
    say(`note: could not delete the bench user ${sess.userId} (${error instanceof Error ? error.message : error}); its sessions were revoked`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function compact(s, res) {
  const strip = (x) =>
    x && { rps: Math.round(x.rps), p50: x.p50, p99: x.p99, non2xx: x.non2xx, errors: x.errors, cpu: cpuCol(x), perCpuSecond: Math.round(x.perCpuSecond) };
  return {
    settings: { seconds: s.seconds, runs: s.runs, connections: s.connections, code: codeVersion() },
    read: strip(res.read),
    writeSpread: strip(res.write.spread),
    writeHot: strip(res.write.hot),
    readDuringLogins: strip(res.loaded.reads),
    logins: { rps: res.loaded.logins.rps, p50: res.loaded.logins.p50, p99: res.loaded.logins.p99, non2xx: res.loaded.logins.non2xx, errors: res.loaded.logins.errors },
    createMany: { batchMs: res.createMany.batchMs, seqMs: res.createMany.seqMs, c8Ms: res.createMany.c8Ms, seqRatio: res.createMany.seqRatio, c8Ratio: res.createMany.c8Ratio },
    concurrent: res.conc.runs.map((r) => ({ kept: r.kept, created: r.created })),
    rssMb: res.memory.end && { end: res.memory.end.rssMb, peak: res.memory.end.hwmMb, boot: res.memory.boot?.rssMb, steps: res.memory.steps },
    peer: res.peer && !res.peer.error ? { read: strip(res.peer.read), write: strip(res.peer.write), kept: res.peer.conc.runs.map((r) => r.kept) } : res.peer,
  };
}

module.exports = {
  HOST,
  APP,
  PASSWORD,
  Service,
  SPEC,
  envInt,
  settings,
  sleep,
  say,
  freePort,
  request,
  expectStatus,
  median,
  cannon,
  stopCannons,
  summarise,
  loadScenario,
  describeRun,
  setCpuTargets,
  printTable,
  memoryOf,
  stopChild,
  collectOutput,
  waitForLine,
  fmtInt,
  fmtMs,
  KIB_VALUE,
  SMALL_VALUE,
};

if (require.main === module) main();
