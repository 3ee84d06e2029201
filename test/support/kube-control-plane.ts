import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real kube-apiserver + kube-controller-manager (v1.20.2) from
 * `$KUBE_ASSETS/start.sh` (see /work/shared/kube/README.md). It has no kubelet
 * and no scheduler: tests play their part (the kubelet/scheduler emulators in
 * test/sim can do it). When KUBE_ASSETS is unset the caller gets a reason to
 * print instead, so the real-server half of a suite is skipped visibly.
 */
export interface KubeControlPlane {
  kubeconfigPath: string;
  url: string;
  /** The run folder start.sh used (logs under logs/). */
  runDir: string;
  stop(): Promise<void>;
}
export type KubeControlPlaneResult = KubeControlPlane | { skipped: string };

export class KubeControlPlaneError extends Error {
  override readonly name = 'KubeControlPlaneError' as const;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // start.sh launches its daemons with setsid and their own log files, so its
    // pipes close when the script itself exits.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new KubeControlPlaneError(`${cmd} timed out after ${timeoutMs} ms\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new KubeControlPlaneError(`${cmd} could not start: ${e.message}`, { cause: e }));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses start.sh's `KEY=value` lines; throws naming what is missing. */
export function parseStartOutput(stdout: string): { kubeconfigPath: string; runDir: string; url: string } {
  const vars = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(KUBECONFIG|KUBE_RUN|KUBE_API_URL)=(.+)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!);
  }
  const missing = ['KUBECONFIG', 'KUBE_RUN', 'KUBE_API_URL'].filter((k) => !vars.has(k));
  if (missing.length > 0) {
    throw new KubeControlPlaneError(`start.sh output lacks ${missing.join(', ')}: ${JSON.stringify(stdout.slice(0, 500))}`);
  }
  return { kubeconfigPath: vars.get('KUBECONFIG')!, runDir: vars.get('KUBE_RUN')!, url: vars.get('KUBE_API_URL')! };
}

export async function startKubeControlPlane(options: { startTimeoutMs?: number } = {}): Promise<KubeControlPlaneResult> {
  const assets = process.env.KUBE_ASSETS;
  if (!assets) return { skipped: 'KUBE_ASSETS not set: real kube-apiserver half skipped' };
  const dir = await mkdtemp(join(tmpdir(), 'kube-run-'));
  const started = await run(join(assets, 'start.sh'), [dir], options.startTimeoutMs ?? 180_000);
  if (started.code !== 0) {
    // start.sh stops what it started on failure; clean the folder it left.
    await run(join(assets, 'stop.sh'), [dir, '--clean'], 60_000).catch(() => undefined);
    throw new KubeControlPlaneError(`start.sh exited ${started.code}: ${started.stderr.slice(-2000)}`);
  }
  const parsed = parseStartOutput(started.stdout);
  let stopped = false;
  return {
    ...parsed,
    async stop() {
      if (stopped) return;
      stopped = true;
      const r = await run(join(assets, 'stop.sh'), [parsed.runDir, '--clean'], 60_000);
      if (r.code !== 0) throw new KubeControlPlaneError(`stop.sh exited ${r.code}: ${r.stderr.slice(-1000)}`);
    },
  };
}
