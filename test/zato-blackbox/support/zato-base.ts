/**
 * The harness of Zato's SSO black-box tests (zato-sso/test/zato/base.py, with the REST client of
 * zato-common's test/rest_client.py and the names of test/config.py), rewritten for Jest.
 *
 * Like Zato's, it drives a server over plain HTTP: Tessera runs as its own process (`node
 * dist/src/service/main.js`, `ZATO_COMPAT=true`) on a database of the test file's own, the
 * super-user is created and given its TOTP key with the CLI, and every test starts by logging the
 * super-user in over REST with a TOTP code. Requests carry JSON bodies on every method (GET and
 * DELETE too) and no Content-Type header, as Python's `requests.get(url, data=json_text)` sends them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGuardrails, generateSync } from 'otplib';
import { Pool } from 'pg';
import { startService, ServiceProcess } from '../../support/service-process';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'src', 'service', 'cli.js');

/** Zato's TestConfig: the names and secrets its tests use. */
export const TestConfig = {
  current_app: 'CRM',
  super_user_name: 'zato.unit-test.admin1',
  super_user_password: 'hQ9nl93UDqGus',
  super_user_email: 'test@example.com',
  // 16 base32 characters: an 80-bit key, shorter than otplib's default minimum of 128 bits.
  super_user_totp_key: 'KMCLCWN4YPMD2WO3',
  username_prefix: 'test.{}+{}',
  random_prefix: 'rand.{}+{}',
} as const;

/** zato.sso.status_code and zato.sso.const, as far as the tests use them. */
export const status_code = {
  ok: 'ok',
  warning: 'warning',
  error: 'error',
  auth: { not_allowed: 'E005001', totp_missing: 'E005008' },
  username: { exists: 'E001002' },
  password: { w_about_to_exp: 'W003005' },
  attr: { already_exists: 'E009001', no_such_attr: 'E009002' },
} as const;

export const approval_status = { approved: 'approved', rejected: 'rejected', before_decision: 'before_decision' } as const;
export const signup_status = { before_confirmation: 'before_confirmation', to_approve: 'to_approve', final: 'final' } as const;
export const search_page_size = 50;

/** The TOTP code of the current 30-second step (Zato's TOTPManager.get_current_totp_code). */
export function currentTotpCode(key: string = TestConfig.super_user_totp_key): string {
  // Zato's test key has 10 bytes; otplib refuses keys under 16 bytes unless told otherwise.
  return generateSync({ secret: key, guardrails: createGuardrails({ MIN_SECRET_BYTES: 10 }) });
}

// --- the REST client -------------------------------------------------------------------------------

/** A parsed response body; the tests read it as loosely as Zato's Bunch objects. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Response = Record<string, any>;

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

export class ZatoRestClient {
  /** Every exchange, for the failure messages. */
  readonly exchanges: string[] = [];

  constructor(private readonly baseUrl: string) {}

  /** One request as Zato's client sends it: the JSON text as the body, no Content-Type. */
  raw(method: Method, path: string, body: string): Promise<RawResponse> {
    const url = new URL(path, this.baseUrl);
    const payload = Buffer.from(body, 'utf8');
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method, headers: { 'Content-Length': String(payload.length), Accept: '*/*', 'User-Agent': 'python-requests/2.31.0' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Zato's RESTClient._invoke: `current_app` is added to every non-empty request; with `expectOk`
   * (the default) anything but HTTP 200 with a `cid` and `status: "ok"` fails the test.
   */
  async invoke(method: Method, path: string, request: Response | undefined, expectOk = true): Promise<Response> {
    if (request && Object.keys(request).length) request = { ...request, current_app: TestConfig.current_app };
    const data = request && Object.keys(request).length ? JSON.stringify(request) : '';
    const res = await this.raw(method, path, data);
    this.exchanges.push(`${method} ${path} ${data} -> ${res.status} ${res.text}`);
    let parsed: Response;
    try {
      parsed = res.text ? JSON.parse(res.text) : {};
    } catch {
      throw new Error(`${method} ${path}: response is not JSON (${res.status}): ${res.text.slice(0, 500)}`);
    }
    if (expectOk) {
      if (res.status !== 200) throw new Error(`${method} ${path}: unexpected HTTP status ${res.status}, response ${res.text} (request ${data})`);
      if (!('cid' in parsed)) throw new Error(`${method} ${path}: no cid in response ${res.text}`);
      if (parsed.status !== status_code.ok) throw new Error(`${method} ${path}: unexpected status ${parsed.status} in response ${res.text} (request ${data})`);
    }
    return parsed;
  }

  get(path: string, request?: Response, expectOk = true) {
    return this.invoke('GET', path, request, expectOk);
  }
  post(path: string, request?: Response, expectOk = true) {
    return this.invoke('POST', path, request, expectOk);
  }
  patch(path: string, request?: Response, expectOk = true) {
    return this.invoke('PATCH', path, request, expectOk);
  }
  delete(path: string, request?: Response, expectOk = true) {
    return this.invoke('DELETE', path, request, expectOk);
  }
}

// --- the server ------------------------------------------------------------------------------------

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ZatoServer {
  url: string;
  /** The settings the service and the CLI run with. */
  env: Record<string, string>;
  client: ZatoRestClient;
  /** The built CLI, run with the service's settings. */
  cli(...args: string[]): Promise<CliRun>;
  close(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * The settings Zato's tests need: its app `CRM`, sign-up into it, approval required (users a
 * super-user creates are `before_decision`), TOTP codes reusable within their step, no login
 * limits (the super-user logs in before every test), Zato's password expiry, cheap password hashing.
 */
export function serviceEnv(databaseUrl: string, dataDir: string): Record<string, string> {
  return {
    ZATO_COMPAT: 'true',
    DATABASE_URL: databaseUrl,
    SSO_APPS: TestConfig.current_app,
    SIGNUP_APPS: TestConfig.current_app,
    SIGNUP_APPROVAL_REQUIRED: 'true',
    TOTP_REPLAY_PROTECTION: 'false',
    LOGIN_LIMITS: 'false',
    // Zato's password.expiry: every password expires in 730 days, and Zato's tests check the date.
    PASSWORD_EXPIRY_DAYS: '730',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    ARGON2_PARALLELISM: '1',
    ENCRYPTION_KEYS: `zato1:${Buffer.alloc(32, 7).toString('base64')}`,
    DATA_DIR: dataDir,
    SWEEP_INTERVAL: '0',
    PAGES: 'false',
    OPENAPI: 'false',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
  };
}

export function runCli(env: Record<string, string>, args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', ...env, ...extraEnv };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: childEnv, cwd: tmpdir(), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** A fresh database on the tests' PostgreSQL server (global setup), dropped again by `drop`. */
export async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.DATABASE_URL;
  if (!admin) throw new Error('DATABASE_URL is not set: the e2e global setup sets it');
  const name = `zato_bb_${randomBytes(6).toString('hex')}`;
  const pool = new Pool({ connectionString: admin, max: 1 });
  await pool.query(`CREATE DATABASE ${name}`);
  return {
    url: withDatabase(admin, name),
    async drop() {
      await pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await pool.end();
    },
  };
}

/**
 * What Zato's base.py setUp does once: the super-user with its password and e-mail, then its TOTP
 * key, both with the command line (`zato sso create-super-user`, `zato sso reset-totp-key`).
 */
export async function createSuperUser(env: Record<string, string>): Promise<void> {
  const created = await runCli(env, ['create-super-user', TestConfig.super_user_name, '--email', TestConfig.super_user_email], {
    SSO_PASSWORD: TestConfig.super_user_password,
  });
  if (created.code !== 0 && !/exists/i.test(created.stdout + created.stderr)) {
    throw new Error(`create-super-user failed (${created.code}): ${created.stdout}${created.stderr}`);
  }
  const totp = await runCli(env, ['totp-reset', TestConfig.super_user_name, '--key', TestConfig.super_user_totp_key]);
  if (totp.code !== 0) throw new Error(`totp-reset failed (${totp.code}): ${totp.stdout}${totp.stderr}`);
}

/** Tessera as its own process, as a Zato server is to Zato's tests. */
export async function startZatoServer(): Promise<ZatoServer> {
  const db = await createDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'zato-bb-'));
  const env = serviceEnv(db.url, dataDir);
  let service: ServiceProcess | undefined;
  try {
    // DATABASE_DIRECT_URL (PgBouncer runs) names the shared database, not this file's own.
    service = await startService({ ...env, DATABASE_DIRECT_URL: undefined });
    await Promise.race([
      service.waitFor(/listening on/, 60_000),
      service.exited.then((code) => Promise.reject(new Error(`the service exited (${code}): ${service!.output()}`))),
    ]);
    await createSuperUser(env);
  } catch (error) {
    service?.child.kill('SIGKILL');
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const running = service;
  return {
    url: running.url,
    env,
    client: new ZatoRestClient(running.url),
    cli: (...args) => runCli(env, args),
    async close() {
      if (running.child.exitCode === null) {
        running.child.kill('SIGTERM');
        await Promise.race([running.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
        if (running.child.exitCode === null) running.child.kill('SIGKILL');
      }
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// --- base.py's BaseTest ----------------------------------------------------------------------------

/** What each test starts with (Zato's TestCtx): the super-user's UST and user id. */
export interface TestCtx {
  super_user_ust: string;
  super_user_id: string;
}

/**
 * Zato's timestamps: Python's `datetime.isoformat()` of a naive UTC datetime, so no offset and
 * six digits of microseconds, which isoformat leaves out when they are all zero.
 */
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$/;

/** A timestamp in Zato's format (UTC, no offset, microseconds) as microseconds since the epoch. */
export function parseZatoDatetime(value: unknown): bigint {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/.test(value)) {
    throw new Error(`not a timestamp in Zato's format (YYYY-MM-DDTHH:MM:SS.ffffff, no offset): ${JSON.stringify(value)}`);
  }
  const [seconds, fraction = ''] = value.split('.');
  const ms = Date.parse(`${seconds}Z`);
  if (Number.isNaN(ms)) throw new Error(`not a valid date: ${value}`);
  return BigInt(ms) * 1000n + BigInt(fraction.padEnd(6, '0'));
}

/** Asserts a server-made timestamp: Zato's exact format, and parseable. */
export function expectZatoTimestamp(value: unknown, label: string): bigint {
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) {
    throw new Error(`${label}: expected a timestamp like 2025-01-02T03:04:05.678901 (UTC, no offset, microseconds unless zero), got ${JSON.stringify(value)}`);
  }
  return parseZatoDatetime(value);
}

export class BaseTest {
  ctx!: TestCtx;
  private counter = 0;

  constructor(readonly server: () => ZatoServer) {}

  get client(): ZatoRestClient {
    return this.server().client;
  }
  get(path: string, request?: Response, expectOk = true) {
    return this.client.get(path, request, expectOk);
  }
  post(path: string, request?: Response, expectOk = true) {
    return this.client.post(path, request, expectOk);
  }
  patch(path: string, request?: Response, expectOk = true) {
    return this.client.patch(path, request, expectOk);
  }
  delete(path: string, request?: Response, expectOk = true) {
    return this.client.delete(path, request, expectOk);
  }

  /** setUp: a new context, and the super-user logged in with password and TOTP code. */
  async setUp(): Promise<void> {
    this.counter = 0;
    await this.loginSuperUser();
  }

  async loginSuperUser(): Promise<void> {
    const login = await this.post('/zato/sso/user/login', {
      username: TestConfig.super_user_name,
      password: TestConfig.super_user_password,
      totp_code: currentTotpCode(),
    });
    const me = await this.get('/zato/sso/user', { ust: login.ust });
    this.ctx = { super_user_ust: login.ust, super_user_id: me.user_id };
  }

  private random(prefix: string): string {
    const now = new Date();
    // utcnow().isoformat() has microseconds; JavaScript clocks stop at milliseconds.
    const iso = `${now.toISOString().slice(0, 23)}${String(randomBytes(2).readUInt16BE() % 1000).padStart(3, '0')}`;
    const formatted = prefix.replace('{}', iso).replace('{}', String(this.counter++));
    return `${formatted}.${randomBytes(5).toString('hex')}`;
  }

  /** `test.<utcnow>+<n>.<random>` */
  getRandomUsername(): string {
    return this.random(TestConfig.username_prefix);
  }

  /** `rand.<utcnow>+<n>.<random>`: names, values, passwords, e-mails alike. */
  getRandomData(): string {
    return this.random(TestConfig.random_prefix);
  }

  async approve(userId: string): Promise<void> {
    await this.post('/zato/sso/user/approve', { ust: this.ctx.super_user_ust, user_id: userId });
  }

  async createAndApproveUser(username = this.getRandomUsername(), password = this.getRandomData()): Promise<void> {
    const created = await this.post('/zato/sso/user', { ust: this.ctx.super_user_ust, username, password });
    expect(created.status).toBe(status_code.ok);
    const approved = await this.post('/zato/sso/user/approve', { ust: this.ctx.super_user_ust, user_id: created.user_id });
    expect(approved.status).toBe(status_code.ok);
  }

  /** A user the super-user created (and approved), logged in: its user id and UST. */
  async createApprovedUser(): Promise<{ username: string; password: string; user_id: string }> {
    const username = this.getRandomUsername();
    const password = this.getRandomData();
    const created = await this.post('/zato/sso/user', { ust: this.ctx.super_user_ust, username, password });
    await this.approve(created.user_id);
    return { username, password, user_id: created.user_id };
  }

  /** base.py _assert_default_user_data: a user the super-user has just created. */
  assertDefaultUserData(response: Response, now: Date, approvalStatus: string = approval_status.before_decision): void {
    expect(response.approval_status).toBe(approvalStatus);
    expect(response.sign_up_status).toBe(signup_status.final);

    expect(response.is_active).toBe(true);
    expect(response.password_is_set).toBe(true);

    expect(typeof response.user_id).toBe('string');
    expect(response.user_id.startsWith('zusr')).toBe(true);
    expect(response.username.startsWith('test.')).toBe(true);

    expect(response.is_internal).toBe(false);
    expect(response.is_locked).toBe(false);
    expect(response.is_super_user).toBe(false);
    expect(response.password_must_change).toBe(false);

    expect(response.approval_status_mod_by).not.toBeUndefined();
    expect(response.approval_status_mod_by).not.toBeNull();
    this.assertUserDates(response, now);
  }

  /**
   * base.py _assert_user_dates: a new user's dates are not before `now`, the default (CLI-made)
   * super-user's are before it; the password expires after `now` either way.
   */
  assertUserDates(response: Response, now: Date, isDefaultUser = false): void {
    const nowMicros = BigInt(now.getTime()) * 1000n;
    for (const key of ['approval_status_mod_time', 'password_last_set', 'sign_up_time']) {
      const at = expectZatoTimestamp(response[key], key);
      if (isDefaultUser) {
        if (!(at < nowMicros)) throw new Error(`${key} ${response[key]} should be before ${now.toISOString()}`);
      } else if (!(at >= nowMicros - 999n)) {
        throw new Error(`${key} ${response[key]} should not be before ${now.toISOString()}`);
      }
    }
    const expiry = expectZatoTimestamp(response.password_expiry, 'password_expiry');
    if (!(expiry > nowMicros)) throw new Error(`password_expiry ${response.password_expiry} should be after ${now.toISOString()}`);
  }
}

/**
 * One Zato test file: the server for the whole file (setUp's one-off part), and a fresh
 * super-user login before each test (setUp's per-test part).
 */
export function zatoTestFile(options: { start?: () => Promise<ZatoServer> } = {}): BaseTest {
  let server: ZatoServer | undefined;
  const base = new BaseTest(() => {
    if (!server) throw new Error('the server did not start');
    return server;
  });
  beforeAll(async () => {
    server = await (options.start ?? startZatoServer)();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  }, 60_000);
  beforeEach(async () => {
    await base.setUp();
  });
  return base;
}
