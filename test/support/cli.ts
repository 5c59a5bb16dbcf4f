import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestApp } from './test-app';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'service', 'cli.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI as an operator runs it (`npm run cli -- ...`), against the tests' database. */
export function cli(t: TestApp, ...args: string[]): Promise<Run> {
  return cliWith(t, {}, ...args);
}

/** The same with further environment variables (`SSO_PASSWORD` for `create-super-user`). */
export function cliWith(t: TestApp, extraEnv: Record<string, string>, ...args: string[]): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
  const env = {
    PATH: process.env.PATH,
    DATABASE_URL: t.config.databaseUrl,
    DATABASE_DIRECT_URL: t.config.directDatabaseUrl,
    DB_PREPARED_STATEMENTS: process.env.DB_PREPARED_STATEMENTS,
    ENCRYPTION_KEYS: t.config.encryptionKeys,
    DATA_DIR: t.config.dataDir,
    ...extraEnv,
  };
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: clean, cwd: tmpdir(), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}
