import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGraph, findCycles, importsOf, type EdgeKind } from './module-graph';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Edges that count for cycles: static imports and re-exports, type-only ones
 * included (a type cycle is still two modules that cannot be read apart).
 * Not `import()`: it is the designed lazy boundary (bin/commands/index.ts
 * loads each command with it, and a command may read the registry back); a
 * cycle closed by one has no load-order effect.
 */
const CYCLE_KINDS: readonly EdgeKind[] = ['value', 'type'];

/**
 * Cycles that are being removed by another change; each names its issue and
 * owner. Delete the entry when the cycle is gone (the test fails on a stale one).
 */
const KNOWN_CYCLES: readonly { files: readonly string[]; why: string }[] = [];

const sameCycle = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().every((f, i) => f === [...b].sort()[i]);

/** Writes a throwaway tree of files (path → text) and returns its root. */
const scratch: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'hygiene-graph-'));
  scratch.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe('the module graph reader', () => {
  // Each case is one import form the checks below must see (or must not count).
  it.each([
    ["import { a } from './a';", [{ specifier: './a', kind: 'value' }]],
    ["import './side-effect';", [{ specifier: './side-effect', kind: 'value' }]],
    ["import type { A } from './a';", [{ specifier: './a', kind: 'type' }]],
    // Only type specifiers: erased like `import type`.
    ["import { type A, type B } from './a';", [{ specifier: './a', kind: 'type' }]],
    // One value specifier keeps the import at runtime.
    ["import { type A, b } from './a';", [{ specifier: './a', kind: 'value' }]],
    ["export { a } from './a';", [{ specifier: './a', kind: 'value' }]],
    ["export * from './a';", [{ specifier: './a', kind: 'value' }]],
    ["export type { A } from './a';", [{ specifier: './a', kind: 'type' }]],
    ["const m = await import('./lazy');", [{ specifier: './lazy', kind: 'dynamic' }]],
    ["type M = typeof import('./t');", [{ specifier: './t', kind: 'type' }]],
    // Text that only looks like an import is not one.
    ["const s = \"import x from './nope'\"; // import './nope2'", []],
  ] as const)('%s', (text, expected) => {
    expect(importsOf('x.ts', text)).toEqual(expected);
  });

  it('resolves extensionless, .js-suffixed and folder imports to the .ts source', () => {
    const root = tree({
      'src/a.ts': "import './b'; import './c.js'; import './d';",
      'src/b.ts': '',
      'src/c.ts': '',
      'src/d/index.ts': '',
    });
    expect(buildGraph(root, ['src']).edges.map((e) => e.to)).toEqual(['src/b.ts', 'src/c.ts', 'src/d/index.ts']);
  });

  it('finds a synthetic cycle (direct, through a third file, and through a type import), and none in a chain', () => {
    const root = tree({
      'lib/a.ts': "import { b } from './b'; export const a = 1;",
      'lib/b.ts': "import { a } from './a'; export const b = a;",
      'lib/c.ts': "import { d } from '../functions/d'; export const c = 1;",
      'functions/d.ts': "import { e } from './e'; export const d = 1;",
      'functions/e.ts': "import type { C } from '../lib/c'; export const e = 1;",
      'functions/chain1.ts': "import './chain2';",
      'functions/chain2.ts': "import './chain3';",
      'functions/chain3.ts': '',
      'functions/self.ts': "import './self';",
      'functions/lazy1.ts': "export const f = () => import('./lazy2');",
      'functions/lazy2.ts': "import './lazy1';",
    });
    expect(findCycles(buildGraph(root, ['functions', 'lib']), CYCLE_KINDS)).toEqual([
      ['functions/d.ts', 'functions/e.ts', 'lib/c.ts'],
      ['functions/self.ts'],
      ['lib/a.ts', 'lib/b.ts'],
    ]);
    // With import() counted, the lazy pair is a cycle too: the kinds matter.
    expect(findCycles(buildGraph(root, ['functions']), ['value', 'type', 'dynamic'])).toContainEqual(['functions/lazy1.ts', 'functions/lazy2.ts']);
  });
});

describe('repository structure', () => {
  const graph = buildGraph(ROOT, ['functions', 'lib', 'bin']);
  const cycles = findCycles(graph, CYCLE_KINDS);

  it('reads a graph of the real size (guards against a reader that silently sees nothing)', () => {
    expect(graph.files.length).toBeGreaterThan(150);
    expect(graph.edges.length).toBeGreaterThan(500);
  });

  it('has no import cycle among functions/, lib/ and bin/ (other than the known ones being removed)', () => {
    const unknown = cycles.filter((c) => !KNOWN_CYCLES.some((k) => sameCycle(k.files, c)));
    expect(unknown, `import cycles:\n${unknown.map((c) => `  ${c.join(' <-> ')}`).join('\n')}`).toEqual([]);
  });

  it('lists no known cycle that is already gone (delete its entry in KNOWN_CYCLES)', () => {
    const stale = KNOWN_CYCLES.filter((k) => !cycles.some((c) => sameCycle(k.files, c)));
    expect(stale.map((k) => k.files.join(' <-> '))).toEqual([]);
  });

  it('product code (functions/, lib/) never imports test/, not even lazily', () => {
    const full = buildGraph(ROOT, ['functions', 'lib', 'test']);
    const bad = full.edges.filter((e) => /^(functions|lib)\//.test(e.from) && e.to.startsWith('test/'));
    expect(bad.map((e) => `${e.from} imports ${e.specifier}`)).toEqual([]);
  });

  it('the product-imports-test check can fail (synthetic tree)', () => {
    const root = tree({ 'functions/x.ts': "export const load = () => import('../test/sim/server');", 'test/sim/server.ts': '' });
    const edges = buildGraph(root, ['functions', 'test']).edges.filter((e) => e.to.startsWith('test/'));
    expect(edges).toHaveLength(1);
  });
});
