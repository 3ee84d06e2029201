import { PreImageSchema, type PreImage } from '../actions/common';
import type { ContainerImage } from '../actions/common';
import type { Deployment, Pod } from '../../domain/k8s';
import type { Episode } from '../../domain/model';
import { agrees, trustReport, type OperatorChange, type PromotionThreshold, type ShadowEvaluation, type TrustReport } from '../../domain/trust';
import { currentReplicaSetOf, isPodFailing, podsOfReplicaSet, revisionOf } from '../../domain/workload';
import type { Cluster } from '../../ports/cluster';
import type { AppDeps } from '../deps';

/**
 * The trust ladder's evidence, read at report time: every observe/dry-run
 * decision in memory (the episode keeps the proposed action and the
 * workload's pre-image: revision, replicas, each container's image,
 * resources and probes), set against the workload as it is once the window
 * after the decision has passed. A change between the two is what an
 * operator did (the system wrote nothing). Partly: the comparison is made
 * when the report runs, so a change made after the window ended counts too;
 * Deployments and HPAs only.
 */
export interface TrustOptions {
  /** Decisions at or after this time. */
  since?: Date;
  /** How long after a decision operators' changes are looked for (and recovery judged). */
  windowSeconds: number;
  threshold: PromotionThreshold;
  cluster?: string;
  namespace?: string;
}

/** Half an hour: long enough for an on-call engineer to act, short enough to tie the change to the decision. */
export const DEFAULT_TRUST_WINDOW_SECONDS = 1800;

const SHADOW_OUTCOMES = new Set(['dry-run', 'observed']);

export async function buildTrustReport(deps: Pick<AppDeps, 'memory' | 'cluster' | 'clock' | 'policy'>, options: TrustOptions): Promise<TrustReport & { evaluations: ShadowEvaluation[] }> {
  const episodes = (
    await deps.memory.episodes.list({
      ...(options.cluster ? { cluster: options.cluster } : {}),
      ...(options.namespace ? { namespace: options.namespace } : {}),
    })
  ).filter((e) => SHADOW_OUTCOMES.has(e.outcome) && e.decision && (!options.since || Date.parse(e.endedAt) >= options.since.getTime()));
  const now = deps.clock.now();
  const clusters = new Map<string, Promise<TrustReads>>();
  const clusterOf = (name: string) => {
    if (!clusters.has(name)) clusters.set(name, deps.cluster(name).then(readOnce));
    return clusters.get(name)!;
  };
  const evaluations: ShadowEvaluation[] = [];
  for (const episode of episodes) evaluations.push(await evaluate(episode, now, options.windowSeconds, clusterOf));
  return { ...trustReport(evaluations, { threshold: options.threshold, windowSeconds: options.windowSeconds, approvalRequiredFor: deps.policy.approvalRequiredFor }), evaluations };
}

/** The reads a report makes. */
type TrustReads = Pick<Cluster, 'getDeployment' | 'getHpa' | 'listReplicaSets' | 'listPods'>;

/**
 * The cluster as it is now, read once per report: every decision is set
 * against the same present, so a Deployment, an HPA or a namespace's
 * ReplicaSets and pods are read once however many decisions name them
 * (a failed read is not kept: the next decision tries again).
 */
function readOnce(cluster: Cluster): TrustReads {
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let value = cache.get(key) as Promise<T> | undefined;
    if (!value) {
      value = read();
      cache.set(key, value);
      value.catch(() => cache.delete(key));
    }
    return value;
  };
  return {
    getDeployment: (namespace, name) => once(`deployment ${namespace}/${name}`, () => cluster.getDeployment(namespace, name)),
    getHpa: (namespace, name) => once(`hpa ${namespace}/${name}`, () => cluster.getHpa(namespace, name)),
    listReplicaSets: (namespace, selector) => once(`replicasets ${namespace} ${selector ?? ''}`, () => cluster.listReplicaSets(namespace, selector)),
    listPods: (namespace, selector) => once(`pods ${namespace} ${selector ?? ''}`, () => cluster.listPods(namespace, selector)),
  };
}

async function evaluate(episode: Episode, now: Date, windowSeconds: number, clusterOf: (name: string) => Promise<TrustReads>): Promise<ShadowEvaluation> {
  const decision = episode.decision!;
  const action = decision.action.action;
  const requested = decision.action as { replicas?: number };
  const base: ShadowEvaluation = {
    episodeId: episode.episodeId,
    signature: episode.signature,
    strategyId: decision.strategyId,
    action,
    namespace: episode.incident.namespace,
    workload: episode.incident.target.name,
    decidedAt: episode.endedAt,
    status: 'evaluated',
    changes: [],
    operatorActed: false,
    agreed: false,
    recovered: false,
  };
  if (Date.parse(episode.endedAt) + windowSeconds * 1000 > now.getTime()) return { ...base, status: 'pending' };
  const pre = PreImageSchema.safeParse(episode.result?.preImage);
  if (!pre.success) return { ...base, status: 'unreadable', note: 'the decision recorded no pre-image of the workload (e.g. an escalation): nothing to compare with' };
  const preImage = pre.data;
  const proposedDirection = requested.replicas !== undefined && preImage.replicas !== undefined && requested.replicas !== preImage.replicas ? (requested.replicas > preImage.replicas ? 1 : -1) : undefined;
  try {
    const cluster = await clusterOf(episode.incident.cluster);
    let changes: OperatorChange[];
    const deploymentName = preImage.kind === 'Deployment' ? preImage.name : episode.incident.target.kind === 'Deployment' ? episode.incident.target.name : undefined;
    if (preImage.kind === 'HorizontalPodAutoscaler') {
      const hpa = await cluster.getHpa(preImage.namespace, preImage.name);
      const max = hpa.spec?.maxReplicas;
      changes = max !== undefined && preImage.hpaMaxReplicas !== undefined && max !== preImage.hpaMaxReplicas ? [{ kind: 'hpa', detail: `maxReplicas ${preImage.hpaMaxReplicas} → ${max}` }] : [];
    } else if (preImage.kind === 'Deployment') {
      changes = await deploymentChanges(cluster, preImage, new Date(episode.endedAt));
    } else {
      return { ...base, status: 'unreadable', note: `a ${preImage.kind} pre-image is not compared (Deployments and HPAs only)` };
    }
    const recovered = deploymentName ? await deploymentRecovered(cluster, preImage.namespace, deploymentName) : false;
    return {
      ...base,
      changes,
      operatorActed: changes.length > 0,
      agreed: agrees(action, changes, proposedDirection),
      recovered,
      ...(proposedDirection !== undefined ? { proposedDirection } : {}),
    };
  } catch (error) {
    return { ...base, status: 'unreadable', note: `${(error as Error).name}: ${(error as Error).message}`.slice(0, 300) };
  }
}

const json = (v: unknown) => JSON.stringify(v ?? null);

/** What changed in the Deployment since the pre-image, named by kind. */
async function deploymentChanges(cluster: TrustReads, pre: PreImage, decidedAt: Date): Promise<OperatorChange[]> {
  const deployment = await cluster.getDeployment(pre.namespace, pre.name);
  const changes: OperatorChange[] = [];
  const replicas = deployment.spec?.replicas;
  if (pre.replicas !== undefined && replicas !== undefined && replicas !== pre.replicas) {
    changes.push({ kind: 'scale', detail: `replicas ${pre.replicas} → ${replicas}`, direction: replicas > pre.replicas ? 1 : -1 });
  }
  const revision = revisionOf(deployment);
  const replicaSets = await cluster.listReplicaSets(pre.namespace);
  const current = currentReplicaSetOf(deployment, replicaSets);
  const templateMoved = revision !== undefined && pre.revision !== undefined && revision !== pre.revision;
  const now = (deployment.spec?.template?.spec?.containers ?? []).map((c) => ({ name: c.name ?? '', image: c.image, resources: c.resources, probes: [c.livenessProbe, c.readinessProbe, c.startupProbe] }));
  const before = new Map((pre.containers ?? []).map((c: ContainerImage) => [c.name, c]));
  const imagesChanged: string[] = [];
  for (const c of now) {
    const b = before.get(c.name);
    if (!b) continue;
    if (b.image !== c.image) imagesChanged.push(`${c.name}: ${b.image ?? '?'} → ${c.image ?? '?'}`);
    if (json(b.resources) !== json(c.resources)) changes.push({ kind: 'resources', detail: `${c.name} resources changed` });
    if (json([b.livenessProbe, b.readinessProbe, b.startupProbe]) !== json(c.probes)) changes.push({ kind: 'probe', detail: `${c.name} probes changed` });
  }
  // A revision whose ReplicaSet existed before the decision was not made new: the template went back to it.
  const createdAt = Date.parse(String(current?.metadata?.creationTimestamp ?? ''));
  const reused = templateMoved && Number.isFinite(createdAt) && createdAt < decidedAt.getTime();
  if (reused) changes.push({ kind: 'rollback', detail: `revision ${pre.revision} → ${revision} (an earlier template${imagesChanged.length ? `: ${imagesChanged.join(', ')}` : ''})` });
  else if (imagesChanged.length > 0) changes.push({ kind: 'image', detail: imagesChanged.join(', ') });
  if (templateMoved && !reused && changes.every((c) => c.kind === 'scale')) changes.push({ kind: 'restart', detail: `revision ${pre.revision} → ${revision}, containers unchanged (a rollout restart or another template edit)` });
  if (!templateMoved && !changes.some((c) => c.kind === 'scale') && current) {
    // Same template, same size, yet pods newer than the decision: someone deleted pods.
    const pods = podsOfReplicaSet(current, await cluster.listPods(pre.namespace));
    const fresh = pods.filter((p) => Date.parse(String(p.metadata?.creationTimestamp ?? '')) > decidedAt.getTime());
    if (fresh.length > 0) changes.push({ kind: 'pod-deletion', detail: `${fresh.length} pod(s) replaced since the decision` });
  }
  return changes;
}

/** Healthy now: every desired replica updated and available, no pod of the current revision failing. */
async function deploymentRecovered(cluster: TrustReads, namespace: string, name: string): Promise<boolean> {
  const deployment: Deployment = await cluster.getDeployment(namespace, name);
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  if ((status.availableReplicas ?? 0) < desired || (status.updatedReplicas ?? 0) < desired) return false;
  const current = currentReplicaSetOf(deployment, await cluster.listReplicaSets(namespace));
  if (!current) return false;
  const pods: Pod[] = podsOfReplicaSet(current, await cluster.listPods(namespace));
  return !pods.some(isPodFailing);
}
