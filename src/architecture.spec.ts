import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

/**
 * The folders of src/ form layers: core services below (config, common, crypto, database, users,
 * sessions, attributes, auth, sweeper), the HTTP transport above them, the module and the public
 * entry above that, and the service (main, CLI) on top, consuming the entry only. A folder that
 * imports a folder which imports it back is a cycle; this test fails on the first one.
 */
const SRC = resolve(__dirname);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The folder of src/ a file belongs to; files directly in src/ are the root layer. */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : '(root)';
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
  const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  return [...specifiers, ...dynamic].filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (!graph.has(from)) graph.set(from, new Set());
    for (const target of importsOf(file)) {
      if (!target.startsWith(SRC + sep)) continue; // migrations/, packages
      const to = folderOf(target.endsWith('.ts') ? target : `${target}.ts`);
      if (to !== from) graph.get(from)!.add(to);
    }
  }
  return graph;
}

function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the folders of src/', () => {
  const graph = folderGraph();

  it('import each other without a cycle', () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it('keep the core below the HTTP transport and the service', () => {
    const core = ['config', 'common', 'crypto', 'database', 'users', 'sessions', 'attributes', 'auth', 'audit', 'sweeper', 'health', 'metrics'];
    for (const folder of core) {
      const above = [...(graph.get(folder) ?? [])].filter((to) => !core.includes(to));
      expect({ folder, imports: above }).toEqual({ folder, imports: [] });
    }
  });

  it('let the service reach Tessera through the public entry only', () => {
    const service = sourceFiles(join(SRC, 'service'));
    for (const file of service) {
      const reached = importsOf(file).filter((target) => !target.startsWith(join(SRC, 'service')));
      expect({ file: relative(SRC, file), reached: [...new Set(reached.map((t) => relative(SRC, t)))] }).toEqual({
        file: relative(SRC, file),
        reached: reached.length ? ['index'] : [],
      });
    }
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const cyclic = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])]]);
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
  });
});
