import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMigrations, startEmbeddedPostgres } from '../../src';

/**
 * The end-to-end tests run on a real PostgreSQL: the one in DATABASE_URL when set, otherwise a
 * throw-away embedded server. Migrations are applied once here, before any test file starts.
 */
export default async function globalSetup() {
  if (!process.env.DATABASE_URL) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
    const db = await startEmbeddedPostgres(dataDir, () => undefined);
    process.env.DATABASE_URL = db.url;
    (globalThis as { __tesseraDb?: unknown }).__tesseraDb = { db, dataDir };
  }
  // Through a transaction pooler the migration lock needs a direct connection (DATABASE_DIRECT_URL).
  await runMigrations(process.env.DATABASE_DIRECT_URL ?? process.env.DATABASE_URL);
}
