import { rmSync } from 'node:fs';
import type { EmbeddedDatabase } from '../../src';

export default async function globalTeardown() {
  const started = (globalThis as { __tesseraDb?: { db: EmbeddedDatabase; dataDir: string } }).__tesseraDb;
  if (!started) return;
  await started.db.stop();
  rmSync(started.dataDir, { recursive: true, force: true });
}
