import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findFreePort } from '../../src/database/embedded-postgres';

/** A PostgreSQL server of one test's own, which the test can stop and start again on the same port. */
export interface ThrowawayPostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-throwaway-'));
  chmodSync(dataDir, 0o755);
  const port = await findFreePort();
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'throwaway-postgres.js'), dataDir, String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const answers: Array<(answer: Record<string, string>) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => answers.shift()?.(JSON.parse(line)));
  const next = () =>
    new Promise<Record<string, string>>((resolve, reject) => {
      answers.push((answer) => (answer.error ? reject(new Error(answer.error)) : resolve(answer)));
    });
  const first = await next();
  return {
    url: first.started,
    async stop() {
      const done = next();
      child.stdin!.write('stop\n');
      await done;
    },
    async start() {
      const done = next();
      child.stdin!.write('start\n');
      await done;
    },
    async close() {
      child.stdin!.write('exit\n');
      await new Promise((resolve) => child.on('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
