import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { MIGRATIONS_TABLE, tesseraMigrations } from '../database/migrate';

// TypeORM records a migration under its `name` property, or its class name when it has none.
const MIGRATION_NAMES = tesseraMigrations.map((Migration) => (new Migration() as { name?: string }).name ?? Migration.name);

const APPLIED_MIGRATIONS = `SELECT name FROM ${MIGRATIONS_TABLE}`;
const UNDEFINED_TABLE = '42P01';

/** What one look at the database found. */
export type DatabaseState =
  | { reachable: true; pendingMigrations: string[] }
  /** `problem` names the driver's error code at most: never a host, port, user or query. */
  | { reachable: false; problem: string };

/**
 * Whether this instance should get traffic: its database answers, its schema is current, and it is
 * not shutting down. The draining flag flips first on SIGTERM, so a load balancer stops sending
 * requests while the ones in flight finish.
 */
@Injectable()
export class Readiness implements BeforeApplicationShutdown {
  private isDraining = false;
  private inFlight?: Promise<DatabaseState>;

  constructor(private readonly db: Db) {}

  get draining(): boolean {
    return this.isDraining;
  }

  /** From now on the instance reports not ready; requests are still served until the server closes. */
  startDraining(): void {
    this.isDraining = true;
  }

  // A host application's `app.close()` drains too, not only the service's SIGTERM handler.
  beforeApplicationShutdown(): void {
    this.startDraining();
  }

  /**
   * Reads which Tessera migrations the database has applied, by one cheap query on Tessera's own
   * pool, which also proves the database reachable within `timeoutMs`. Probes arriving while one
   * runs share its answer, so a flood of probes against a stuck database costs one connection.
   */
  checkDatabase(timeoutMs: number): Promise<DatabaseState> {
    return (this.inFlight ??= this.lookAtDatabase(timeoutMs).finally(() => (this.inFlight = undefined)));
  }

  private async lookAtDatabase(timeoutMs: number): Promise<DatabaseState> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DatabaseState>((resolve) => {
      timer = setTimeout(() => resolve({ reachable: false, problem: `no answer within ${timeoutMs} ms` }), timeoutMs);
    });
    try {
      return await Promise.race([this.appliedMigrations(timeoutMs), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async appliedMigrations(timeoutMs: number): Promise<DatabaseState> {
    try {
      // query_timeout is the driver's own timer: a statement that stops answering ends rather than
      // holding a pooled connection (getting a connection is bounded by the race above).
      const result = await this.db.pool.query<{ name: string }>({ text: APPLIED_MIGRATIONS, query_timeout: timeoutMs } as { text: string });
      const applied = new Set(result.rows.map((row) => row.name));
      return { reachable: true, pendingMigrations: MIGRATION_NAMES.filter((name) => !applied.has(name)) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === UNDEFINED_TABLE) return { reachable: true, pendingMigrations: [...MIGRATION_NAMES] };
      return { reachable: false, problem: typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code) ? `unreachable (${code})` : 'unreachable' };
    }
  }
}
