import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, ServiceProcess } from './support/service-process';

async function loginStatus(service: ServiceProcess): Promise<number> {
  const res = await fetch(`${service.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'nobody', password: 'not a password', currentApp: 'default' }),
  });
  return res.status;
}

/** The line the service prints once it serves HTTP (the embedded server's own "listening" comes earlier). */
const SERVING = /tessera: listening on http/;

/**
 * A fresh DATA_DIR for one describe block and the services started on it without DATABASE_URL.
 * After the block, those still running get SIGTERM (which also stops an embedded PostgreSQL they
 * started) and the directory is removed.
 */
function embeddedDataDir(prefix: string) {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const started: ServiceProcess[] = [];
  afterAll(async () => {
    for (const service of started) {
      if (service.child.exitCode !== null) continue;
      service.child.kill('SIGTERM');
      await service.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);
  const start = async (env: Record<string, string> = {}) => {
    const service = await startService({ DATABASE_URL: undefined, DATA_DIR: dataDir, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', ...env });
    started.push(service);
    return service;
  };
  return { dataDir, start };
}

describe('two services started on one embedded PostgreSQL (no DATABASE_URL, same DATA_DIR)', () => {
  const { start } = embeddedDataDir('tessera-shared-');

  it('says the second one shares the first one’s database, and stops the second clearly when that database goes', async () => {
    const first = await start();
    await first.waitFor(SERVING);
    const second = await start();
    const said = await second.waitFor(SERVING);
    expect(said).toMatch(/already running .*started by another process\): sharing it; this process stops when it does/);
    expect(await loginStatus(first)).toBe(401);
    expect(await loginStatus(second)).toBe(401);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('the embedded PostgreSQL this instance shares has stopped; exiting');
  }, 60_000);
});

describe('the embedded PostgreSQL a service starts', () => {
  const { dataDir, start } = embeddedDataDir('tessera-malloc-');

  const environment = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

  it('runs without the malloc settings `npm start` gives the service (they made its backends trim their heap after every statement)', async () => {
    const malloc = { MALLOC_MMAP_THRESHOLD_: '1048576', MALLOC_ARENA_MAX: '2' };
    const service = await start(malloc);
    await service.waitFor(SERVING);
    const postmaster = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(postmaster).toBeGreaterThan(0);

    expect(environment(service.child.pid!)).toEqual(expect.arrayContaining(['MALLOC_MMAP_THRESHOLD_=1048576', 'MALLOC_ARENA_MAX=2']));
    const server = environment(postmaster);
    expect(server.some((entry) => entry.startsWith('PATH='))).toBe(true);
    expect(server.filter((entry) => entry.startsWith('MALLOC_'))).toEqual([]);
  }, 60_000);
});

describe('a signal while the service starts', () => {
  const { dataDir, start } = embeddedDataDir('tessera-startup-signal-');

  it('stops start-up after the step under way: the embedded PostgreSQL it started is stopped and the process exits 0', async () => {
    const service = await start();
    // initdb takes seconds: the signal lands while the embedded server is being made.
    await service.waitFor(/initialising embedded PostgreSQL/);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const output = service.output();
    expect(output).toContain('SIGTERM during start-up: stopping when the current step ends');
    expect(output).toContain('SIGTERM: stopped during start-up');
    expect(output).not.toMatch(/could not start|listening on http/);
    // The server was made and started, then shut down cleanly (PostgreSQL removes its pid file).
    expect(existsSync(join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 60_000);
});

describe('SIGTERM while the service serves on its embedded PostgreSQL', () => {
  const { dataDir, start } = embeddedDataDir('tessera-embedded-drain-');

  it('drains before the database stops: a login hashing at the signal is answered, then the process exits 0', async () => {
    // A slow hash (about a second here) keeps the login in flight when the signal comes; the login
    // still needs the database after the hash (it counts the failure).
    const service = await start({ ARGON2_MEMORY_KIB: '65536', ARGON2_TIME_COST: '12' });
    await service.waitFor(SERVING);
    const started = Date.now();
    const login = loginStatus(service);
    await new Promise((r) => setTimeout(r, 150));
    service.child.kill('SIGTERM');
    expect(await login).toBe(401);
    // The hash was still running when the signal came (else this test proves nothing).
    expect(Date.now() - started).toBeGreaterThan(300);
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain('SIGTERM: draining');
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 60_000);
});
