import { Pool, PoolClient, QueryResultRow } from 'pg';

export interface DbOptions {
  url: string;
  poolSize: number;
}

/**
 * Tessera's own connection pool and the hand-written SQL that runs on it. It belongs to Tessera
 * alone, so a host application's own database connections are never touched. Statements are sent
 * as named prepared statements, so PostgreSQL plans each one once per connection.
 */
export class Db {
  readonly pool: Pool;

  constructor(options: DbOptions) {
    this.pool = new Pool({
      connectionString: options.url,
      max: options.poolSize,
      application_name: 'tessera',
      // Every statement of the hot path looks rows up by key: a generic plan is always right for
      // it, and forcing it spares the five custom plannings PostgreSQL would otherwise do.
      options: '-c plan_cache_mode=force_generic_plan',
    });
    // An idle connection that the server drops (restart, failover) must not crash the process;
    // the pool replaces it, and the next query says what went wrong.
    this.pool.on('error', () => undefined);
  }

  async query<T extends QueryResultRow>(name: string, text: string, values: unknown[] = []): Promise<T[]> {
    const result = await this.pool.query<T>({ name, text, values });
    return result.rows;
  }

  /** Runs a data-changing statement and returns how many rows it touched. */
  async execute(name: string, text: string, values: unknown[] = []): Promise<number> {
    const result = await this.pool.query({ name, text, values });
    return result.rowCount ?? 0;
  }

  /** Runs `work` in one transaction on one connection (for multi-statement maintenance jobs only). */
  async transaction<T>(work: (query: <R extends QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(async (text, values) => (await client.query(text, values)).rows);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
