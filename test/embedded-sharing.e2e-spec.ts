import { mkdtempSync, rmSync } from 'node:fs';
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
