'use strict';
/**
 * Tessera attribute benchmark (SPEC section 6). Plain CommonJS; run it with `npm run bench`, which
 * builds first. It starts the built service (`node dist/src/service/main.js`) as a child process on a
 * free loopback port, with its own embedded PostgreSQL in a temporary DATA_DIR (or the server named
 * by DATABASE_URL), creates a super-user with the CLI, logs in over REST and drives the REST API with
 * autocannon. Beside it, in the same run, it measures the peers of section 6 (bench/peer.js):
 * express-session + connect-pg-simple on the same PostgreSQL server, and express-session +
 * connect-redis on the machine's Redis. Scenarios (a) read, (b) write 100 B, (c) write 1 KiB run on
 * all three stores, each with 64 distinct sessions and with one shared session, store after store
 * within each run round so that drift on a shared machine hits all of them alike.
 *
 * Settings and exit status: bench/README.md. The service and the peers are stopped with SIGTERM in
 * every case; the peers' PostgreSQL table and Redis keys are removed.
 */
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const autocannon = require('autocannon');
const peers = require('./peer.js');
const { setupClientFor } = require('./plan.js');

const ROOT = path.resolve(__dirname, '..');
const HOST = '127.0.0.1';
const APP = 'bench';
const PASSWORD = 'bench-password-0123456789';

/** The SPEC section 6 targets: ratios against the peers measured in the same run, and absolute bounds. */
const SPEC = {
  readVsRedis: 1.5,
  readVsPg: 4,
  readP99: 20,
  writeVsRedis: 1.3,
  writeVsPg: 1, // "ahead of" the PostgreSQL peer
  createManyRatio: 20,
  loginP99Factor: 3,
  rssMb: 200,
  soakGrowth: 0.1, // end RSS within 10% of the RSS after 2 minutes
};

/** Scenario ids for BENCH_SCENARIOS, in the order they run. */
const SCENARIOS = ['a', 'b', 'c', 'hot', 'createmany', 'concurrent', 'logins'];

// ---------------------------------------------------------------------------------------------
// Small helpers (bench/peer.js uses them too, passed in)

function envInt(name, fallback, min = 0) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number >= ${min}, got "${raw}"`);
  return value;
}

/** A comma list from the environment, checked against `allowed`; `none` gives []. */
function envList(name, fallback, allowed) {
  const raw = (process.env[name] ?? '').trim();
  if (!raw) return fallback;
  if (raw === 'none') return [];
  const items = raw.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
  const bad = items.filter((x) => !allowed.includes(x));
  if (bad.length) throw new Error(`${name}: unknown ${bad.join(', ')} (use ${allowed.join(',')} or none)`);
  return allowed.filter((x) => items.includes(x));
}

function envChoice(name, fallback, allowed) {
  const raw = (process.env[name] ?? '').trim().toLowerCase();
  if (!raw) return fallback;
  if (!allowed.includes(raw)) throw new Error(`${name}: unknown ${raw} (use ${allowed.join(' or ')})`);
  return raw;
}

function settings() {
  // BENCH_PEER=0 (the old switch) still means "no peers".
  const legacyNoPeer = (process.env.BENCH_PEER ?? '').trim() === '0' && !process.env.BENCH_PEERS;
  return {
    seconds: envInt('BENCH_SECONDS', 10, 1),
    runs: envInt('BENCH_RUNS', 3, 1),
    connections: envInt('BENCH_CONNECTIONS', 64, 1),
    warmup: envInt('BENCH_WARMUP_SECONDS', 2, 0),
    loginConnections: envInt('BENCH_LOGIN_CONNECTIONS', 8, 1),
    soakSeconds: envInt('BENCH_SOAK_SECONDS', 0, 0),
    soakCsv: process.env.BENCH_SOAK_CSV?.trim() || undefined,
    scenarios: envList('BENCH_SCENARIOS', SCENARIOS, SCENARIOS),
    peers: legacyNoPeer ? [] : envList('BENCH_PEERS', peers.STORES, peers.STORES),
    modes: envList('BENCH_MODES', MODES, MODES),
    cannon: envChoice('BENCH_CANNON', 'worker', ['worker', 'main']),
    redisUrl: process.env.BENCH_REDIS_URL?.trim() || peers.DEFAULT_REDIS_URL,
    strict: (process.env.BENCH_STRICT ?? '0').trim() === '1',
    databaseUrl: process.env.DATABASE_URL?.trim() || undefined,
    dataDir: process.env.BENCH_DATA_DIR?.trim() || undefined,
  };
}

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
// Where the CPU went during a run (Linux /proc): the server under test (Tessera or a peer), its
// database (PostgreSQL: the postmaster and its children; or redis-server), this load generator, and
// everything else on the machine (other work sharing the cores). Percentages are of one core; the
// per-request figures are milliseconds of CPU per answered request.

const cpuTargets = { server: undefined, postmaster: undefined, redis: undefined };
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function setCpuTargets(targets) {
  Object.assign(cpuTargets, { server: undefined, postmaster: undefined, redis: undefined }, targets);
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
      redis: cpuTargets.redis ? procTicks(cpuTargets.redis)?.ticks : undefined,
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
  const redis = a.redis !== undefined && b.redis !== undefined ? b.redis - a.redis : 0;
  const gen = b.gen - a.gen;
  const busy = b.busy - a.busy;
  return {
    server: Math.round(pct(server)),
    pg: cpuTargets.postmaster ? Math.round(pct(pg)) : undefined,
    pgBackground: cpuTargets.postmaster ? Math.round(pct(pgBackground)) : undefined,
    redis: cpuTargets.redis ? Math.round(pct(redis)) : undefined,
    gen: Math.round(pct(gen)),
    other: Math.max(0, Math.round(pct(busy - server - pg - redis - gen))),
    busy: Math.round(pct(busy)),
    // Raw CPU milliseconds, for CPU per request. The database is PostgreSQL or redis-server.
    serverMs: cpuTargets.server ? (server * 1000) / TICKS_PER_SECOND : undefined,
    dbMs: cpuTargets.postmaster || cpuTargets.redis ? ((pg + redis) * 1000) / TICKS_PER_SECOND : undefined,
  };
}

const activeCannons = new Set();

/** One autocannon run; resolves with the numbers this benchmark reports. `onInstance` sees the running instance. */
async function cannon(opts, onInstance) {
  const instance = opts.plan && opts.inWorker ? cannonInWorker(opts) : autocannon({ timeout: 30, ...asOptions(opts) });
  activeCannons.add(instance);
  if (onInstance) onInstance(instance);
  const before = cpuSnapshot();
  try {
    const r = await instance;
    const cpu = cpuBetween(before, cpuSnapshot());
    const total = r.requests.total;
    return {
      cpu,
      rps: r.requests.average,
      total,
      p50: r.latency.p50,
      p99: r.latency.p99,
      max: r.latency.max,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
      duration: r.duration,
      serverMsPerReq: cpu?.serverMs !== undefined && total > 0 ? cpu.serverMs / total : undefined,
      dbMsPerReq: cpu?.dbMs !== undefined && total > 0 ? cpu.dbMs / total : undefined,
    };
  } finally {
    activeCannons.delete(instance);
  }
}

/**
 * A run described by `opts.plan` (perConnection) in a worker thread of its own: see
 * bench/cannon-worker.js for why. Resolves like an autocannon instance; stop() ends it early.
 */
function cannonInWorker({ url, connections, duration, timeout = 30, plan }) {
  const worker = new Worker(path.join(__dirname, 'cannon-worker.js'), { workerData: { url, connections, duration, timeout, ...plan } });
  const done = new Promise((resolve, reject) => {
    worker.once('message', (m) => (m.error ? reject(new Error(`load generator: ${m.error}`)) : resolve(m)));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load generator worker exited (${code}) without a result`)));
  });
  const finished = done.finally(() => worker.terminate());
  return Object.assign(finished, { stop: () => worker.postMessage('stop') });
}

/** autocannon options for a run in this thread (BENCH_CANNON=main, or no plan): the plan's setupClient. */
function asOptions({ plan, inWorker: _inWorker, ...opts }) {
  return plan ? { ...opts, setupClient: setupClientFor(plan) } : opts;
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

/** Medians of rps/p50/p99 and CPU over the runs; errors and non-2xx are summed. */
function summarise(runs) {
  const statusCodes = {};
  for (const run of runs) for (const [code, n] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const dbPct = (r) => (r.cpu ? (r.cpu.pg ?? 0) + (r.cpu.redis ?? 0) : undefined);
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
    dbCpu: median(runs.map(dbPct)),
    genCpu: median(runs.map((r) => r.cpu?.gen)),
    serverMsPerReq: median(runs.map((r) => r.serverMsPerReq)),
    dbMsPerReq: median(runs.map((r) => r.dbMsPerReq)),
    // Requests per CPU-second of server + database: less sensitive to other work than req/s.
    perCpuSecond: median(runs.map((r) => (r.cpu && r.cpu.server + (dbPct(r) ?? 0) > 0 ? r.rps / ((r.cpu.server + (dbPct(r) ?? 0)) / 100) : NaN))),
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

/** CPU ms per request, 3 decimals (ticks are 10 ms, so short runs with few requests are coarse). */
function fmtCpuMs(n) {
  return Number.isFinite(n) ? n.toFixed(3) : 'n/a';
}

function describeCpu(cpu) {
  if (!cpu) return '';
  const pg = cpu.pg === undefined ? '' : `, PostgreSQL ${cpu.pg}%${cpu.pgBackground ? ` (background ${cpu.pgBackground}%)` : ''}`;
  const redis = cpu.redis === undefined ? '' : `, redis-server ${cpu.redis}%`;
  return ` [CPU: server ${cpu.server}%${pg}${redis}, load generator ${cpu.gen}%, other work ${cpu.other}%]`;
}

function describeRun(r, withCpu = true) {
  const bad = r.non2xx || r.errors ? `, non-2xx ${r.non2xx}, errors ${r.errors} ${JSON.stringify(r.statusCodes)}` : '';
  const perReq = withCpu && r.serverMsPerReq !== undefined ? `, CPU/req server ${fmtCpuMs(r.serverMsPerReq)} ms${r.dbMsPerReq !== undefined ? ` + db ${fmtCpuMs(r.dbMsPerReq)} ms` : ''}` : '';
  return `${fmtInt(r.rps)} req/s, p50 ${fmtMs(r.p50)} ms, p99 ${fmtMs(r.p99)} ms${bad}${perReq}${withCpu ? describeCpu(r.cpu) : ''}`;
}

/** Warm-up, then `runs` measured runs of `opts` (autocannon options without duration) on one server. */
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

/**
 * The same load on every store, side by side: a warm-up of each, then `runs` rounds, each round one
 * run per store in turn. `optsFor(store)` gives fresh autocannon options (without duration).
 * Resolves with {storeKey: summary}.
 */
async function compareScenario(label, s, stores, optsFor) {
  say(`\n${label}`);
  const runs = Object.fromEntries(stores.map((st) => [st.key, []]));
  if (s.warmup > 0) {
    for (const st of stores) {
      setCpuTargets({ server: st.pid, ...st.db });
      const w = await cannon({ ...optsFor(st), duration: s.warmup });
      say(`  ${st.name.padEnd(15)} warm-up ${s.warmup} s: ${describeRun(w, false)}`);
    }
  }
  for (let i = 0; i < s.runs; i++) {
    for (const st of stores) {
      setCpuTargets({ server: st.pid, ...st.db });
      const r = await cannon({ ...optsFor(st), duration: s.seconds });
      runs[st.key].push(r);
      say(`  ${st.name.padEnd(15)} run ${i + 1}/${s.runs}: ${describeRun(r)}`);
    }
  }
  return Object.fromEntries(Object.entries(runs).map(([key, rs]) => [key, summarise(rs)]));
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
      MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ || '1048576',
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
    // As `npm start` runs it: V8's old space capped (MAX_OLD_SPACE_MB, 512), which also keeps V8 from
    // letting garbage grow the heap by ~70 MiB under load before its first full collection.
    // BENCH_NODE_ARGS: extra flags for the service's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeArgs = [
      `--max-old-space-size=${process.env.MAX_OLD_SPACE_MB || '512'}`,
      ...(process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    ];
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
// The stores measured: Tessera, and the peers (bench/peer.js). Each has the same shape: port, pid
// of its server, its database (for the CPU accounting), login() -> {headers}, attrPath(name),
// fill(session, {name: value}), names(session).

function tesseraStore(svc, username) {
  const base = '/sessions/current/attrs';
  return {
    key: 'tessera',
    name: 'Tessera',
    port: svc.port,
    pid: svc.child.pid,
    db: { postmaster: svc.postmasterPid() },
    dbName: 'PostgreSQL',
    attrPath: (name) => `${base}/${encodeURIComponent(name)}`,
    login: async () => {
      const sess = await svc.login(username);
      return { ...sess, headers: auth(sess.ust) };
    },
    fill: async (sess, values) => {
      const data = Object.entries(values).map(([name, value]) => ({ name, value }));
      const res = expectStatus(await request(svc.port, 'POST', `${base}/batch/set`, { body: { data }, headers: sess.headers }), 200, `batch/set of ${data.length}`);
      if (res.json.attrs.length !== data.length) throw new Error(`batch/set of ${data.length} answered ${res.json.attrs.length} items`);
    },
    names: async (sess) => expectStatus(await request(svc.port, 'GET', base, { headers: sess.headers }), 200, 'list').json.attrs.map((a) => a.name),
  };
}

const STORE_COLUMNS = [
  ['tessera', 'Tessera'],
  ['pg', 'PG peer'],
  ['redis', 'Redis peer'],
];

// ---------------------------------------------------------------------------------------------
// Scenarios

const KIB_VALUE = 'x'.repeat(1022); // JSON text of 1,024 bytes
const VALUE_100B = 'v'.repeat(98); // JSON text of 100 bytes
const BATCH_VALUE = { v: 'y'.repeat(80) }; // ~90 bytes of JSON per item in the createMany scenario

/** The two session shapes of SPEC 6: 10 x 100 B (scenarios a, b) and 100 x 1 KiB (scenario c). */
const SHAPES = {
  small: { names: Array.from({ length: 10 }, (_, i) => `n${i}`), value: VALUE_100B, what: '10 x 100 B' },
  kib: { names: Array.from({ length: 100 }, (_, i) => `a${String(i).padStart(3, '0')}`), value: KIB_VALUE, what: '100 x 1 KiB' },
};

/** The section-6 comparisons: (a) read, (b) write 100 B, (c) write 1 KiB; each distinct and shared. */
const COMPARISONS = {
  a: { shape: 'small', kind: 'read', title: '(a) read one attribute of a session of 10 x 100 B' },
  b: { shape: 'small', kind: 'write', title: '(b) write one 100 B attribute of a session of 10 x 100 B, the 10 names in turn' },
  c: { shape: 'kib', kind: 'write', title: '(c) write one 1 KiB attribute of a session of 100 x 1 KiB, the 100 names in turn' },
};
const MODES = ['distinct', 'shared'];

/**
 * A store's sessions of one shape, made once: `distinct` (one per connection) and `shared` (one).
 * Logins run a few at a time (Tessera's are argon2-bound).
 */
async function sessionsOf(store, shapeKey, s, cache) {
  const key = `${store.key}:${shapeKey}`;
  if (cache.has(key)) return cache.get(key);
  const shape = SHAPES[shapeKey];
  const values = Object.fromEntries(shape.names.map((n) => [n, shape.value]));
  const all = new Array(s.connections + 1);
  await pool(all.length, 4, async (i) => {
    const sess = await store.login();
    await store.fill(sess, values);
    all[i] = sess;
  });
  const set = { distinct: all.slice(0, s.connections), shared: all[s.connections] };
  cache.set(key, set);
  return set;
}

/**
 * autocannon options where connection k uses sessions[k % n] (its own session when there is one per
 * connection), and cycles through `names` starting at its own offset. `body`: a JSON text for PUT.
 * The run goes to a worker thread of its own unless BENCH_CANNON=main (`inWorker`).
 */
function perConnection(store, s, sessions, { method = 'GET', names, body }) {
  return {
    url: `http://${HOST}:${store.port}/`,
    connections: s.connections,
    plan: { method, body, paths: names.map((n) => store.attrPath(n)), headers: sessions.map((sess) => sess.headers) },
    inWorker: s.cannon === 'worker',
  };
}

/** Scenarios a, b, c on every store, distinct then shared; resolves with {mode: {storeKey: summary}}. */
async function comparison(id, stores, s, cache) {
  const cmp = COMPARISONS[id];
  const shape = SHAPES[cmp.shape];
  const out = {};
  for (const mode of s.modes) {
    const sets = {};
    for (const st of stores) sets[st.key] = await sessionsOf(st, cmp.shape, s, cache);
    const sessionsFor = (st) => (mode === 'distinct' ? sets[st.key].distinct : [sets[st.key].shared]);
    const load =
      cmp.kind === 'read'
        ? { names: [shape.names[0]] }
        : { method: 'PUT', names: shape.names, body: JSON.stringify({ value: shape.value }) };
    const label = `${cmp.title}; ${mode === 'distinct' ? `${s.connections} distinct sessions` : `one shared session`}, ${s.connections} connections`;
    out[mode] = await compareScenario(label, s, stores, (st) => perConnection(st, s, sessionsFor(st), load));
  }
  // The sessions still hold their shape (a write run must not add or lose names).
  const tessera = stores.find((st) => st.key === 'tessera');
  const names = await tessera.names(cache.get(`tessera:${cmp.shape}`).shared);
  if (names.length !== shape.names.length) throw new Error(`after ${id} the shared Tessera session holds ${names.length} attributes, not ${shape.names.length}`);
  return out;
}

async function hotName(tessera, s, cache) {
  const set = await sessionsOf(tessera, 'kib', s, cache);
  setCpuTargets({ server: tessera.pid, ...tessera.db });
  return loadScenario(
    `(hot) Tessera: write one 1 KiB attribute of a session of 100 x 1 KiB, every request on one name (a000): one hot row, ${s.connections} connections`,
    s,
    perConnection(tessera, s, [set.shared], { method: 'PUT', names: ['a000'], body: JSON.stringify({ value: KIB_VALUE }) }),
  );
}

async function createManyVsSingles(svc, s, username) {
  say('\n(createmany) Tessera: createMany of 1,000 attributes in one call vs 1,000 single creates');
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

/** 50 parallel writes of 50 distinct names on one fresh session of `store`; resolves with {putOk, kept, session, unexpected}. */
async function fiftyWrites(store) {
  const sess = await store.login();
  // Open the 50 connections first, so the writes themselves start together.
  await Promise.all(Array.from({ length: 50 }, () => request(store.port, 'GET', store.attrPath('none'), { headers: sess.headers })));
  const puts = await Promise.all(
    Array.from({ length: 50 }, (_, i) => request(store.port, 'PUT', store.attrPath(`k${i}`), { body: { value: { i, at: Date.now() } }, headers: sess.headers })),
  );
  const kept = (await store.names(sess)).filter((n) => /^k\d+$/.test(n)).length;
  const putOk = puts.filter((p) => p.status === 200).length;
  return { putOk, kept, sess, unexpected: puts.filter((p) => p.status !== 200).map((u) => `${u.status} ${u.json?.code ?? ''}`.trim()) };
}

/** 50 concurrent writes of 50 keys on every store; for Tessera also 50 concurrent creates of one name. */
async function concurrentWrites(stores, s) {
  say('\n(concurrent) 50 concurrent PUTs of 50 distinct names on one session (every store); Tessera: 50 concurrent creates of one name');
  const out = {};
  for (const st of stores) {
    const runs = [];
    for (let r = 0; r < s.runs; r++) {
      const w = await fiftyWrites(st);
      const run = { putOk: w.putOk, kept: w.kept, unexpected: w.unexpected };
      if (st.key === 'tessera') {
        const creates = await Promise.all(
          Array.from({ length: 50 }, (_, i) => request(st.port, 'POST', '/sessions/current/attrs', { body: { name: 'once', value: i }, headers: w.sess.headers })),
        );
        run.created = creates.filter((c) => c.status === 201).length;
        run.conflicts = creates.filter((c) => c.status === 409 && c.json?.code === 'attr_exists').length;
        run.unexpected.push(...creates.filter((c) => c.status !== 201 && c.status !== 409).map((u) => `${u.status} ${u.json?.code ?? ''}`.trim()));
      }
      runs.push(run);
      const creates = run.created === undefined ? '' : `; creates of one name: ${run.created} x 201, ${run.conflicts} x 409 attr_exists`;
      say(`  ${st.name.padEnd(15)} run ${r + 1}/${s.runs}: PUT 2xx ${run.putOk}/50, kept ${run.kept}/50${creates}${run.unexpected.length ? `; unexpected: ${run.unexpected.join(', ')}` : ''}`);
    }
    out[st.key] = {
      runs,
      keptMin: Math.min(...runs.map((r) => r.kept)),
      createdMin: Math.min(...runs.map((r) => r.created ?? 1)),
      createdMax: Math.max(...runs.map((r) => r.created ?? 1)),
      unexpected: runs.flatMap((r) => r.unexpected),
    };
  }
  return out;
}

async function readsDuringLogins(tessera, s, cache, username, idle) {
  const set = await sessionsOf(tessera, 'small', s, cache);
  const readOpts = () => perConnection(tessera, s, [set.shared], { names: [SHAPES.small.names[0]] });
  setCpuTargets({ server: tessera.pid, ...tessera.db });
  let idleP99 = idle?.p99;
  if (!Number.isFinite(idleP99)) idleP99 = (await loadScenario('(logins) Tessera: idle reads first (scenario a, shared, was not run)', s, readOpts())).p99;
  say(`\n(logins) Tessera: read one attribute (${s.connections} connections, one session) while ${s.loginConnections} connections log in at full speed`);
  const loginOpts = {
    url: `http://${HOST}:${tessera.port}/auth/login`,
    connections: s.loginConnections,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD, currentApp: APP }),
  };
  const reads = [];
  const logins = [];
  for (let r = 0; r < s.runs; r++) {
    const [read, login] = await Promise.all([cannon({ ...readOpts(), duration: s.seconds }), cannon({ ...loginOpts, duration: s.seconds })]);
    // The two loads share the window: CPU per request of either alone would mislead.
    for (const r of [read, login]) r.serverMsPerReq = r.dbMsPerReq = undefined;
    reads.push(read);
    logins.push(login);
    say(`  run ${r + 1}/${s.runs}: reads ${describeRun(read, false)}; logins ${describeRun(login)}`);
  }
  return { reads: summarise(reads), logins: summarise(logins), idleP99 };
}

/**
 * The soak: Tessera alone, one session per connection (10 x 100 B each), every connection doing
 * 4 reads then 1 write (100 B, the 10 names in turn), for BENCH_SOAK_SECONDS; the service's RSS at
 * the start, every 30 s and at the end.
 */
async function soak(svc, tessera, s, cache) {
  const set = await sessionsOf(tessera, 'small', s, cache);
  const names = SHAPES.small.names;
  const putBody = JSON.stringify({ value: VALUE_100B });
  say(`\n(soak) Tessera: ${s.soakSeconds} s of 80% reads / 20% writes, ${s.connections} connections on ${s.connections} distinct sessions; RSS every 30 s`);
  let k = 0;
  const opts = {
    url: `http://${HOST}:${tessera.port}/`,
    connections: s.connections,
    duration: s.soakSeconds,
    setupClient: (client) => {
      const sess = set.distinct[k % set.distinct.length];
      let c = k++;
      const next = (r) => {
        const write = c % 5 === 4;
        r.path = tessera.attrPath(names[c++ % names.length]);
        // Fresh header objects: autocannon writes Content-Length into the one it is given.
        if (write) Object.assign(r, { method: 'PUT', headers: { ...sess.headers, 'content-type': 'application/json' }, body: putBody });
        else Object.assign(r, { method: 'GET', headers: { ...sess.headers }, body: undefined });
        return r;
      };
      client.setRequests([{ method: 'GET', path: '/', headers: { ...sess.headers }, setupRequest: next }]);
    },
  };
  let responses = 0;
  const started = Date.now();
  const samples = [];
  const sample = () => {
    const m = memoryOf(svc.child.pid);
    const row = { at: Math.round((Date.now() - started) / 1000), rssMb: m?.rssMb, hwmMb: m?.hwmMb, requests: responses };
    samples.push(row);
    say(`  ${String(row.at).padStart(4)} s: RSS ${m ? m.rssMb.toFixed(1) : 'n/a'} MiB (peak ${m ? m.hwmMb.toFixed(1) : 'n/a'}), ${fmtInt(responses)} requests so far`);
  };
  sample();
  setCpuTargets({ server: tessera.pid, ...tessera.db });
  const timer = setInterval(sample, 30_000);
  let run;
  try {
    run = await cannon(opts, (instance) => instance.on('response', () => responses++));
  } finally {
    clearInterval(timer);
  }
  // The last 30-s tick can land on the end: keep one sample there.
  if (samples.length > 1 && samples.at(-1).at >= s.soakSeconds - 2) samples.pop();
  sample();
  say(`  load: ${describeRun(run)}`);
  const judged = judgeSoak(samples, s.soakSeconds);
  if (s.soakCsv) {
    const csv = ['seconds,rss_mib,peak_mib,requests', ...samples.map((x) => `${x.at},${x.rssMb?.toFixed(1) ?? ''},${x.hwmMb?.toFixed(1) ?? ''},${x.requests}`)].join('\n');
    fs.writeFileSync(s.soakCsv, `${csv}\n`);
    say(`  RSS curve written to ${s.soakCsv}`);
  }
  return { run: summarise([run]), samples, ...judged };
}

/**
 * "No growth": the end RSS within SPEC.soakGrowth (10%) of the RSS at 2 minutes (the service warmed
 * up, its caches and pools full), and no sample above SPEC.rssMb. A soak shorter than 4 minutes has
 * no settled 2-minute point: its verdict is marked indicative, against the sample nearest half-way.
 */
function judgeSoak(samples, seconds) {
  const withRss = samples.filter((x) => Number.isFinite(x.rssMb));
  if (withRss.length < 2) return { ok: undefined, note: 'no RSS samples (no /proc)' };
  const end = withRss.at(-1);
  const nearest = (t) => withRss.reduce((best, x) => (Math.abs(x.at - t) < Math.abs(best.at - t) ? x : best));
  const short = seconds < 240;
  const base = short ? nearest(seconds / 2) : nearest(120);
  const firstMinute = nearest(60);
  const maxRss = Math.max(...withRss.map((x) => x.rssMb));
  const growth = (end.rssMb - base.rssMb) / base.rssMb;
  const growthFromFirstMinute = end.rssMb - firstMinute.rssMb;
  const ok = growth <= SPEC.soakGrowth && maxRss <= SPEC.rssMb;
  return {
    ok,
    indicative: short,
    baseAt: base.at,
    baseRssMb: base.rssMb,
    endRssMb: end.rssMb,
    maxRssMb: maxRss,
    growthPct: growth * 100,
    firstMinuteRssMb: firstMinute.rssMb,
    growthFromFirstMinuteMb: growthFromFirstMinute,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function fmtPct(x) {
  return Number.isFinite(x) ? String(Math.round(x)) : '-';
}

function fmtRatio(x) {
  return Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a';
}

/** Ratios and verdict of one comparison row (Tessera against the peers measured beside it). */
function judgeRow(kind, row) {
  const t = row.tessera;
  const ratio = (key) => (row[key] && t ? t.rps / row[key].rps : undefined);
  const vsRedis = ratio('redis');
  const vsPg = ratio('pg');
  const needRedis = kind === 'read' ? SPEC.readVsRedis : SPEC.writeVsRedis;
  const needPg = kind === 'read' ? SPEC.readVsPg : SPEC.writeVsPg;
  const checks = [];
  if (vsRedis !== undefined) checks.push(vsRedis >= needRedis);
  if (vsPg !== undefined) checks.push(kind === 'read' ? vsPg >= needPg : vsPg > needPg);
  if (kind === 'read' && t) checks.push(t.p99 <= SPEC.readP99);
  const partial = vsRedis === undefined || vsPg === undefined;
  const target =
    kind === 'read'
      ? `>= ${SPEC.readVsRedis}x Redis, >= ${SPEC.readVsPg}x PG, p99 <= ${SPEC.readP99} ms`
      : `>= ${SPEC.writeVsRedis}x Redis, ahead of PG`;
  const met = checks.length ? checks.every(Boolean) : undefined;
  return { vsRedis, vsPg, target, met, partial };
}

function verdict(ok, partial) {
  if (ok === undefined) return 'n/a';
  return `${ok ? 'met' : 'MISSED'}${partial ? ' (partial: a peer was not run)' : ''}`;
}

function report(s, res, svc, stores) {
  const checks = [];
  const sessionsLabel = (mode) => (mode === 'distinct' ? `${s.connections} distinct` : '1 shared');
  say(`\nResults: medians of ${s.runs} run(s) of ${s.seconds} s, ${s.connections} connections, 127.0.0.1${res.compare.a || res.compare.b || res.compare.c ? '; the stores measured in turn within each round' : ''}`);
  const have = STORE_COLUMNS.filter(([key]) => stores.some((st) => st.key === key));
  const rows = [];
  const cpuRows = [];
  for (const id of Object.keys(COMPARISONS)) {
    if (!res.compare[id]) continue;
    for (const mode of MODES) {
      const row = res.compare[id][mode];
      if (!row) continue;
      const j = judgeRow(COMPARISONS[id].kind, row);
      row.judged = j;
      if (j.met !== undefined) checks.push(j.met);
      const errs = have.reduce((n, [key]) => n + (row[key] ? row[key].non2xx + row[key].errors : 0), 0);
      rows.push([
        `(${id}) ${COMPARISONS[id].kind} ${SHAPES[COMPARISONS[id].shape].what}`,
        sessionsLabel(mode),
        ...have.flatMap(([key]) => [fmtInt(row[key]?.rps), fmtMs(row[key]?.p99)]),
        fmtRatio(j.vsRedis),
        fmtRatio(j.vsPg),
        j.target,
        verdict(j.met, j.partial),
        errs,
      ]);
      cpuRows.push([
        `(${id})`,
        sessionsLabel(mode),
        ...have.map(([key]) => (row[key] ? `${fmtCpuMs(row[key].serverMsPerReq)} / ${fmtCpuMs(row[key].dbMsPerReq)}` : '-')),
        have.map(([key]) => fmtPct(row[key]?.otherCpu)).join(' / '),
      ]);
    }
  }
  if (res.hot) {
    rows.push([
      '(hot) write 1 KiB, one name',
      '1 shared',
      fmtInt(res.hot.rps),
      fmtMs(res.hot.p99),
      ...have.slice(1).flatMap(() => ['-', '-']),
      '',
      '',
      '(informative)',
      '',
      res.hot.non2xx + res.hot.errors,
    ]);
    cpuRows.push(['(hot)', '1 shared', `${fmtCpuMs(res.hot.serverMsPerReq)} / ${fmtCpuMs(res.hot.dbMsPerReq)}`, ...have.slice(1).map(() => '-'), fmtPct(res.hot.otherCpu)]);
  }
  if (rows.length) {
    printTable(['scenario', 'sessions', ...have.flatMap(([, n]) => [`${n} req/s`, 'p99 ms']), 'T/Redis', 'T/PG', 'target', 'verdict', 'non-2xx+err'], rows);
    say('');
    say('CPU per request, ms (server process / its database), medians of the runs; "other %": CPU of one core taken by other');
    say('work on the machine during the runs, per store (a high figure means that store\'s runs shared the cores and read low).');
    const dbOf = (key) => (key === 'redis' ? 'redis-server' : 'PostgreSQL');
    printTable(['scenario', 'sessions', ...have.map(([key, n]) => `${n}: ${key === 'tessera' ? 'service' : 'peer'} / ${dbOf(key)}`), 'other %'], cpuRows);
  }
  if (res.redis) say(`Redis peer durability: ${res.redis.durability}. Tessera and the PostgreSQL peer: ${res.pgDurability ?? 'PostgreSQL settings unknown'}.`);
  if (stores.some((st) => st.key === 'redis')) say('redis-server CPU is the whole server\'s: other users of the machine\'s Redis count too.');

  say('');
  const checkRows = [];
  if (res.createMany) {
    const ok = res.createMany.seqRatio >= SPEC.createManyRatio;
    checks.push(ok);
    checkRows.push(
      ['createMany of 1,000 (one call)', `${fmtMs(res.createMany.batchMs)} ms`, '', ''],
      ['1,000 single creates, one at a time', `${fmtInt(res.createMany.seqMs)} ms = ${res.createMany.seqRatio.toFixed(1)}x createMany`, `>= ${SPEC.createManyRatio}x`, verdict(ok)],
      ['1,000 single creates, 8 at a time', `${fmtInt(res.createMany.c8Ms)} ms = ${res.createMany.c8Ratio.toFixed(1)}x createMany`, '(informative)', ''],
    );
  }
  if (res.conc) {
    for (const [key, name] of have) {
      const c = res.conc[key];
      if (!c) continue;
      const ok = key === 'tessera' ? c.keptMin === 50 : undefined;
      if (ok !== undefined) checks.push(ok);
      checkRows.push([`${name}: 50 concurrent writes of 50 keys: kept`, `${c.runs.map((r) => r.kept).join(', ')} of 50 (per run)`, key === 'tessera' ? '50' : '(informative)', key === 'tessera' ? verdict(ok) : '']);
    }
    const t = res.conc.tessera;
    const ok = t.createdMin === 1 && t.createdMax === 1;
    checks.push(ok);
    checkRows.push(['Tessera: 50 concurrent creates of one name: 201s', `${t.runs.map((r) => r.created).join(', ')} (per run)`, 'exactly 1', verdict(ok)]);
  }
  if (res.loaded) {
    const bound = SPEC.loginP99Factor * res.loaded.idleP99;
    const ok = res.loaded.reads.p99 <= bound;
    checks.push(ok);
    checkRows.push(
      ['Tessera: read p99 while logins run', `${fmtMs(res.loaded.reads.p99)} ms (${fmtInt(res.loaded.reads.rps)} req/s; idle p99 ${fmtMs(res.loaded.idleP99)} ms)`, `<= ${SPEC.loginP99Factor}x idle (${fmtMs(bound)} ms)`, verdict(ok)],
      ['Tessera: ... the logins themselves', `${res.loaded.logins.rps.toFixed(1)}/s, p99 ${fmtMs(res.loaded.logins.p99)} ms`, 'argon2-bound by design', ''],
    );
  }
  const memory = res.memory;
  const rssOk = memory.end ? Math.max(memory.end.rssMb, memory.end.hwmMb) <= SPEC.rssMb : undefined;
  if (rssOk !== undefined) checks.push(rssOk);
  checkRows.push([
    'Tessera: service RSS after the runs',
    memory.end ? `${memory.end.rssMb.toFixed(0)} MiB (peak ${memory.end.hwmMb.toFixed(0)}; after each step: ${memory.steps.join(', ')})` : 'n/a (no /proc)',
    `<= ${SPEC.rssMb} MB`,
    verdict(rssOk),
  ]);
  for (const st of stores.filter((x) => x.key !== 'tessera')) {
    const m = res.peerMemory?.[st.key];
    checkRows.push([`${st.name}: server RSS after the runs`, m ? `${m.rssMb.toFixed(0)} MiB (peak ${m.hwmMb.toFixed(0)})` : 'n/a', '', '']);
  }
  if (res.soak) {
    const k = res.soak;
    if (k.ok !== undefined && !k.indicative) checks.push(k.ok);
    checkRows.push([
      `Tessera: soak ${s.soakSeconds} s, RSS`,
      k.ok === undefined
        ? k.note
        : `${k.baseRssMb.toFixed(0)} MiB at ${k.baseAt} s -> ${k.endRssMb.toFixed(0)} at the end (${k.growthPct >= 0 ? '+' : ''}${k.growthPct.toFixed(1)}%), max ${k.maxRssMb.toFixed(0)}; from the first minute ${k.growthFromFirstMinuteMb >= 0 ? '+' : ''}${k.growthFromFirstMinuteMb.toFixed(1)} MiB`,
      `no growth: end within ${SPEC.soakGrowth * 100}% of the 2-minute RSS, all <= ${SPEC.rssMb} MiB`,
      k.indicative && k.ok !== undefined ? `${verdict(k.ok)} (indicative: soak < 240 s)` : verdict(k.ok),
    ]);
  }
  printTable(['check', 'result', 'target', 'verdict'], checkRows);

  if (res.soak) {
    say('\nSoak RSS curve (MiB):');
    printTable(['s', 'RSS', 'peak', 'requests'], res.soak.samples.map((x) => [x.at, x.rssMb?.toFixed(1) ?? 'n/a', x.hwmMb?.toFixed(1) ?? 'n/a', fmtInt(x.requests)]));
  }
  const later = svc.laterOutput();
  if (later.length) {
    say(`\nThe service printed ${later.length} line(s) during the runs (last ones):`);
    for (const line of later.slice(-10)) say(`  ${line.slice(0, 300)}`);
  }
  for (const st of stores.filter((x) => x.laterOutput)) {
    const lines = st.laterOutput();
    if (lines.length) say(`the ${st.name} printed: ${lines.slice(-5).join(' | ')}`);
  }
  return checks.every(Boolean);
}

// ---------------------------------------------------------------------------------------------

/** Checks Redis before anything starts; exits 2 with how to get one when the Redis peer was asked for and is not there. */
async function checkRedis(s) {
  if (!s.peers.includes('redis')) return undefined;
  const probe = await peers.probeRedis(s.redisUrl);
  if (probe.ok) {
    say(`Redis: ${s.redisUrl}, version ${probe.version}, ${probe.pid ? `redis-server pid ${probe.pid}` : 'not a local process (no CPU accounting for it)'}`);
    return probe;
  }
  say(`\nERROR: the Redis peer was asked for (BENCH_PEERS=${s.peers.join(',')}) but Redis at ${s.redisUrl} cannot be reached: ${probe.error}`);
  for (const line of peers.REDIS_HELP) say(line);
  process.exit(2);
}

async function pgDurability(url) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    const show = async (name) => (await client.query(`SHOW ${name}`)).rows[0][name];
    return `fsync ${await show('fsync')}, synchronous_commit ${await show('synchronous_commit')}`;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function main() {
  const began = Date.now();
  let s;
  try {
    s = settings();
  } catch (error) {
    say(`ERROR: ${error.message}`);
    process.exit(1);
  }
  say(`Tessera attribute benchmark: ${s.runs} run(s) x ${s.seconds} s, ${s.connections} connections, warm-up ${s.warmup} s`);
  say(`scenarios: ${s.scenarios.join(',') || 'none'}${s.soakSeconds ? `, soak ${s.soakSeconds} s` : ''}; peers: ${s.peers.join(',') || 'none'}; load generator: ${s.cannon === 'worker' ? 'a worker thread per run' : 'main thread'}`);
  say(`machine: ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}`);
  say(`code: ${codeVersion()}`);
  const redisProbe = await checkRedis(s); // before anything starts: exits 2 when the Redis peer cannot run
  const svc = new Service(s);
  const peerStores = [];
  let stopping = false;
  const cleanup = async () => {
    if (stopping) return;
    stopping = true;
    stopCannons();
    for (const st of peerStores.splice(0)) await st.stop().catch((error) => say(`  (stopping the ${st.name}: ${error.message})`));
    await svc.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      say(`\n${signal}: stopping the service and the peers`);
      cleanup().finally(() => process.exit(130));
    });
  }

  let exitCode = 0;
  try {
    say(`database: ${s.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL in ${svc.dataDir}`}`);
    await svc.start();
    say(`service: pid ${svc.child.pid}, http://${HOST}:${svc.port}`);
    const booted = memoryOf(svc.child.pid);
    const username = `bench.${process.pid}.${Date.now().toString(36)}`;
    await svc.createSuperUser(username);
    const own = await svc.login(username);
    const pgVersion = await postgresVersion(svc);
    if (pgVersion) say(`PostgreSQL: ${pgVersion}`);
    const tessera = tesseraStore(svc, username);
    const stores = [tessera];
    for (const kind of s.peers) {
      const st = await peers.startPeer(
        kind,
        kind === 'pg'
          ? { databaseUrl: svc.databaseUrl(), postmaster: svc.postmasterPid() }
          : { redisUrl: s.redisUrl, redisPrefix: `tessera-bench:${process.pid}:`, redisPid: redisProbe?.pid },
        { freePort, collectOutput, waitForLine, stopChild, expectStatus, request, say },
      );
      peerStores.push(st);
      stores.push(st);
      say(`${st.name}: pid ${st.pid}, http://${HOST}:${st.port}`);
    }
    const res = { compare: {}, memory: { boot: booted, steps: [] } };
    res.pgDurability = await pgDurability(svc.databaseUrl());
    if (redisProbe) res.redis = { version: redisProbe.version, durability: redisProbe.durability };
    if (res.redis) say(`Redis peer durability: ${res.redis.durability}`);
    if (res.pgDurability) say(`PostgreSQL durability (Tessera and the PostgreSQL peer): ${res.pgDurability}`);

    const step = (label) => {
      const m = memoryOf(svc.child.pid);
      if (m) res.memory.steps.push(`${label} ${m.rssMb.toFixed(0)}`);
    };
    if (booted) res.memory.steps.push(`boot ${booted.rssMb.toFixed(0)}`);
    const cache = new Map();
    for (const id of s.scenarios) {
      if (COMPARISONS[id]) res.compare[id] = await comparison(id, stores, s, cache);
      else if (id === 'hot') res.hot = await hotName(tessera, s, cache);
      else if (id === 'createmany') res.createMany = await createManyVsSingles(svc, s, username);
      else if (id === 'concurrent') res.conc = await concurrentWrites(stores, s);
      else if (id === 'logins') res.loaded = await readsDuringLogins(tessera, s, cache, username, res.compare.a?.shared?.tessera);
      step(id);
    }
    res.memory.end = memoryOf(svc.child.pid);
    if (res.memory.end) {
      say(`\nTessera service RSS after the runs: ${res.memory.end.rssMb.toFixed(1)} MiB (VmHWM ${res.memory.end.hwmMb.toFixed(1)} MiB)`);
      say(`  RSS in MiB after each scenario: ${res.memory.steps.join(', ')}`);
    }
    res.peerMemory = Object.fromEntries(peerStores.map((st) => [st.key, memoryOf(st.pid)]));
    if (s.soakSeconds > 0) res.soak = await soak(svc, tessera, s, cache);

    const targetsMet = report(s, res, svc, stores);
    const summaries = [
      ...Object.values(res.compare).flatMap((byMode) => Object.values(byMode).flatMap((byStore) => STORE_COLUMNS.map(([key]) => byStore[key]).filter(Boolean))),
      res.hot,
      res.loaded?.reads,
      res.soak?.run,
    ].filter(Boolean);
    const unexpected = res.conc ? Object.values(res.conc).reduce((n, c) => n + c.unexpected.length, 0) : 0;
    const errors = summaries.reduce((n, r) => n + r.non2xx + r.errors, 0) + unexpected;
    if (errors > 0) {
      say(`\nERROR: ${errors} non-2xx responses or request errors in the measured runs`);
      exitCode = 1;
    } else if (!targetsMet && s.strict) {
      say('\nBENCH_STRICT=1 and a target was missed');
      exitCode = 1;
    } else if (!targetsMet) {
      say('\nMISSES: at least one target was missed (see the verdicts above)');
    }
    if (s.databaseUrl) await removeBenchUser(svc, own);
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
  const round = (n, d = 3) => (Number.isFinite(n) ? Number(n.toFixed(d)) : null);
  const strip = (x) =>
    x && {
      rps: Math.round(x.rps),
      p50: x.p50,
      p99: x.p99,
      non2xx: x.non2xx,
      errors: x.errors,
      cpuMsPerReq: { server: round(x.serverMsPerReq), db: round(x.dbMsPerReq) },
      cpuPct: { server: x.serverCpu, db: x.dbCpu, gen: x.genCpu, other: x.otherCpu },
    };
  const compare = {};
  for (const [id, byMode] of Object.entries(res.compare)) {
    compare[id] = {};
    for (const mode of MODES) {
      const row = byMode[mode];
      if (!row) continue;
      compare[id][mode] = {
        ...Object.fromEntries(STORE_COLUMNS.filter(([key]) => row[key]).map(([key]) => [key, strip(row[key])])),
        ratioRedis: round(row.judged?.vsRedis, 2),
        ratioPg: round(row.judged?.vsPg, 2),
        met: row.judged?.met ?? null,
      };
    }
  }
  return {
    settings: { seconds: s.seconds, runs: s.runs, connections: s.connections, scenarios: s.scenarios, peers: s.peers, code: codeVersion() },
    targets: SPEC,
    compare,
    hot: strip(res.hot),
    readDuringLogins: res.loaded && { ...strip(res.loaded.reads), idleP99: res.loaded.idleP99 },
    logins: res.loaded && { rps: res.loaded.logins.rps, p50: res.loaded.logins.p50, p99: res.loaded.logins.p99, non2xx: res.loaded.logins.non2xx, errors: res.loaded.logins.errors },
    createMany: res.createMany && Object.fromEntries(['batchMs', 'seqMs', 'c8Ms', 'seqRatio', 'c8Ratio'].map((k) => [k, round(res.createMany[k], 1)])),
    concurrent: res.conc && Object.fromEntries(Object.entries(res.conc).map(([key, c]) => [key, c.runs.map((r) => (r.created === undefined ? { kept: r.kept } : { kept: r.kept, created: r.created }))])),
    rssMb: res.memory.end && { end: round(res.memory.end.rssMb, 1), peak: round(res.memory.end.hwmMb, 1), boot: round(res.memory.boot?.rssMb, 1), steps: res.memory.steps },
    peerRssMb: Object.fromEntries(Object.entries(res.peerMemory ?? {}).map(([key, m]) => [key, m ? round(m.rssMb, 1) : null])),
    durability: { postgres: res.pgDurability ?? null, redis: res.redis?.durability ?? null },
    soak: res.soak && {
      seconds: s.soakSeconds,
      load: strip(res.soak.run),
      curve: res.soak.samples.map((x) => ({ at: x.at, rssMb: round(x.rssMb, 1), peakMb: round(x.hwmMb, 1), requests: x.requests })),
      baseAt: res.soak.baseAt,
      growthPct: round(res.soak.growthPct, 1),
      growthFromFirstMinuteMb: round(res.soak.growthFromFirstMinuteMb, 1),
      maxRssMb: round(res.soak.maxRssMb, 1),
      met: res.soak.ok ?? null,
      indicative: res.soak.indicative ?? false,
    },
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
  say,
  freePort,
  request,
  expectStatus,
  median,
  cannon,
  stopCannons,
  summarise,
  loadScenario,
  compareScenario,
  perConnection,
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
  VALUE_100B,
};

if (require.main === module) main();
