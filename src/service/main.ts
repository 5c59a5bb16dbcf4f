import 'reflect-metadata';
import { ConfigError, EmbeddedDatabase } from '../index';
import { createApp } from './app.factory';
import { openServiceDatabase } from './service-database';

function say(line: string) {
  process.stdout.write(`tessera: ${line}\n`);
}

/** One clear line for the operator, then exit: no stack trace (it could carry connection details). */
function fail(line: string): never {
  for (const part of line.split('\n')) process.stderr.write(`tessera: ${part}\n`);
  process.exit(1);
}

async function main() {
  const opened = await openServiceDatabase(say);
  const { config, applied } = opened;
  let embedded: EmbeddedDatabase | undefined = opened.embedded;
  const stopEmbedded = async () => {
    const db = embedded;
    embedded = undefined;
    if (db) await db.stop().catch(() => undefined);
  };
  try {
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
    // A shared embedded server (another instance owns it) that goes away leaves nothing to serve.
    embedded?.onLost(() => {
      process.stderr.write(`tessera: the embedded PostgreSQL this instance shares has stopped; exiting\n`);
      void app.close().finally(() => process.exit(1));
    });
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

main().catch((error) => {
  if (error instanceof ConfigError) fail(error.message);
  fail(`could not start: ${error instanceof Error ? error.message.split('\n')[0] : 'unknown error'}`);
});
