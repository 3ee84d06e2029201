import { MemoryError } from '../../domain/errors';
import type { Deployment, KubeEvent, Pod, ReplicaSet } from '../../domain/k8s';
import type { Episode } from '../../domain/model';
import { workloadKey } from '../../domain/policy';
import { isPodFailing, podsOfReplicaSet, replicaSetsOf, revisionOf } from '../../domain/workload';
import type { Cluster } from '../../ports/cluster';
import type { ActionRecord, EpisodeStore, LockStore } from '../../ports/memory';
import { lastActionOf } from './common';

/**
 * Which revisions of a Deployment the system or the cluster knows as failing
 * (#10 item 9): the one read path behind rollback_deployment's target,
 * whoever asks (the state machine's Remediate and the action API both plan
 * through the deployment executor, which calls `knownFailing` and hands the
 * marks to planRollbackDeployment, which adds the marker's and the pods').
 *
 * Sources, each mapped to a ReplicaSet (revision numbers move when a
 * template comes back; the ReplicaSet, named after its pod-template-hash,
 * does not):
 * - `last-action`: our own last rollback's pre-image names the revision it left;
 * - `action-record`: the lock store's action records of this workload (kept 2
 *   days): a rollback records the ReplicaSet it left, an undo of a rollback the
 *   one it left (the rollback's target, whose verification failed);
 * - `episode`: an episode of this workload whose incident's failing pods
 *   belong to the ReplicaSet (pod names carry the pod-template-hash) and that
 *   blames the revision (episodeBlamesRevision: not a dependency outage);
 * - `pods`: a pod of the ReplicaSet failing now;
 * - `events`: Warning Events (BackOff, Failed, ErrImagePull, ImagePullBackOff,
 *   CrashLoopBackOff, ...) of pods already gone whose name carries the
 *   ReplicaSet's name (the Deployment's name plus the pod-template-hash).
 * Reads stay inside the reader ClusterRole (replicasets, pods, events: list).
 */

export type FailingSource = 'last-action' | 'action-record' | 'episode' | 'pods' | 'events';

export interface FailingMark {
  replicaSet: string;
  source: FailingSource;
  /** Why, in a few words: the action id, the episode, the pod and reason. */
  evidence: string;
}

/** A ReplicaSet the rollback left or whose pods failed, recorded with the action (lock store). */
export interface LeftFailing {
  replicaSet: string;
  revision: number;
}

/** Event reasons the kubelet gives a pod whose container cannot start or keeps crashing. */
export const FAILING_EVENT_REASONS: ReadonlySet<string> = new Set([
  'BackOff',
  'Failed',
  'ErrImagePull',
  'ImagePullBackOff',
  'CrashLoopBackOff',
  'InspectFailed',
  'ErrImageNeverPull',
]);

/** The Deployment's ReplicaSet a pod name belongs to (`<replicaset>-<suffix>`), if any. */
export function replicaSetOfPodName(podName: string, replicaSets: ReplicaSet[]): ReplicaSet | undefined {
  return replicaSets.find((rs) => {
    const name = rs.metadata?.name;
    return name !== undefined && podName.startsWith(`${name}-`);
  });
}

/**
 * `last-action`: the revision our own last rollback rolled back from, or the
 * one an undo of a rollback left (the rollback's target, which failed).
 */
export function marksFromMarker(deployment: Deployment, owned: ReplicaSet[]): FailingMark[] {
  const marker = lastActionOf(deployment.metadata?.annotations);
  const revision = marker?.pre?.revision;
  if (!marker || revision === undefined || (marker.action !== 'rollback_deployment' && marker.action !== 'undo:rollback_deployment')) return [];
  const name = owned.find((r) => revisionOf(r) === revision)?.metadata?.name;
  const what = marker.action === 'rollback_deployment' ? 'rolled back from' : 'undid the rollback to';
  return name ? [{ replicaSet: name, source: 'last-action', evidence: `last-action ${marker.actionId} ${what} revision ${revision}` }] : [];
}

/** `action-record`: ReplicaSets our recorded actions left as failing. */
export function marksFromActionRecords(records: ActionRecord[], owned: ReplicaSet[]): FailingMark[] {
  const names = new Set(owned.map((rs) => rs.metadata?.name));
  return records
    .filter((r) => r.leftFailing && names.has(r.leftFailing.replicaSet))
    .map((r) => ({
      replicaSet: r.leftFailing?.replicaSet ?? '',
      source: 'action-record' as const,
      evidence: `action ${r.actionId} (${r.action ?? 'action'}, ${r.at}) left revision ${r.leftFailing?.revision}`,
    }));
}

/** Incident kinds whose cause is the revision's own template (a registry outage is not: its subReason says so). */
const TEMPLATE_FAILURES: ReadonlySet<string> = new Set(['ImagePullBackOff', 'CreateContainerConfigError', 'FailedRollout']);
/** Actions that leave a revision because it is bad. */
const LEAVING_ACTIONS: ReadonlySet<string> = new Set(['rollback_deployment', 'patch_image']);

/**
 * Whether an episode says its revision itself failed, not merely that its
 * pods did (a dependency outage crash-loops every revision, and the revision
 * was fine once the dependency came back): a template failure, crashes that
 * began with the revision (the detector's newRevision fact), or the episode's
 * remedy left the revision (a rollback or image change applied).
 */
export function episodeBlamesRevision(e: Episode): boolean {
  const { kind, subReason, facts } = e.incident;
  if (TEMPLATE_FAILURES.has(kind) && subReason !== 'registry-unreachable') return true;
  if (facts?.some((f) => f.kind === 'CrashLoop' && f.newRevision !== undefined)) return true;
  return e.result !== undefined && e.result.applied && !e.result.dryRun && LEAVING_ACTIONS.has(e.result.action);
}

/** `episode`: the failing pods of an incident on this workload name their ReplicaSet, when the episode blames the revision. */
export function marksFromEpisodes(episodes: Episode[], clusterName: string, namespace: string, owned: ReplicaSet[]): FailingMark[] {
  const marks: FailingMark[] = [];
  for (const e of episodes) {
    if (e.incident.cluster !== clusterName || e.incident.namespace !== namespace || !episodeBlamesRevision(e)) continue;
    const seen = new Set<string>();
    for (const pod of e.incident.pods) {
      const name = replicaSetOfPodName(pod, owned)?.metadata?.name;
      if (!name || seen.has(name)) continue;
      seen.add(name);
      marks.push({ replicaSet: name, source: 'episode', evidence: `episode ${e.episodeId} (${e.incident.signature} on pod ${pod}, ${e.incident.detectedAt})` });
    }
  }
  return marks;
}

/** `pods`: a pod of the ReplicaSet failing now. */
export function marksFromPods(pods: Pod[], owned: ReplicaSet[]): FailingMark[] {
  const marks: FailingMark[] = [];
  for (const rs of owned) {
    const failing = podsOfReplicaSet(rs, pods).find(isPodFailing);
    const name = rs.metadata?.name;
    if (failing && name) marks.push({ replicaSet: name, source: 'pods', evidence: `pod ${failing.metadata?.name ?? '?'} failing now` });
  }
  return marks;
}

/** `events`: Warning Events of pods no longer there whose names carry a ReplicaSet's name. */
export function marksFromEvents(events: KubeEvent[], pods: Pod[], owned: ReplicaSet[]): FailingMark[] {
  const present = new Set(pods.map((p) => p.metadata?.name));
  const marks: FailingMark[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    const pod = e.involvedObject?.name;
    if (e.type !== 'Warning' || e.involvedObject?.kind !== 'Pod' || !pod || present.has(pod)) continue;
    if (!e.reason || !FAILING_EVENT_REASONS.has(e.reason)) continue;
    const name = replicaSetOfPodName(pod, owned)?.metadata?.name;
    if (!name || seen.has(name)) continue;
    seen.add(name);
    marks.push({ replicaSet: name, source: 'events', evidence: `${e.reason} event of gone pod ${pod}` });
  }
  return marks;
}

export interface KnownFailingDeps {
  cluster: Pick<Cluster, 'clusterName' | 'listEvents'>;
  locks: Pick<LockStore, 'actionsSince'>;
  /** Absent: episodes are not consulted (undo, tests); an unreadable store is said in the answer. */
  episodes?: Pick<EpisodeStore, 'list'> | undefined;
}

export interface KnownFailing {
  marks: FailingMark[];
  /** Sources that could not be read, and why (the default target is then chosen without them). */
  unread: string[];
}

/** How many of the namespace's newest episodes are searched for this workload. */
const EPISODES_READ = 100;

/** The marks that need reads beyond the Deployment and its pods: action records, episodes, Events (the planner adds the last-action marker's and the failing pods'). */
export async function knownFailing(deps: KnownFailingDeps, deployment: Deployment, replicaSets: ReplicaSet[], pods: Pod[]): Promise<KnownFailing> {
  const namespace = deployment.metadata?.namespace ?? '';
  const name = deployment.metadata?.name ?? '';
  const owned = replicaSetsOf(deployment, replicaSets);
  const clusterName = deps.cluster.clusterName;
  const unread: string[] = [];
  const readEpisodes = async (): Promise<Episode[]> => {
    // Every product caller passes the store (Remediate, the action API); only a rollback's undo and tests leave it out.
    if (!deps.episodes) return [];
    try {
      return await deps.episodes.list({ cluster: clusterName, namespace, limit: EPISODES_READ });
    } catch (error) {
      // Memory not configured (a CLI without a store) or an invalid item: said, not fatal; throttling is retried by the caller.
      if (error instanceof MemoryError) {
        unread.push(`episodes: ${error.message}`);
        return [];
      }
      throw error;
    }
  };
  const [records, episodes, events] = await Promise.all([
    deps.locks.actionsSince(workloadKey(clusterName, namespace, 'Deployment', name), new Date(0)),
    readEpisodes(),
    deps.cluster.listEvents(namespace),
  ]);
  return {
    marks: [...marksFromActionRecords(records, owned), ...marksFromEpisodes(episodes, clusterName, namespace, owned), ...marksFromEvents(events, pods, owned)],
    unread,
  };
}
