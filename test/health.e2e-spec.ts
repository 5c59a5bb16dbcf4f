import { createServer } from 'node:net';
import { Readiness, tesseraMigrations } from '../src';
import { startTestApp, TestApp, uniqueName } from './support/test-app';

/** A loopback port nothing listens on: the kernel hands it out, then it is closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

describe('health', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('answers live with 200 and no authentication', async () => {
    const res = await t.http().get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
  });

  it('answers ready with 200 when the database answers and every migration is applied', async () => {
    const res = await t.http().get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details).toEqual({ serving: { status: 'up' }, database: { status: 'up' }, migrations: { status: 'up' } });
  });

  it('answers ready with 503 as soon as the instance drains, while live stays 200', async () => {
    const draining = await startTestApp();
    try {
      expect((await draining.http().get('/health/ready')).status).toBe(200);
      draining.app.get(Readiness).startDraining();
      const res = await draining.http().get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('error');
      expect(res.body.error).toEqual({ serving: { status: 'down', message: 'shutting down' } });
      expect(res.body.details.database).toEqual({ status: 'up' });
      expect((await draining.http().get('/health/live')).status).toBe(200);
    } finally {
      await draining.close();
    }
  });

  it('answers ready with 503 when the pool cannot reach the database, without naming host or port', async () => {
    const port = await closedPort();
    const unreachable = await startTestApp({ DATABASE_URL: `postgres://tessera:secret-pw@127.0.0.1:${port}/nowhere` });
    try {
      const res = await unreachable.http().get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.body.error.database).toEqual({ status: 'down', message: 'unreachable (ECONNREFUSED)' });
      expect(res.body.error.migrations.status).toBe('down');
      expect(res.body.details.serving).toEqual({ status: 'up' });
      expect(res.text).not.toContain(String(port));
      expect(res.text).not.toContain('secret-pw');
      expect((await unreachable.http().get('/health/live')).status).toBe(200);
    } finally {
      await unreachable.app.close();
      await unreachable.pg.end().catch(() => undefined);
    }
  });

  it('answers ready with 503 naming the pending migrations on a database without Tessera schema', async () => {
    const database = uniqueName('tessera_empty').replace(/-/g, '_');
    await t.pg.query(`CREATE DATABASE ${database}`);
    const empty = await startTestApp({ DATABASE_URL: withDatabase(t.config.databaseUrl!, database) });
    try {
      const res = await empty.http().get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.body.details.database).toEqual({ status: 'up' });
      expect(res.body.error.migrations).toEqual({
        status: 'down',
        message: 'pending migrations',
        // Every one of Tessera's migrations, in order, on a database that has none.
        pending: tesseraMigrations.map((migration) => new migration().name),
      });
      expect(res.body.error.migrations.pending.slice(0, 2)).toEqual(['UsersAndSessions1763770000000', 'Attributes1763780000000']);
    } finally {
      await empty.close();
      await t.pg.query(`DROP DATABASE ${database}`);
    }
  });
});
