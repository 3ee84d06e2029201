/**
 * A small module graph over the repository's TypeScript sources, for the
 * structure checks in this folder: which file imports which (relative imports
 * only, resolved the way the bundler and `moduleResolution: Bundler` do), and
 * the import cycles in it.
 *
 * Each edge records how it imports: `value` (a static import or re-export that
 * runs the target at load), `type` (erased at compile time) or `dynamic`
 * (`import()`, loaded when first called).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export type EdgeKind = 'value' | 'type' | 'dynamic';

export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly specifier: string;
}

export interface ModuleGraph {
  /** Files, relative to the root, with forward slashes. */
  readonly files: readonly string[];
  readonly edges: readonly Edge[];
}

const SOURCE = /\.(ts|mts|cts|tsx)$/;
const SKIP_DIRS = new Set(['node_modules', 'cdk.out', '.out', '.git']);

/** Every TypeScript source under `dirs` (relative to `root`), declaration files excluded. */
export function listSources(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (SKIP_DIRS.has(name)) continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(toRel(root, full));
    }
  };
  for (const d of dirs) if (existsSync(join(root, d))) walk(join(root, d));
  return out.sort();
}

const toRel = (root: string, full: string): string => relative(root, full).split(sep).join('/');

/** The imports of one file's text: specifier and kind, in source order. */
export function importsOf(fileName: string, text: string): { specifier: string; kind: EdgeKind }[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: { specifier: string; kind: EdgeKind }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      out.push({ specifier: node.moduleSpecifier.text, kind: typeOnly ? 'type' : 'value' });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly =
        node.isTypeOnly ||
        (node.exportClause !== undefined &&
          ts.isNamedExports(node.exportClause) &&
          node.exportClause.elements.length > 0 &&
          node.exportClause.elements.every((e) => e.isTypeOnly));
      out.push({ specifier: node.moduleSpecifier.text, kind: typeOnly ? 'type' : 'value' });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteralLike(node.arguments[0]!)
    ) {
      out.push({ specifier: (node.arguments[0] as ts.StringLiteralLike).text, kind: 'dynamic' });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      // `typeof import('./x')` in a type position.
      out.push({ specifier: node.argument.literal.text, kind: 'type' });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const CANDIDATE_SUFFIXES = ['', '.ts', '.tsx', '.mts', '/index.ts', '/index.tsx'];

/**
 * Resolves a relative specifier from `fromRel` to a file relative to `root`,
 * or undefined for a package import or a file that does not exist. A `.js`
 * suffix maps to the `.ts` source, as TypeScript does.
 */
export function resolveSpecifier(root: string, fromRel: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(root, dirname(fromRel), specifier);
  const stems = [base];
  const js = /\.(m|c)?js$/.exec(base);
  if (js) stems.unshift(base.slice(0, -js[0].length) + (js[1] === 'm' ? '.mts' : js[1] === 'c' ? '.cts' : '.ts'));
  for (const stem of stems) {
    for (const suffix of CANDIDATE_SUFFIXES) {
      const p = stem + suffix;
      if (existsSync(p) && statSync(p).isFile()) return toRel(root, p);
    }
  }
  return undefined;
}

/** The graph of relative imports among the TypeScript sources under `dirs`. */
export function buildGraph(root: string, dirs: readonly string[]): ModuleGraph {
  const files = listSources(root, dirs);
  const edges: Edge[] = [];
  for (const from of files) {
    for (const { specifier, kind } of importsOf(from, readFileSync(join(root, from), 'utf8'))) {
      const to = resolveSpecifier(root, from, specifier);
      if (to !== undefined) edges.push({ from, to, kind, specifier });
    }
  }
  return { files, edges };
}

/**
 * The import cycles among edges of the given kinds: each strongly connected
 * component with more than one file (or a file importing itself), files
 * sorted. Tarjan's algorithm, iterative so deep graphs do not overflow.
 */
export function findCycles(graph: ModuleGraph, kinds: readonly EdgeKind[]): string[][] {
  const adj = new Map<string, string[]>();
  for (const f of graph.files) adj.set(f, []);
  const selfLoops = new Set<string>();
  for (const e of graph.edges) {
    if (!kinds.includes(e.kind)) continue;
    if (!adj.has(e.from)) adj.set(e.from, []);
    if (!adj.has(e.to)) adj.set(e.to, []);
    adj.get(e.from)!.push(e.to);
    if (e.from === e.to) selfLoops.add(e.from);
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  for (const start of adj.keys()) {
    if (index.has(start)) continue;
    const work: { v: string; i: number }[] = [{ v: start, i: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const succ = adj.get(frame.v)!;
      if (frame.i < succ.length) {
        const w = succ[frame.i++]!;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.v;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.v)!));
      }
      if (low.get(frame.v) === index.get(frame.v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== frame.v);
        if (scc.length > 1 || selfLoops.has(frame.v)) sccs.push(scc.sort());
      }
    }
  }
  return sccs.sort((a, b) => a[0]!.localeCompare(b[0]!));
}
