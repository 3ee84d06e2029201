import { execFile } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);

export interface BundleFigures {
  role: string;
  minifiedBytes: number;
  /** Median of 5 cold `import()`s of the bundle in a fresh Node process (AWS SDK v3 external, as in Lambda). */
  initMs: number;
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Bundles each Lambda entry the way the CDK construct does (esbuild, ESM,
 * minified, @aws-sdk external because the runtime provides it) and measures
 * size and module init time. The bundles are written inside the repository
 * (.out/bench-bundles), whatever `outDir` is: their external @aws-sdk imports
 * resolve from the bundle's own folder, and a folder outside the checkout
 * (bench --out /tmp/x) has no node_modules to find them in.
 */
export async function bundleBench(_outDir: string): Promise<BundleFigures[]> {
  const handlers = join(REPO, 'functions', 'handlers');
  const dir = join(REPO, '.out', 'bench-bundles');
  await mkdir(dir, { recursive: true });
  const entries = (await readdir(handlers)).filter((f) => f.endsWith('.ts')).sort();
  const figures: BundleFigures[] = [];
  for (const entry of entries) {
    const role = basename(entry, '.ts');
    const outfile = join(dir, `${role}.mjs`);
    await build({
      entryPoints: [join(handlers, entry)],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      outfile,
      external: ['@aws-sdk/*'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'silent',
    });
    const { size } = await stat(outfile);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { stdout } = await run(process.execPath, [
        '--input-type=module',
        '-e',
        `const t = performance.now(); await import(${JSON.stringify(outfile)}); process.stdout.write(String(performance.now() - t));`,
      ]);
      samples.push(Number(stdout));
    }
    samples.sort((a, b) => a - b);
    figures.push({ role, minifiedBytes: size, initMs: samples[2]! });
  }
  return figures;
}
