import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { ConfigError, EmbeddedDatabase, Readiness } from '../index';
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
  // A signal during start-up (initdb, migrations, Nest's modules, binding the port) is held until
  // the step under way ends, then start-up stops there: the embedded server is stopped and the
  // process exits 0. From the moment the service listens, a signal drains it (below).
  let stopSignal: string | undefined;
  let onSignal = (signal: string) => {
    if (stopSignal) return;
    stopSignal = signal;
    say(`${signal} during start-up: stopping when the current step ends`);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const opened = await openServiceDatabase(say, { handlesSignals: true });
  const { config, applied } = opened;
  let embedded: EmbeddedDatabase | undefined = opened.embedded;
  const stopEmbedded = async () => {
    const db = embedded;
    embedded = undefined;
    if (db) await db.stop().catch(() => undefined);
  };
  const stoppedDuringStartUp = async (app?: INestApplication) => {
    await app?.close().catch(() => undefined);
    await stopEmbedded();
    say(`${stopSignal}: stopped during start-up`);
    process.exit(0);
  };
  try {
    if (applied.length) say(`applied migrations: ${applied.join(', ')}`);
    if (stopSignal) return await stoppedDuringStartUp();
    const app = await createApp(config);
    if (stopSignal) return await stoppedDuringStartUp(app);
    let closing = false;
    // Drain: not ready at once (GET /health/ready answers 503), then the server stops accepting
    // connections, ends idle keep-alive ones, answers 503 on busy ones, and waits for the requests
    // in flight; past SHUTDOWN_TIMEOUT the process exits anyway, with status 1.
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      app.get(Readiness).startDraining();
      say(`${signal}: draining, exiting within ${config.shutdownTimeoutSeconds} s`);
      let deadline: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        app.close().then(
          () => true,
          () => true,
        ),
        new Promise<false>((resolve) => (deadline = setTimeout(() => resolve(false), config.shutdownTimeoutSeconds * 1000))),
      ]);
      clearTimeout(deadline);
      if (!closed) process.stderr.write(`tessera: SHUTDOWN_TIMEOUT reached with requests in flight; exiting\n`);
      await stopEmbedded();
      process.exit(closed ? 0 : 1);
    };
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
    onSignal = (signal) => void shutdown(signal);
    if (stopSignal) void shutdown(stopSignal);
  } catch (error) {
    await stopEmbedded();
    throw error;
  }
}

main().catch((error) => {
  if (error instanceof ConfigError) fail(error.message);
  fail(`could not start: ${error instanceof Error ? error.message.split('\n')[0] : 'unknown error'}`);
});
