/**
 * Issue #13's "done when": the real kubectl 1.32 binary, step by step, against
 * the simulated API server with its controllers and — when KUBE_ASSETS is set —
 * against a real kube-apiserver + kube-controller-manager (v1.20), comparing
 * the normalized outputs. Neither target runs a kubelet, so both see the same
 * Pending pods; the steps are in ./api/kubectl-flows.ts with why each exists.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeControlPlane, type KubeControlPlane } from '../support/kube-control-plane';
import { startApiServer, type SimApiServer } from './api/server';
import { KUBECTL, runStep, STEPS, type KubectlTarget, type Outcome } from './api/kubectl-flows';
import { RealClock } from './clock';
import { startControllers, type Controllers } from './controllers';

const outcomes: Record<string, Outcome[]> = {};

async function runAll(t: KubectlTarget): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const started = Date.now();
  for (const step of STEPS) out.push(await runStep(t, step));
  console.log(`[kubectl contract] ${t.name}: ${STEPS.length} kubectl steps (with their waits) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return out;
}

function checkExpectations(name: string, results: Outcome[]): void {
  STEPS.forEach((step, i) => {
    const r = results[i]!;
    const label = `${name} step ${i + 1} (${step.why}): kubectl ${step.args.join(' ')}\n${r.stdout}${r.stderr}`;
    expect(r.code, label).toBe(step.expect.code);
    if (step.expect.stdout) expect(r.stdout, label).toMatch(step.expect.stdout);
    if (step.expect.stderr) expect(r.stderr, label).toMatch(step.expect.stderr);
  });
}

const real = await startKubeControlPlane();
const realPlane: KubeControlPlane | undefined = 'stop' in real ? real : undefined;
if (!realPlane) console.log(`[kubectl contract] ${(real as { skipped: string }).skipped}`);
afterAll(async () => {
  await realPlane?.stop();
});

describe(`kubectl (${KUBECTL}) against the simulator`, () => {
  let server: SimApiServer;
  let controllers: Controllers;
  let timer: NodeJS.Timeout;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubectl-sim-'));
    const clock = new RealClock();
    server = await startApiServer({ clock, seed: 3 });
    await server.writeKubeconfig(join(dir, 'kubeconfig'));
    controllers = startControllers({ store: server.store, clock });
    // The controllers' loop, as kube-controller-manager runs beside the real server.
    timer = setInterval(() => void controllers.reconcile(), 100);
    outcomes.sim = await runAll({ name: 'simulator', kubeconfig: join(dir, 'kubeconfig'), dir });
  }, 240_000);
  afterAll(async () => {
    clearInterval(timer);
    controllers?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every step has the outcome kubectl has against Kubernetes', () => {
    checkExpectations('simulator', outcomes.sim!);
  });
});

describe.runIf(realPlane)('kubectl against the real kube-apiserver', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubectl-real-'));
    outcomes.real = await runAll({ name: 'kube-apiserver', kubeconfig: realPlane!.kubeconfigPath, dir });
  }, 240_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every step has the expected outcome there too', () => {
    checkExpectations('kube-apiserver', outcomes.real!);
  });

  it('dumps both runs for reading (KUBECTL_FLOWS_DUMP=DIR)', async () => {
    const out = process.env.KUBECTL_FLOWS_DUMP;
    if (!out) return;
    for (const [name, results] of Object.entries(outcomes)) {
      const text = results.map((r, i) => `### step ${i}: ${STEPS[i]!.args.join(' ')}\ncode ${r.code}\n${r.stdout}\n--- stderr\n${r.stderr}`).join('\n');
      await writeFile(join(out, `${name}.txt`), text);
    }
  });

  it.each(STEPS.map((step, i) => ({ i, why: step.why, args: step.args.join(' ') })))('step $i: $why — same output as the simulator', ({ i }) => {
    expect(outcomes.sim![i]).toEqual(outcomes.real![i]);
  });
});
