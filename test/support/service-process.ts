import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from '../../src/database/embedded-postgres';

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'service', 'main.js');

/** The built service (`npm test` builds it first) running as its own process, as `npm start` runs it. */
export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves with the output once `pattern` appears in it (or rejects after `ms`). */
  waitFor(pattern: RegExp, ms?: number): Promise<string>;
}

export async function startService(env: Record<string, string | undefined>): Promise<ServiceProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
  const port = await findFreePort();
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, PORT: String(port), LOG_LEVEL: 'warn', ...env })) {
    if (value !== undefined) childEnv[key] = value;
  }
  const child = spawn(process.execPath, [MAIN], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters: Array<() => void> = [];
  const collect = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    waiters.forEach((wake) => wake());
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => text,
    exited,
    waitFor: (pattern, ms = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${text}`)), ms);
        const check = () => {
          if (pattern.test(text)) {
            clearTimeout(timer);
            resolve(text);
          }
        };
        waiters.push(check);
        check();
      }),
  };
}
