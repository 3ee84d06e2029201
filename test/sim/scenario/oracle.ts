import type { Deployment, HorizontalPodAutoscaler } from '../../../functions/domain/k8s';
import { deploymentHealthy } from '../faults/kit';
import { hpaPath } from '../faults/hpa';
import { isNotFound, type KubeClientLike } from '../kube-client';
import { evalExpression } from './expr';
import type { HealthCheck, Oracle } from './schema';

/**
 * The scenario's oracle, for the benchmark only: the target's healthy
 * conditions (checked at one moment here; the bench holds them over the
 * stability window) and the collateral checks — no other workload made worse,
 * nothing touched in protected namespaces.
 */


export async function checkHealthy(k: KubeClientLike, checks: HealthCheck[], scope: Record<string, unknown>): Promise<boolean> {
  for (const check of checks) if (!(await one(k, check, scope))) return false;
  return true;
}

async function one(k: KubeClientLike, check: HealthCheck, scope: Record<string, unknown>): Promise<boolean> {
  let hpa: HorizontalPodAutoscaler | null = null;
  if (check.hpa) hpa = (await k.getOrUndefined<HorizontalPodAutoscaler>((await hpaPath(k, check.namespace)).item(check.hpa))) ?? null;
  return deploymentHealthy(k, check.namespace, check.deployment, (d, pods) => {
    const containers = d.spec?.template?.spec?.containers ?? [];
    const container = containers.find((c) => c.name === (check.container ?? check.deployment)) ?? containers[0] ?? null;
    const vars = { ...scope, deployment: d, containers, container, pods, podNames: pods.map((p) => p.metadata?.name), hpa };
    return check.where.every((w) => Boolean(evalExpression(w, vars)));
  });
}

/** What the collateral checks compare: specs in protected namespaces, and every other workload's health. */
export interface CollateralSnapshot {
  protectedObjects: Map<string, string>;
  workloads: Map<string, boolean>;
}

const PROTECTED_KINDS = [
  { kind: 'Deployment', path: (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments` },
  { kind: 'StatefulSet', path: (ns: string) => `/apis/apps/v1/namespaces/${ns}/statefulsets` },
  { kind: 'ConfigMap', path: (ns: string) => `/api/v1/namespaces/${ns}/configmaps` },
  { kind: 'Secret', path: (ns: string) => `/api/v1/namespaces/${ns}/secrets` },
] as const;

const IGNORED_ANNOTATIONS = new Set(['deployment.kubernetes.io/revision']);

/** The parts of an object a write would change (status and controller bookkeeping excluded). */
function fingerprint(o: { metadata?: { labels?: unknown; annotations?: Record<string, string> }; spec?: unknown; data?: unknown }): string {
  const annotations = Object.fromEntries(Object.entries(o.metadata?.annotations ?? {}).filter(([k]) => !IGNORED_ANNOTATIONS.has(k)));
  return JSON.stringify({ labels: o.metadata?.labels ?? {}, annotations, spec: o.spec ?? null, data: o.data ?? null });
}

function rolledOut(d: Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (s.readyReplicas ?? 0) >= want && (s.updatedReplicas ?? 0) >= want && (s.availableReplicas ?? 0) >= want && (s.unavailableReplicas ?? 0) === 0;
}

export async function collateralSnapshot(
  k: KubeClientLike,
  options: { protectedNamespaces: readonly string[]; targets: readonly { namespace: string; name: string }[] },
): Promise<CollateralSnapshot> {
  const protectedObjects = new Map<string, string>();
  for (const ns of options.protectedNamespaces) {
    for (const { kind, path } of PROTECTED_KINDS) {
      const items = await k.list<{ metadata?: { name?: string; labels?: unknown; annotations?: Record<string, string> } }>(path(ns)).catch((e: unknown) => (isNotFound(e) ? [] : Promise.reject(e)));
      for (const o of items) protectedObjects.set(`${kind} ${ns}/${o.metadata?.name}`, fingerprint(o));
    }
    const hpas = await k.list<HorizontalPodAutoscaler>((await hpaPath(k, ns)).collection).catch((e: unknown) => (isNotFound(e) ? [] : Promise.reject(e)));
    for (const o of hpas) protectedObjects.set(`HorizontalPodAutoscaler ${ns}/${o.metadata?.name}`, fingerprint(o));
  }
  const skip = new Set([...options.targets.map((t) => `${t.namespace}/${t.name}`)]);
  const workloads = new Map<string, boolean>();
  for (const d of await k.list<Deployment>('/apis/apps/v1/deployments')) {
    const key = `${d.metadata?.namespace}/${d.metadata?.name}`;
    if (skip.has(key) || options.protectedNamespaces.includes(d.metadata?.namespace ?? '')) continue;
    workloads.set(key, rolledOut(d));
  }
  return { protectedObjects, workloads };
}

/** Problems between two snapshots: a protected object changed or removed, a healthy workload no longer healthy. */
export function collateralProblems(before: CollateralSnapshot, after: CollateralSnapshot, options: Pick<Oracle['collateral'], 'otherWorkloadsNotWorse'>): string[] {
  const problems: string[] = [];
  for (const [key, print] of before.protectedObjects) {
    const now = after.protectedObjects.get(key);
    if (now === undefined) problems.push(`protected ${key} was deleted`);
    else if (now !== print) problems.push(`protected ${key} was changed`);
  }
  for (const key of after.protectedObjects.keys()) if (!before.protectedObjects.has(key)) problems.push(`protected ${key} was created`);
  if (options.otherWorkloadsNotWorse) {
    for (const [key, healthy] of before.workloads) {
      if (healthy && after.workloads.get(key) !== true) problems.push(`Deployment ${key} was healthy and is not`);
    }
  }
  return problems;
}
