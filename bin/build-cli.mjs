// Builds the `eks-reflexion` CLI (bin/cli.ts and everything it imports from
// this repository) into one ESM bundle with lazily loaded chunks, so a command
// starts without transpiling TypeScript. Run by npm's `prepare` step (npm ci,
// npm install) and by bin/eks-reflexion.mjs whenever a source file changed
// since the last build. Packages stay external (node_modules is not bundled).
//
// Builds are kept per source fingerprint under .out/cli/<hash>/ and written
// to a temporary folder first, then renamed: two processes building at once
// (parallel tests) both end up with a complete build.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['bin', 'functions', 'lib', 'test'];
const OUT = join(ROOT, '.out', 'cli');

/** Hash of every TypeScript source's path, size and mtime (test files excluded: never bundled). */
export function sourceFingerprint() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const s = statSync(path);
        hash.update(`${relative(ROOT, path)}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
  hash.update(readFileSync(join(ROOT, 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

/** The built entry for the current sources, if it exists. */
export function builtEntry(fingerprint = sourceFingerprint()) {
  const entry = join(OUT, fingerprint, 'cli.mjs');
  return existsSync(entry) ? entry : undefined;
}

/**
 * Each source keeps its own import.meta.url (lib/ finds the repository root
 * through it): `import.meta.url` in code (never inside strings: esbuild's
 * define only replaces expressions) becomes a constant holding the source
 * file's URL, declared on the file's first line so line numbers stay.
 */
const sourceUrlPlugin = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes('node_modules')) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
      return { contents: `const __eksSourceUrl = ${JSON.stringify(pathToFileURL(args.path).href)};${text}`, loader: 'ts' };
    });
  },
};

export async function buildCli(fingerprint = sourceFingerprint()) {
  const existing = builtEntry(fingerprint);
  if (existing) return existing;
  const { build } = await import('esbuild');
  const final = join(OUT, fingerprint);
  const tmp = `${final}.tmp-${process.pid}-${Date.now()}`;
  await build({
    entryPoints: { cli: join(ROOT, 'bin', 'cli.ts') },
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    define: { 'import.meta.url': '__eksSourceUrl' },
    plugins: [sourceUrlPlugin],
    logLevel: 'error',
  });
  try {
    renameSync(tmp, final);
  } catch {
    // Another process finished the same build first: use its copy.
    rmSync(tmp, { recursive: true, force: true });
  }
  // Builds of older sources, a day old or more, are removed (a running CLI may still load chunks of a recent one).
  for (const entry of readdirSync(OUT)) {
    const path = join(OUT, entry);
    if (entry !== fingerprint && Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true });
  }
  return join(final, 'cli.mjs');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  const entry = await buildCli();
  process.stdout.write(`eks-reflexion CLI built: ${relative(ROOT, entry)} (${Date.now() - started} ms)\n`);
}
