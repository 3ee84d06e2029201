import type { FailureKind } from '../../../functions/domain/incident';
import type { Deployment } from '../../../functions/domain/k8s';
import type { FaultScenario, ScenarioInstance } from '../faults/kit';
import { deploymentManifest, deploymentPath, ensureNamespace } from '../faults/kit';
import { hpaPath } from '../faults/hpa';
import type { KubeClientLike } from '../kube-client';
import { normaliseImage, type RegistryEntry } from '../registry';
import { registryEntryOf } from './app-model';
import { expandDeep } from './expr';
import { collateralProblems, collateralSnapshot, checkHealthy } from './oracle';
import { drawParameters } from './params';
import type { AppModel, ScenarioFile, Step } from './schema';
import { applyObject, runStep, scheduleSteps, type StepContext } from './steps';

/**
 * A validated scenario file as the fault catalogue's FaultScenario: each
 * `instantiate(seed)` draws the parameters, expands the templates, builds
 * the images' registry entries and returns setup (the healthy baseline),
 * inject (the fault's first moment), schedule (later steps and noise), the
 * oracle and the manual fix. Ground truth stays on the scenario object, on
 * the benchmark's side: nothing of it is written to the cluster.
 */

type Workloads = ScenarioFile['workloads'];

export function compileScenario(file: ScenarioFile, source: string): FaultScenario {
  const gt = file.groundTruth;
  return {
    name: file.name,
    description: file.description,
    expected: {
      kind: (gt.symptom?.kind ?? null) as FailureKind | null,
      ...(gt.symptom?.subReason ? { subReason: gt.symptom.subReason } : {}),
      fixable: gt.fixable,
      fixes: [...gt.acceptableRemedies],
    },
    realCluster: file.realCluster,
    source,
    authors: file.authors,
    ...(file.family ? { family: file.family } : {}),
    groundTruth: { rootCause: gt.rootCause, acceptableRemedies: [...gt.acceptableRemedies], maskingRemedies: [...gt.maskingRemedies] },
    ...(file.nodes ? { nodes: file.nodes.map((n) => ({ ...n })) } : {}),
    instantiate: (seed) => instantiate(file, seed),
  };
}

function instantiate(file: ScenarioFile, seed: number): ScenarioInstance {
  const scope = drawParameters(file, seed);
  // Names steps record (corruptPodState … as) exist from the start, as null until the step runs.
  for (const s of [...file.timeline.steps, ...file.timeline.noise, ...file.groundTruth.manualFix]) {
    if ('corruptPodState' in s && s.corruptPodState.as) scope[s.corruptPodState.as] ??= null;
  }
  const corruptPods: string[] = [];
  const images = new Map<string, RegistryEntry>();
  const entries = file.images.map((raw) => {
    const ref = String(expandDeep(raw.image, scope));
    const expanded = expandDeep(raw, { ...scope, image: ref }) as typeof raw & { app?: AppModel };
    const entry = registryEntryOf({ ...expanded, image: ref }, corruptPods);
    images.set(normaliseImage(ref), entry);
    return entry;
  });
  const target = expandDeep(file.target, scope) as ScenarioFile['target'];
  const workloads = expandDeep(file.workloads, scope) as Workloads;
  // Numbers that came from templates are checked now, so a bad file fails at load (trial instance), not mid-run.
  workloads.deployments.forEach((d, i) => {
    num(d.replicas, `workloads.deployments[${i}].replicas`);
    if (d.progressDeadlineSeconds !== undefined) num(d.progressDeadlineSeconds, `workloads.deployments[${i}].progressDeadlineSeconds`);
  });
  workloads.statefulSets.forEach((d, i) => num(d.replicas, `workloads.statefulSets[${i}].replicas`));
  workloads.hpas.forEach((h, i) => (['minReplicas', 'maxReplicas', 'cpuUtilization'] as const).forEach((f) => num(h[f], `workloads.hpas[${i}].${f}`)));
  const ctx: StepContext = { scope, images, corruptPods };
  const healthy = () => expandDeep(file.oracle.healthy.map(({ where, ...rest }) => rest), scope) as Omit<ScenarioFile['oracle']['healthy'][number], 'where'>[];
  const checks = () => healthy().map((c, i) => ({ ...c, where: file.oracle.healthy[i]!.where }));
  const atOf = (s: Step) => Number(expandDeep(s.at ?? 0, scope));
  const now = [...file.timeline.steps, ...file.timeline.noise].filter((s) => atOf(s) <= 0);
  const later = [...file.timeline.steps, ...file.timeline.noise].filter((s) => atOf(s) > 0);
  return {
    scenario: file.name,
    seed,
    namespace: target.namespace,
    workload: { kind: target.kind === 'StatefulSet' ? 'Deployment' : target.kind, name: target.name },
    images: entries,
    setup: (k) => setupWorkloads(k, workloads),
    async inject(k) {
      for (const s of now) await runStep(k, s, ctx);
    },
    schedule: (k, clock, startedAt, onError = (e) => console.error(`[scenario ${file.name}]`, e)) => scheduleSteps(k, later, { ...ctx, clock }, clock, startedAt, onError),
    oracle: (k) => checkHealthy(k, checks(), scope),
    async manualFix(k) {
      for (const s of file.groundTruth.manualFix) await runStep(k, s, ctx);
    },
    judge: {
      stabilityWindowSeconds: file.oracle.stabilityWindowSeconds,
      snapshot: (k) => collateralSnapshot(k, { protectedNamespaces: file.oracle.collateral.protectedNamespaces, targets: healthy().map((c) => ({ namespace: c.namespace, name: c.deployment })) }),
      problems: (before, after) => collateralProblems(before, after, file.oracle.collateral),
    },
  };
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${what} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** The healthy baseline, in dependency order: namespaces, config, services, workloads, autoscalers. */
async function setupWorkloads(k: KubeClientLike, w: Workloads): Promise<void> {
  for (const ns of w.namespaces) {
    if (!ns.labels && !ns.annotations) await ensureNamespace(k, ns.name);
    else await applyObject(k, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, ...(ns.labels ? { labels: ns.labels } : {}), ...(ns.annotations ? { annotations: ns.annotations } : {}) } });
  }
  for (const cm of w.configMaps) await k.create(`/api/v1/namespaces/${cm.namespace}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm.name }, data: cm.data });
  for (const s of w.secrets) {
    const data = Object.fromEntries(Object.entries(s.stringData).map(([key, v]) => [key, Buffer.from(v).toString('base64')]));
    await k.create(`/api/v1/namespaces/${s.namespace}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name }, type: s.type ?? 'Opaque', data });
  }
  for (const svc of w.services) {
    await k.create(`/api/v1/namespaces/${svc.namespace}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: svc.name }, spec: { selector: svc.selector, ports: svc.ports } });
  }
  for (const d of w.deployments) await k.create(deploymentPath(d.namespace, ''), workloadManifest(d, 'Deployment'));
  for (const s of w.statefulSets) {
    const m = workloadManifest(s, 'StatefulSet') as { spec: Record<string, unknown> };
    await k.create(`/apis/apps/v1/namespaces/${s.namespace}/statefulsets`, m);
  }
  for (const h of w.hpas) {
    const path = await hpaPath(k, h.namespace);
    await k.create(path.collection, path.manifest(h.name, h.deployment, num(h.minReplicas, 'minReplicas'), num(h.maxReplicas, 'maxReplicas'), num(h.cpuUtilization, 'cpuUtilization')));
  }
}

type WorkloadSpec = Workloads['deployments'][number] & { serviceName?: string };

function workloadManifest(w: WorkloadSpec, kind: 'Deployment' | 'StatefulSet'): Deployment {
  const d = deploymentManifest({
    namespace: w.namespace,
    name: w.name,
    replicas: num(w.replicas, 'replicas'),
    container: w.containers[0] as never,
    ...(w.labels ? { labels: w.labels } : {}),
    ...(w.annotations ? { annotations: w.annotations } : {}),
    ...(w.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: num(w.progressDeadlineSeconds, 'progressDeadlineSeconds') } : {}),
  });
  const spec = d.spec as Record<string, unknown> & { template: { spec: Record<string, unknown> } };
  spec.template.spec = { ...(w.podSpec ?? {}), containers: w.containers };
  if (kind === 'Deployment') return d;
  const { progressDeadlineSeconds: _p, strategy: _s, ...rest } = spec;
  return { ...d, kind: 'StatefulSet', spec: { ...rest, serviceName: w.serviceName ?? w.name, podManagementPolicy: 'Parallel' } as Deployment['spec'] };
}
