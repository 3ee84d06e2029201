import type { FailureKind } from '../../../functions/domain/incident';
import type { Deployment } from '../../../functions/domain/k8s';
import type { CauseGroundTruth, FaultScenario, InstantiateOptions, ScenarioInstance } from '../faults/kit';
import { deploymentManifest, deploymentPath, ensureNamespace } from '../faults/kit';
import { hpaPath } from '../faults/hpa';
import type { KubeClientLike } from '../kube-client';
import { normaliseImage, type RegistryEntry } from '../registry';
import { registryEntryOf } from './app-model';
import { expandDeep } from './expr';
import { collateralProblems, collateralSnapshot, checkHealthy } from './oracle';
import { drawParameters } from './params';
import type { AppModel, Cause, HealthCheck, ScenarioFile, Step } from './schema';
import { applyObject, runStep, scheduleSteps, type StepContext } from './steps';

/**
 * A validated scenario file as the fault catalogue's FaultScenario: each
 * `instantiate(seed)` draws the parameters, expands the templates, builds
 * the images' registry entries and returns setup (the healthy baseline),
 * inject (the fault's first moment), schedule (later steps and noise), the
 * oracle and the manual fix. Ground truth stays on the scenario and
 * instance objects, on the benchmark's side: nothing of it is written to the
 * cluster. A family's instance is its drawn cause's: the file's parts plus
 * the cause's parameters, image overrides, steps, noise, ground truth and
 * oracle.
 */

type Workloads = ScenarioFile['workloads'];

type GroundTruth = NonNullable<ScenarioFile['groundTruth']>;

function truthOf(gt: GroundTruth): CauseGroundTruth {
  return { symptom: gt.symptom ? { ...gt.symptom } : null, rootCause: gt.rootCause, fixable: gt.fixable, acceptableRemedies: [...gt.acceptableRemedies], maskingRemedies: [...gt.maskingRemedies] };
}

/** The file's ground truth, or (a family) each cause's; the loader has checked that exactly one of the two is there. */
function truths(file: ScenarioFile): { name: string; gt: GroundTruth }[] {
  return file.causes ? file.causes.map((c) => ({ name: c.name, gt: c.groundTruth })) : [{ name: file.name, gt: file.groundTruth! }];
}

export function compileScenario(file: ScenarioFile, source: string): FaultScenario {
  const all = truths(file);
  const first = all[0]!.gt;
  return {
    name: file.name,
    description: file.description,
    // A family is one symptom: the first cause's names it; fixable when any cause is, fixed by any cause's remedy.
    expected: {
      kind: (first.symptom?.kind ?? null) as FailureKind | null,
      ...(first.symptom?.subReason ? { subReason: first.symptom.subReason } : {}),
      fixable: all.some((t) => t.gt.fixable),
      fixes: [...new Set(all.flatMap((t) => t.gt.acceptableRemedies))],
    },
    realCluster: file.realCluster,
    source,
    authors: file.authors,
    ...(file.family ? { family: file.family } : {}),
    ...(file.causes
      ? { causes: all.map((t) => ({ name: t.name, groundTruth: truthOf(t.gt) })), ...(file.shift ? { shift: { causeWeights: { ...file.shift.causeWeights } } } : {}) }
      : { groundTruth: { rootCause: first.rootCause, acceptableRemedies: [...first.acceptableRemedies], maskingRemedies: [...first.maskingRemedies] } }),
    ...(file.nodes ? { nodes: file.nodes.map((n) => ({ ...n })) } : {}),
    instantiate: (seed, options) => instantiate(file, seed, options),
  };
}

/** The file's images with the cause's overrides: same reference → its app fields replace the file's; else an image of its own. */
function imagesOf(file: ScenarioFile, cause: Cause | undefined, scope: Record<string, unknown>): (ScenarioFile['images'][number] & { ref: string })[] {
  const out = file.images.map((raw) => ({ ...raw, ref: String(expandDeep(raw.image, scope)) }));
  for (const raw of cause?.images ?? []) {
    const ref = String(expandDeep(raw.image, scope));
    const same = out.findIndex((o) => normaliseImage(o.ref) === normaliseImage(ref));
    if (same < 0) out.push({ ...raw, ref } as (typeof out)[number]);
    else {
      const base = out[same]!;
      out[same] = { ...base, ...raw, ref, ...(base.app || raw.app ? { app: { ...base.app, ...raw.app } as AppModel } : {}) };
    }
  }
  return out;
}

function instantiate(file: ScenarioFile, seed: number, options: InstantiateOptions = {}): ScenarioInstance {
  const scope = drawParameters(file, seed, options);
  const cause = file.causes?.find((c) => c.name === scope.cause);
  const gt = cause ? cause.groundTruth : file.groundTruth!;
  const oracleSpec = cause?.oracle ?? file.oracle!;
  const faultSteps = [...file.timeline.steps, ...(cause?.steps ?? [])];
  const noiseSteps = [...file.timeline.noise, ...(cause?.noise ?? [])];
  // Names steps record (corruptPodState … as) exist from the start, as null until the step runs.
  for (const s of [...faultSteps, ...noiseSteps, ...gt.manualFix]) {
    if ('corruptPodState' in s && s.corruptPodState.as) scope[s.corruptPodState.as] ??= null;
    if ('deletePod' in s && s.deletePod.as) scope[s.deletePod.as] ??= null;
  }
  const corruptPods: string[] = [];
  const images = new Map<string, RegistryEntry>();
  const entries = imagesOf(file, cause, scope).map(({ ref, ...raw }) => {
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
  checkUniqueNames(file.name, seed, workloads);
  const ctx: StepContext = { scope, images, corruptPods };
  const healthy = () => expandDeep(oracleSpec.healthy.map(({ where, ...rest }) => rest), scope) as Omit<HealthCheck, 'where'>[];
  const checks = () => healthy().map((c, i) => ({ ...c, where: oracleSpec.healthy[i]!.where }));
  const atOf = (s: Step) => Number(expandDeep(s.at ?? 0, scope));
  const now = [...faultSteps, ...noiseSteps].filter((s) => atOf(s) <= 0);
  const later = [...faultSteps, ...noiseSteps].filter((s) => atOf(s) > 0);
  return {
    scenario: file.name,
    seed,
    groundTruth: { cause: cause?.name ?? file.name, ...truthOf(gt) },
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
      for (const s of gt.manualFix) await runStep(k, s, ctx);
    },
    judge: {
      stabilityWindowSeconds: oracleSpec.stabilityWindowSeconds,
      snapshot: (k) => collateralSnapshot(k, { protectedNamespaces: oracleSpec.collateral.protectedNamespaces, targets: healthy().map((c) => ({ namespace: c.namespace, name: c.deployment })) }),
      problems: (before, after) => collateralProblems(before, after, oracleSpec.collateral),
    },
  };
}

export class ScenarioNameCollision extends Error {
  override readonly name = 'ScenarioNameCollision' as const;
}

/**
 * Two objects of one instance under the same kind, namespace and name would
 * make its setup fail half-way with a 409 (a drawn parameter can land on the
 * drawn app name: hpa-at-max once picked the downstream "inventory" for the
 * app "inventory"). Refused when the instance is drawn, before anything is
 * written, naming the seed and the object.
 */
function checkUniqueNames(scenario: string, seed: number, w: Workloads): void {
  const seen = new Set<string>();
  const objects: [string, { namespace: string; name: string }[]][] = [
    ['ConfigMap', w.configMaps],
    ['Secret', w.secrets],
    ['Service', w.services],
    // A Deployment and a StatefulSet may share a name in Kubernetes, but not the pods' app label the kit gives both.
    ['workload', [...w.deployments, ...w.statefulSets]],
    ['HorizontalPodAutoscaler', w.hpas],
  ];
  for (const [kind, list] of objects) {
    for (const o of list) {
      const key = `${kind} ${o.namespace}/${o.name}`;
      if (seen.has(key)) throw new ScenarioNameCollision(`${scenario} seed ${seed}: two ${kind === 'workload' ? 'workloads' : `${kind}s`} named ${o.namespace}/${o.name} (drawn parameters collide; setup would fail with 409 already exists)`);
      seen.add(key);
    }
  }
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
