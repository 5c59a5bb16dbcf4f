import { Injectable } from '@nestjs/common';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';

/**
 * Hand-written SQL on TypeORM's own pg pool (same connections, same configuration). Statements are
 * sent as named prepared statements, so PostgreSQL plans each one once per connection.
 */
@Injectable()
export class Db {
  private readonly pool: Pool;

  constructor(readonly dataSource: DataSource) {
    this.pool = (dataSource.driver as unknown as { master: Pool }).master;
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
    const client = await this.pool.connect();
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
}
