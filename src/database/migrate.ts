import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';

// Instances starting together take turns: the first applies pending migrations, the others find none.
const MIGRATION_LOCK = 7_215_301;
export const MIGRATIONS_TABLE = 'tessera_migrations';

/** Tessera's migrations, in order: a host can add them to its own TypeORM DataSource instead. */
export const tesseraMigrations = migrations;

/** Applies Tessera's pending migrations under an advisory lock; returns the names applied. */
export async function runMigrations(url: string): Promise<string[]> {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    extra: { max: 1, application_name: 'tessera-migrate' },
  });
  await dataSource.initialize();
  try {
    await dataSource.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'all' });
      return applied.map((m) => m.name);
    } finally {
      await dataSource.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await dataSource.destroy();
  }
}

/** One line an operator can act on, for a migration or connection failure. */
export function migrationProblem(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'the database refused the connection: is it running, and is the database URL right?';
  if (code === '28P01' || code === '28000') return 'the database rejected the credentials in the database URL';
  if (code === '3D000') return 'the database named in the database URL does not exist';
  if (code === 'ENOTFOUND') return 'the database host in the database URL was not found';
  return error instanceof Error ? error.message.split('\n')[0] : 'unknown error';
}
