'use strict';
/**
 * What the per-request metrics hook costs on the hottest call, GET /sessions/current/attrs/<name>.
 * Run after `npm run build`: `node bench/metrics-cost.js`. It starts an embedded PostgreSQL (or uses
 * DATABASE_URL), then two copies of the built HTTP service in child processes, one with the
 * request-duration hook and one without (`createApp(config, { requestMetrics: false })`), and
 * drives them with autocannon in alternating rounds so drift on a shared machine hits both alike.
 *
 * Besides requests per second it reports the service's CPU time per request (from
 * /proc/<pid>/stat), which a busy shared machine disturbs far less than throughput, and the cost of
 * one labelled `observe` measured alone.
 *
 * Settings (environment): BENCH_SECONDS (8) per round, BENCH_ROUNDS (3), BENCH_CONNECTIONS (32).
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const HOST = '127.0.0.1';
const PASSWORD = 'bench-password-0123456789';

function envInt(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1`);
  return value;
}

/** Child mode: one service, with or without the hook; creates the bench user when asked. */
async function serve(withMetrics) {
  require('reflect-metadata');
  const tessera = require(path.join(ROOT, 'dist/src/index.js'));
  const { createApp } = require(path.join(ROOT, 'dist/src/service/app.factory.js'));
  const config = tessera.loadConfig();
  const app = await createApp(config, { requestMetrics: withMetrics });
  await app.listen({ port: config.port, host: config.host });
  const username = process.env.BENCH_USER;
  if (username) await app.get(tessera.UsersService).create({ username, password: PASSWORD });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => app.close().finally(() => process.exit(0)));
}

/** CPU time (user + system) a process has used, in microseconds (Linux). */
function cpuMicros(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Microseconds one `observe` with this hook's labels takes, measured alone in this process. */
function observeMicros() {
  const { Histogram, Registry } = require('prom-client');
  const histogram = new Histogram({
    name: 'probe_seconds',
    help: 'probe',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [new Registry()],
  });
  const n = 1_000_000;
  const labels = { method: 'GET', route: '/sessions/:id/attrs/:name', status_code: 200 };
  for (let i = 0; i < 100_000; i++) histogram.observe(labels, 0.002);
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) histogram.observe({ method: 'GET', route: '/sessions/:id/attrs/:name', status_code: 200 }, 0.002);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function call(port, method, urlPath, { body, auth } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: HOST, port, method, path: urlPath, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(auth ? { authorization: auth } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function startService(label, withMetrics, env) {
  const port = await freePort();
  const child = spawn(process.execPath, [__filename, 'serve', withMetrics ? 'on' : 'off'], {
    env: { ...process.env, ...env, PORT: String(port), HOST },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => chunk.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`${label} exited with ${code}`)));
  });
  return { label, port, child };
}

async function main() {
  if (process.argv[2] === 'serve') return serve(process.argv[3] === 'on');
  const autocannon = require('autocannon');
  const tessera = require(path.join(ROOT, 'dist/src/index.js'));
  const seconds = envInt('BENCH_SECONDS', 8);
  const rounds = envInt('BENCH_ROUNDS', 3);
  const connections = envInt('BENCH_CONNECTIONS', 32);

  let embedded;
  let dataDir;
  let databaseUrl = process.env.DATABASE_URL?.trim();
  if (!databaseUrl) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-metrics-cost-'));
    embedded = await tessera.startEmbeddedPostgres(dataDir, () => undefined);
    databaseUrl = embedded.url;
  }
  await tessera.runMigrations(databaseUrl);
  const env = {
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir ?? os.tmpdir(),
    SSO_APPS: 'bench',
    LOG_LEVEL: 'warn',
    SWEEP_INTERVAL: '0',
    ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 7).toString('base64')}`,
  };
  const username = `bench-${process.pid}-${Date.now()}`;
  const services = [];
  try {
    services.push(await startService('without hook', false, { ...env, BENCH_USER: username }));
    services.push(await startService('with hook', true, env));
    const targets = [];
    for (const service of services) {
      const login = await call(service.port, 'POST', '/auth/login', { body: { username, password: PASSWORD, currentApp: 'bench' } });
      if (login.status !== 201) throw new Error(`login: ${login.status} ${login.body}`);
      const auth = `Bearer ${JSON.parse(login.body).ust}`;
      const put = await call(service.port, 'PUT', '/sessions/current/attrs/greeting', { auth, body: { value: { text: 'hello', n: 42 } } });
      if (put.status !== 200) throw new Error(`put: ${put.status}`);
      targets.push({ ...service, auth, rps: [], p99: [], cpu: [] });
    }
    const run = (target, duration) =>
      autocannon({
        url: `http://${HOST}:${target.port}/sessions/current/attrs/greeting`,
        headers: { authorization: target.auth },
        connections,
        duration,
      });
    for (const target of targets) await run(target, 2); // warm-up
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so neither always runs on a warmer or quieter machine.
      for (const target of round % 2 ? [...targets].reverse() : targets) {
        const cpuBefore = cpuMicros(target.child.pid);
        const result = await run(target, seconds);
        const cpuPerRequest = (cpuMicros(target.child.pid) - cpuBefore) / result.requests.total;
        if (result.non2xx || result.errors) throw new Error(`${target.label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        target.rps.push(result.requests.average);
        target.p99.push(result.latency.p99);
        target.cpu.push(cpuPerRequest);
        process.stdout.write(
          `round ${round + 1} ${target.label}: ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ` +
            `${cpuPerRequest.toFixed(0)} µs CPU/request\n`,
        );
      }
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const [without, withHook] = targets.map((t) => ({ rps: median(t.rps), p99: median(t.p99), cpu: median(t.cpu) }));
    const observe = observeMicros();
    process.stdout.write(
      `median without hook: ${Math.round(without.rps)} req/s, p99 ${without.p99} ms, ${without.cpu.toFixed(0)} µs CPU/request\n` +
        `median with hook:    ${Math.round(withHook.rps)} req/s, p99 ${withHook.p99} ms, ${withHook.cpu.toFixed(0)} µs CPU/request\n` +
        `throughput cost: ${(((without.rps - withHook.rps) / without.rps) * 100).toFixed(1)} %, ` +
        `CPU cost: ${(((withHook.cpu - without.cpu) / without.cpu) * 100).toFixed(1)} %\n` +
        `one observe alone: ${observe.toFixed(2)} µs CPU = ${((observe / without.cpu) * 100).toFixed(2)} % of a request without the hook\n`,
    );
  } finally {
    for (const service of services) service.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    if (embedded) await embedded.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
