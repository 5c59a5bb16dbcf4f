import { Logger } from '@nestjs/common';
import { Pool, PoolClient, QueryResultRow } from 'pg';
import { Errors } from '../common/tessera-error';

export interface DbOptions {
  url: string;
  poolSize: number;
  /** Off behind a transaction pooler that cannot keep named statements (PgBouncer before 1.21). */
  preparedStatements: boolean;
}

/**
 * Failures that say the database cannot be reached now, not that a statement was wrong: refused or
 * dropped connections, a server shutting down or starting up (57P01-57P03), connection exceptions
 * (class 08). They become `503 database_unavailable`; a retry later can succeed.
 */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03']);
const UNREACHABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed/i;

export function isDatabaseUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return error instanceof Error && UNREACHABLE_MESSAGES.test(error.message);
}

/**
 * Tessera's own connection pool and the hand-written SQL that runs on it. It belongs to Tessera
 * alone, so a host application's own database connections are never touched. Statements are sent
 * as named prepared statements, so PostgreSQL plans each one once per connection.
 */
export class Db {
  readonly pool: Pool;
  private readonly named: boolean;
  private readonly logger = new Logger('Database');
  private reachable = true;

  constructor(options: DbOptions) {
    this.named = options.preparedStatements;
    this.pool = new Pool({
      connectionString: options.url,
      max: options.poolSize,
      application_name: 'tessera',
      // A database that does not answer a new connection within this is treated as unavailable.
      connectionTimeoutMillis: 5000,
      // Every statement of the hot path looks rows up by key: a generic plan is always right for
      // it, and forcing it spares the five custom plannings PostgreSQL would otherwise do. (A pooler
      // refuses startup options; unnamed statements are planned each time anyway.)
      ...(options.preparedStatements ? { options: '-c plan_cache_mode=force_generic_plan' } : {}),
    });
    // An idle connection that the server drops (restart, failover) must not crash the process;
    // the pool replaces it, and the next query reports the outage.
    this.pool.on('error', () => undefined);
  }

  async query<T extends QueryResultRow>(name: string, text: string, values: unknown[] = []): Promise<T[]> {
    return (await this.send(() => this.pool.query<T>({ name: this.named ? name : undefined, text, values }))).rows;
  }

  /** Runs a data-changing statement and returns how many rows it touched. */
  async execute(name: string, text: string, values: unknown[] = []): Promise<number> {
    return (await this.send(() => this.pool.query({ name: this.named ? name : undefined, text, values }))).rowCount ?? 0;
  }

  /** Runs `work` in one transaction on one connection (for multi-statement maintenance jobs only). */
  async transaction<T>(work: (query: <R extends QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.send(() => this.pool.connect());
    try {
      await client.query('BEGIN');
      const result = await work(async (text, values) => (await client.query(text, values)).rows);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.unreachable(error) ?? error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  /** Runs one call to the pool; an outage becomes `database_unavailable`, logged once with its end. */
  private async send<R>(call: () => Promise<R>): Promise<R> {
    let result: R;
    try {
      result = await call();
    } catch (error) {
      throw this.unreachable(error) ?? error;
    }
    if (!this.reachable) {
      this.reachable = true;
      this.logger.log('the database is reachable again');
    }
    return result;
  }

  private unreachable(error: unknown) {
    if (!isDatabaseUnreachable(error)) return undefined;
    if (this.reachable) {
      this.reachable = false;
      const code = (error as { code?: unknown }).code;
      this.logger.warn(`the database is unreachable${typeof code === 'string' ? ` (${code})` : ''}: answering 503 until it is back`);
    }
    return Errors.databaseUnavailable();
  }
}
