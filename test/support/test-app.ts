import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Pool } from 'pg';
import request from 'supertest';
import { createExpressHost } from '../../examples/host-express/src/app';
import { loadConfig, NewUser, ServiceConfig, tesseraOptions, UsersService } from '../../src';
import { createApp, CreateAppOptions } from '../../src/service/app.factory';
import { startHost } from './hosts';

export const APPS = ['crm', 'web'];

/** Settings for tests: cheap argon2 (the cost is a setting, the code path is the same), no timer. */
export function testConfig(overrides: Record<string, string> = {}): ServiceConfig {
  return loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    // Set when the suites run through PgBouncer (.ci/run): direct URL for locks, unnamed statements.
    DATABASE_DIRECT_URL: process.env.DATABASE_DIRECT_URL,
    DB_PREPARED_STATEMENTS: process.env.DB_PREPARED_STATEMENTS,
    SSO_APPS: APPS.join(','),
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    ARGON2_PARALLELISM: '1',
    ENCRYPTION_KEYS: `test2:${Buffer.alloc(32, 2).toString('base64')},test1:${Buffer.alloc(32, 1).toString('base64')}`,
    PASSWORD_HASH_CONCURRENCY: '2',
    SWEEP_INTERVAL: '0',
    // Every test logs in from 127.0.0.1 against one shared database: a per-address failure count
    // would make one file's wrong passwords block another's logins. Account limits stay on.
    LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000',
    LOGIN_MAX_PENDING_PER_ADDRESS: '1000',
    LOG_LEVEL: 'debug',
    DATA_DIR: process.env.TESSERA_TEST_DATA_DIR ?? '/tmp/tessera-test-data',
    ...overrides,
  });
}

export interface TestApp {
  app: INestApplication;
  config: ServiceConfig;
  /** Every log line the app wrote, for scanning. */
  logs: string[];
  /** A separate pool for looking at database state directly. */
  pg: Pool;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * What serves Tessera's API in a test: the Fastify service (`createApp`), or, in the jest project
 * 'e2e-express', the Express host application of examples/host-express with `routes: true`.
 */
function testPlatform(): 'fastify' | 'express' {
  return (globalThis as { TESSERA_TEST_PLATFORM?: string }).TESSERA_TEST_PLATFORM === 'express' ? 'express' : 'fastify';
}

export async function startTestApp(
  overrides: Record<string, string> = {},
  imports: CreateAppOptions['imports'] = [],
  appOptions: Pick<CreateAppOptions, 'passwordResetNotifier'> = {},
): Promise<TestApp> {
  const config = testConfig(overrides);
  if (testPlatform() === 'express') {
    if (imports.length) throw new Error('the Express host takes no extra modules');
    const { databaseUrl: _url, ...tessera } = tesseraOptions(config);
    const host = await startHost(createExpressHost, { tessera, routes: true });
    return { ...host, config };
  }
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const app = await createApp(config, { logDestination: sink, imports, ...appOptions });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const pg = new Pool({ connectionString: config.databaseUrl, max: 2 });
  // A server that stops (the outage test) drops idle connections: the pool replaces them, and a
  // query on a dropped one fails on its own; the pool's error event must not crash the test.
  pg.on('error', () => undefined);
  return {
    app,
    config,
    logs,
    pg,
    http: () => request(app.getHttpServer()),
    async close() {
      await app.close();
      await pg.end();
    },
  };
}

/** A username no other test (or earlier run on the same database) uses. */
export function uniqueName(prefix = 'user'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/**
 * A client address no other test uses, for X-Forwarded-For to an app with TRUST_PROXY: limit
 * counters live in the database the test files share.
 */
export function newClientAddress(): string {
  const [a, b, c] = randomBytes(3);
  return `10.${a}.${b}.${c}`;
}

export const PASSWORD = 'correct horse battery';

export async function createUser(t: TestApp, fields: Partial<NewUser> = {}) {
  const username = fields.username ?? uniqueName();
  const password = fields.password ?? PASSWORD;
  const user = await t.app.get(UsersService).create({ ...fields, username, password } as NewUser);
  return { ...user, password };
}

export async function login(t: TestApp, username: string, password = PASSWORD, currentApp = 'crm') {
  const res = await t.http().post('/auth/login').send({ username, password, currentApp });
  if (res.status !== 201) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { ust: string; session: { id: string; expiresAt: string; absoluteExpiresAt: string } };
}

/** A user with a live session: `{user, ust, session, auth}` where `auth` is the header value. */
export async function loggedInUser(t: TestApp, fields: Partial<NewUser> = {}) {
  const user = await createUser(t, fields);
  const { ust, session } = await login(t, user.username, user.password);
  return { user, ust, session, auth: `Bearer ${ust}` };
}

export function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
