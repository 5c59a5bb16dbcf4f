import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PoolClient } from 'pg';
import { createUser, PASSWORD, startTestApp, TestApp } from './support/test-app';

/**
 * The built service as a real child process, stopped with a real SIGTERM while an attribute write
 * waits on a row lock held from a separate connection.
 */
const ROOT = resolve(__dirname, '..');
const HOST = '127.0.0.1';

let build: string;

beforeAll(() => {
  // The project's own build (tsc, tsconfig.build.json), into a directory of this suite's own so a
  // concurrent `npm run build` cannot pull dist/ away under it.
  build = mkdtempSync(join(tmpdir(), 'tessera-drain-build-'));
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', build, '--sourceMap', 'false'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
}, 120_000);

afterAll(() => rmSync(build, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, HOST, done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

interface Service {
  child: ChildProcess;
  port: number;
  output: string[];
  exited: Promise<{ code: number | null; at: number }>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

async function startService(t: TestApp, env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(build, 'src/service/main.js')], {
    cwd: build,
    env: {
      PATH: process.env.PATH,
      // The build directory has no node_modules of its own.
      NODE_PATH: join(ROOT, 'node_modules'),
      DATABASE_URL: t.config.databaseUrl,
      PORT: String(port),
      HOST,
      SSO_APPS: 'crm',
      ENCRYPTION_KEYS: `test2:${Buffer.alloc(32, 2).toString('base64')}`,
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      SWEEP_INTERVAL: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; at: number }>((done) => child.on('exit', (code) => done({ code, at: Date.now() })));
  const waitFor = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<void>((done, fail) => {
      const check = () => {
        if (output.some((line) => pattern.test(line))) {
          listeners.delete(check);
          clearTimeout(timer);
          done();
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        fail(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${output.join('\n')}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  await waitFor(/listening on/);
  return { child, port, output, exited, waitFor };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(port: number, method: string, path: string, options: { body?: unknown; auth?: string; agent?: http.Agent } = {}): Promise<Answer> {
  return new Promise((done, fail) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      {
        host: HOST,
        port,
        method,
        path,
        agent: options.agent,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(options.auth ? { authorization: options.auth } : {}),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

/** The write of `slow` waits on the row lock `holder` holds: a backend blocked by the holder's pid. */
async function waitUntilBlocked(t: TestApp, holderPid: number) {
  for (let i = 0; i < 200; i++) {
    const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))', [holderPid]);
    if (rows[0].n > 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the attribute write never waited on the lock');
}

describe('draining on SIGTERM', () => {
  let t: TestApp;
  let lockHolder: PoolClient | undefined;
  let service: Service | undefined;
  beforeAll(async () => (t = await startTestApp()));
  afterEach(async () => {
    await lockHolder?.query('ROLLBACK').catch(() => undefined);
    lockHolder?.release();
    lockHolder = undefined;
    if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
    service = undefined;
  });
  afterAll(() => t.close());

  /** A session with attribute `slow`, and a transaction elsewhere holding that row's lock. */
  async function holdLockedAttribute(s: Service) {
    const user = await createUser(t);
    const login = await call(s.port, 'POST', '/auth/login', { body: { username: user.username, password: PASSWORD, currentApp: 'crm' } });
    expect(login.status).toBe(201);
    const { ust, session } = JSON.parse(login.body);
    const auth = `Bearer ${ust}`;
    expect((await call(s.port, 'PUT', '/sessions/current/attrs/slow', { auth, body: { value: 1 } })).status).toBe(200);
    lockHolder = await t.pg.connect();
    await lockHolder.query('BEGIN');
    await lockHolder.query(`SELECT 1 FROM sso_session_attr WHERE owner_id = $1 AND name = 'slow' FOR UPDATE`, [session.id]);
    const { rows } = await lockHolder.query('SELECT pg_backend_pid() AS pid');
    return { auth, sessionId: session.id as string, holderPid: rows[0].pid as number };
  }

  it('stops being ready at once, finishes the request in flight, and exits 0 within SHUTDOWN_TIMEOUT', async () => {
    service = await startService(t, { SHUTDOWN_TIMEOUT: '10' });
    const s = service;
    const { auth, sessionId, holderPid } = await holdLockedAttribute(s);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await call(s.port, 'GET', '/health/ready')).status).toBe(200);

    const inFlight = call(s.port, 'PUT', '/sessions/current/attrs/slow', { auth, body: { value: 2 }, agent });
    await waitUntilBlocked(t, holderPid);
    const signalledAt = Date.now();
    s.child.kill('SIGTERM');
    await s.waitFor(/SIGTERM: draining/);

    // Not ready any more: 503, or the server no longer takes connections (refused, or reset when
    // the kernel accepted it just before the listener closed).
    const ready = await call(s.port, 'GET', '/health/ready').then(
      (res) => String(res.status),
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(['503', 'ECONNREFUSED', 'ECONNRESET']).toContain(ready);

    // The process waits for the write while the lock is held.
    await new Promise((r) => setTimeout(r, 500));
    expect(s.child.exitCode).toBeNull();
    await lockHolder!.query('COMMIT');

    const answer = await inFlight;
    expect(answer.status).toBe(200);
    // The client is told to reconnect (elsewhere) rather than keep this connection.
    expect(answer.headers.connection).toBe('close');
    const { code, at } = await s.exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(10_000);
    agent.destroy();

    const { rows } = await t.pg.query(`SELECT value FROM sso_session_attr WHERE owner_id = $1 AND name = 'slow'`, [sessionId]);
    expect(rows).toEqual([{ value: '2' }]);
  }, 60_000);

  it('exits 1 when SHUTDOWN_TIMEOUT passes with a request still in flight', async () => {
    service = await startService(t, { SHUTDOWN_TIMEOUT: '1' });
    const s = service;
    const { auth, holderPid } = await holdLockedAttribute(s);
    const inFlight = call(s.port, 'PUT', '/sessions/current/attrs/slow', { auth, body: { value: 3 } }).then(
      (res) => String(res.status),
      (error: NodeJS.ErrnoException) => error.code,
    );
    await waitUntilBlocked(t, holderPid);
    const signalledAt = Date.now();
    s.child.kill('SIGTERM');
    const { code, at } = await s.exited;
    expect(code).toBe(1);
    expect(at - signalledAt).toBeGreaterThanOrEqual(1000);
    expect(at - signalledAt).toBeLessThan(5000);
    expect(s.output.join('\n')).toContain('SHUTDOWN_TIMEOUT reached with requests in flight');
    // The connection was cut: the client never got an answer.
    expect(await inFlight).toBe('ECONNRESET');
  }, 60_000);
});
