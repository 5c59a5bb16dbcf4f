import { rmSync } from 'node:fs';
import type { EmbeddedDatabase } from '../../src';

type Started = { __tesseraDb?: { db: EmbeddedDatabase; dataDir: string } };

// Every e2e project runs this teardown; the first one stops the server the setup started.
export default async function globalTeardown() {
  const started = (globalThis as Started).__tesseraDb;
  if (!started) return;
  delete (globalThis as Started).__tesseraDb;
  await started.db.stop();
  rmSync(started.dataDir, { recursive: true, force: true });
}
