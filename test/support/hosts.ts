import type { INestApplication, LoggerService } from '@nestjs/common';
import { Pool } from 'pg';
import request from 'supertest';
import type { HostOptions } from '../../examples/host-express/src/app';

/** Builds one of the example host applications (examples/host-*): `createExpressHost`, `createFastifyHost`. */
export type HostFactory = (databaseUrl: string, options: HostOptions) => Promise<INestApplication>;

export interface RunningHost {
  app: INestApplication;
  /** Every line the host's logger was given, with whatever arguments came with it. */
  logs: string[];
  /** A separate pool for looking at database state directly. */
  pg: Pool;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

/** Nest's logger interface, keeping every call as one line of text. */
class CapturingLogger implements LoggerService {
  constructor(private readonly lines: string[]) {}
  private keep(level: string, message: unknown, rest: unknown[]) {
    const text = (value: unknown) => (typeof value === 'string' ? value : value instanceof Error ? `${value.message} ${value.stack}` : JSON.stringify(value));
    this.lines.push([level, text(message), ...rest.map(text)].join(' '));
  }
  log(message: unknown, ...rest: unknown[]) { this.keep('log', message, rest); }
  error(message: unknown, ...rest: unknown[]) { this.keep('error', message, rest); }
  warn(message: unknown, ...rest: unknown[]) { this.keep('warn', message, rest); }
  debug(message: unknown, ...rest: unknown[]) { this.keep('debug', message, rest); }
  verbose(message: unknown, ...rest: unknown[]) { this.keep('verbose', message, rest); }
}

// The hosts create their own tables at start (TypeORM synchronize); hosts starting at once, in one
// test file or in parallel workers, take turns so that two never create the same table together.
const SCHEMA_LOCK = 7_215_399;

export async function startHost(factory: HostFactory, options: HostOptions = {}): Promise<RunningHost> {
  const databaseUrl = process.env.DATABASE_URL!;
  const logs: string[] = [];
  const pg = new Pool({ connectionString: databaseUrl, max: 2 });
  const lock = await pg.connect();
  let app: INestApplication | undefined;
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
    try {
      app = await factory(databaseUrl, { ...options, logger: new CapturingLogger(logs) });
      await app.init();
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
    }
  } catch (error) {
    await app?.close().catch(() => undefined);
    lock.release();
    await pg.end();
    throw error;
  }
  lock.release();
  const started = app!;
  const instance = started.getHttpAdapter().getInstance() as { ready?: () => Promise<unknown> };
  // Fastify routes exist once it is ready; Express has no such step.
  if (typeof instance.ready === 'function') await instance.ready();
  return {
    app: started,
    logs,
    pg,
    http: () => request(started.getHttpServer()),
    async close() {
      await started.close();
      await pg.end();
    },
  };
}
