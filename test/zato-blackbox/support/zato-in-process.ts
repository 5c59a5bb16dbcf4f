/**
 * Tessera in the Jest process instead of its own, for the one Zato test that needs to see inside:
 * the password reset token. Kept apart from zato-base.ts so that the other files load none of the
 * sources (they run the built service).
 */
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src';
import { createApp } from '../../../src/service/app.factory';
import { createDatabase, createSuperUser, runCli, serviceEnv, ZatoRestClient, ZatoServer } from './zato-base';

/**
 * Tessera in this process, listening on a real port, with a password reset notifier that keeps
 * the tokens it is given: the stand-in for Zato's test reading the token from its database.
 */
export async function startZatoServerInProcess(notifier: { passwordResetRequested(request: { token: string; username: string; userId: string }): void }): Promise<ZatoServer> {
  const db = await createDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'zato-bb-'));
  const env = serviceEnv(db.url, dataDir);
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    const migrated = await runCli(env, ['migrate']);
    if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stdout}${migrated.stderr}`);
    app = await createApp(loadConfig({ ...env, LOG_LEVEL: 'silent' }), { passwordResetNotifier: notifier });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await createSuperUser(env);
  } catch (error) {
    await app?.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const running = app;
  const url = `http://127.0.0.1:${(running.getHttpServer().address() as AddressInfo).port}`;
  return {
    url,
    env,
    client: new ZatoRestClient(url),
    cli: (...args) => runCli(env, args),
    async close() {
      await running.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
