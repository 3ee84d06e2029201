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
  /** Median of 5 cold `import()`s of the bundle in a fresh Node process (wall time). */
  initMs: number;
  /**
   * CPU time (user + system) of the same imports, median of 5: what the init
   * costs the process itself, less sensitive than wall time to other load on
   * a shared machine (Lambda's init is CPU-bound; it has no neighbours).
   */
  initCpuMs: number;
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Bundles each Lambda entry the way the CDK construct does (esbuild, ESM,
 * minified, the AWS SDK bundled) and measures size and module init time.
 * The bundles are written inside the repository (.out/bench-bundles),
 * whatever `outDir` is.
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
      mainFields: ['module', 'main'],
      external: [],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'silent',
    });
    const { size } = await stat(outfile);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { stdout } = await run(process.execPath, [
        '--input-type=module',
        '-e',
        `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(outfile)}); const u = process.cpuUsage(c); process.stdout.write(JSON.stringify([performance.now() - t, (u.user + u.system) / 1000]));`,
      ]);
      const [w, c] = JSON.parse(stdout) as [number, number];
      wall.push(w);
      cpu.push(c);
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[2]!;
    figures.push({ role, minifiedBytes: size, initMs: median(wall), initCpuMs: median(cpu) });
  }
  return figures;
}
