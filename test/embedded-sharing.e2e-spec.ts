import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

describe('two services started on one embedded PostgreSQL (no DATABASE_URL, same DATA_DIR)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-shared-'));
  const running: ServiceProcess[] = [];
  afterAll(async () => {
    for (const service of running) if (service.child.exitCode === null) service.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says the second one shares the first one’s database, and stops the second clearly when that database goes', async () => {
    const env = { DATABASE_URL: undefined, DATA_DIR: dataDir, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' };
    const first = await startService(env);
    running.push(first);
    await first.waitFor(/listening on/);
    const second = await startService(env);
    running.push(second);
    const said = await second.waitFor(/listening on/);
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
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-malloc-'));
  let service: ServiceProcess | undefined;
  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const environment = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

  it('runs without the malloc settings `npm start` gives the service (they made its backends trim their heap after every statement)', async () => {
    const malloc = { MALLOC_MMAP_THRESHOLD_: '1048576', MALLOC_ARENA_MAX: '2' };
    service = await startService({ DATABASE_URL: undefined, DATA_DIR: dataDir, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', ...malloc });
    await service.waitFor(/listening on/);
    const postmaster = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(postmaster).toBeGreaterThan(0);

    expect(environment(service.child.pid!)).toEqual(expect.arrayContaining(['MALLOC_MMAP_THRESHOLD_=1048576', 'MALLOC_ARENA_MAX=2']));
    const server = environment(postmaster);
    expect(server.some((entry) => entry.startsWith('PATH='))).toBe(true);
    expect(server.filter((entry) => entry.startsWith('MALLOC_'))).toEqual([]);
  }, 60_000);
});
