import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig, loadDotEnv } from './config/config';
import { loadKeyRing } from './crypto/key-ring';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';
import { runMigrations } from './database/migrate';

function say(line: string) {
  process.stdout.write(`tessera: ${line}\n`);
}

/** One clear line for the operator, then exit: no stack trace (it could carry connection details). */
function fail(line: string): never {
  process.stderr.write(`tessera: ${line}\n`);
  process.exit(1);
}

async function main() {
  loadDotEnv();
  const config = loadConfig();
  loadKeyRing(config); // refuse to start (production without keys, malformed keys) before anything runs
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = await startEmbeddedPostgres(config.dataDir, say);
    config.databaseUrl = embedded.url;
  }
  const stopEmbedded = async () => {
    const db = embedded;
    embedded = undefined;
    if (db) await db.stop().catch(() => undefined);
  };
  try {
    const applied = await runMigrations(config.databaseUrl).catch((error) => {
      throw new ConfigError(`database migration failed: ${migrationProblem(error)}`);
    });
    if (applied.length) say(`applied migrations: ${applied.join(', ')}`);
    const app = await createApp(config);
    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      say(`${signal}: shutting down`);
      await app.close().catch(() => undefined);
      await stopEmbedded();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    await app.listen({ port: config.port, host: config.host }).catch((error) => {
      if (error?.code === 'EADDRINUSE') {
        throw new ConfigError(`port ${config.port} on ${config.host} is taken: stop what uses it or set PORT`);
      }
      throw error;
    });
    say(`listening on http://${config.host}:${config.port} (apps: ${config.apps.join(', ')})`);
  } catch (error) {
    await stopEmbedded();
    throw error;
  }
}

function migrationProblem(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'the database refused the connection: is it running, and is DATABASE_URL right?';
  if (code === '28P01' || code === '28000') return 'the database rejected the credentials in DATABASE_URL';
  if (code === '3D000') return 'the database named in DATABASE_URL does not exist';
  if (code === 'ENOTFOUND') return 'the database host in DATABASE_URL was not found';
  return error instanceof Error ? error.message.split('\n')[0] : 'unknown error';
}

main().catch((error) => {
  if (error instanceof ConfigError) fail(error.message);
  fail(`could not start: ${error instanceof Error ? error.message.split('\n')[0] : 'unknown error'}`);
});
