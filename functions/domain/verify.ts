import { hpaMinReplicasOf } from './detectors/scaled-to-zero';
import type { Incident } from './incident';
import type { Condition, ContainerStatus, Deployment, HorizontalPodAutoscaler, Pod, StatefulSet } from './k8s';
import type { Verification } from './model';

/**
 * Verification with a stability window, pure. "Healthy" is never a single
 * observation: the workload must look healthy continuously for
 * `stabilitySeconds`, without a single container restart, so that a
 * container that crashes 5 s after start is never called fixed.
 */

/** What the workload looked like just before an action: the yardstick for "worse". */
export interface Baseline {
  kind: string;
  desiredReplicas?: number;
  availableReplicas?: number;
  readyReplicas?: number;
  /** Restart count per live pod (sum over its containers). */
  restarts: Record<string, number>;
  /** Failure kinds seen on live pods (normalised, e.g. ImagePullBackOff for ErrImagePull too). */
  failures: string[];
  capturedAt: string;
}

export interface Observation {
  kind: string;
  /** Everything that healthy requires holds right now. */
  healthyNow: boolean;
  /** Short facts for the evidence list. */
  facts: string[];
  availableReplicas?: number;
  restarts: Record<string, number>;
  failures: string[];
  /** Latest container start, termination or readiness change seen on a live pod. */
  lastDisturbance?: string;
}

const WAITING_KIND: Record<string, string> = {
  ErrImagePull: 'ImagePullBackOff',
  ImagePullBackOff: 'ImagePullBackOff',
  InvalidImageName: 'ImagePullBackOff',
  ErrImageNeverPull: 'ImagePullBackOff',
  CrashLoopBackOff: 'CrashLoopBackOff',
  RunContainerError: 'CrashLoopBackOff',
  CreateContainerConfigError: 'CreateContainerConfigError',
  CreateContainerError: 'CreateContainerConfigError',
};

function statuses(pod: Pod): ContainerStatus[] {
  const s = pod.status;
  return [...(Array.isArray(s?.initContainerStatuses) ? s.initContainerStatuses : []), ...(Array.isArray(s?.containerStatuses) ? s.containerStatuses : [])];
}

function condition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return Array.isArray(conditions) ? conditions.find((c) => c?.type === type) : undefined;
}

const isLive = (pod: Pod): boolean => !pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded';
const isReady = (pod: Pod): boolean => condition(pod.status?.conditions, 'Ready')?.status === 'True';
const podName = (pod: Pod): string => pod.metadata?.name ?? '?';

/** Failure kinds a pod shows now, normalised so that flapping reasons of one failure compare equal. */
export function podFailures(pod: Pod): string[] {
  const found = new Set<string>();
  if (pod.status?.reason === 'Evicted') found.add('Evicted');
  else if (pod.status?.phase === 'Failed') found.add('PodFailed');
  const scheduled = condition(pod.status?.conditions, 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') found.add('Unschedulable');
  for (const cs of statuses(pod)) {
    const waiting = cs?.state?.waiting?.reason;
    if (waiting && WAITING_KIND[waiting]) found.add(WAITING_KIND[waiting]);
    if (cs?.lastState?.terminated?.reason === 'OOMKilled' && cs.ready !== true) found.add('OOMKilled');
  }
  return [...found].sort();
}

export const podRestarts = (pod: Pod): number =>
  statuses(pod).reduce((sum, cs) => sum + (typeof cs?.restartCount === 'number' && cs.restartCount >= 0 ? cs.restartCount : 0), 0);

function latest(times: (string | undefined)[]): string | undefined {
  let best: number | undefined;
  for (const t of times) {
    const ms = t ? Date.parse(t) : NaN;
    if (Number.isFinite(ms) && (best === undefined || ms > best)) best = ms;
  }
  return best === undefined ? undefined : new Date(best).toISOString();
}

/** Latest moment a live pod changed: a container started or terminated, or readiness flipped. */
function lastDisturbance(pods: Pod[]): string | undefined {
  return latest(
    pods.flatMap((pod) => [
      condition(pod.status?.conditions, 'Ready')?.lastTransitionTime,
      ...statuses(pod).flatMap((cs) => [cs?.state?.running?.startedAt, cs?.lastState?.terminated?.finishedAt, cs?.state?.terminated?.finishedAt]),
    ]),
  );
}

function podsSummary(pods: Pod[]): Pick<Observation, 'restarts' | 'failures' | 'lastDisturbance'> {
  const live = pods.filter(isLive);
  const restarts: Record<string, number> = {};
  for (const pod of live) restarts[podName(pod)] = podRestarts(pod);
  const failures = [...new Set(live.flatMap(podFailures))].sort();
  const disturbance = lastDisturbance(live);
  return { restarts, failures, ...(disturbance ? { lastDisturbance: disturbance } : {}) };
}

/**
 * The fewest desired replicas that count as healthy for this incident, when
 * the incident says so: a Deployment scaled to zero under an HPA has all of
 * its zero replicas "ready", so without this floor doing nothing would verify.
 */
export function requiredReplicas(incident: Pick<Incident, 'kind' | 'subReason' | 'facts'>): number | undefined {
  return hpaMinReplicasOf(incident);
}

/**
 * A Deployment is healthy now when its controller has seen the latest spec
 * (observedGeneration >= generation), updated = ready = available = desired
 * replicas with no old replicas left, every live pod is Ready without a
 * failure, and desired is at least `minReplicas` when given (see
 * requiredReplicas). `pods` are the pods its selector matches.
 */
export function observeDeployment(deployment: Deployment, pods: Pod[], options: { minReplicas?: number } = {}): Observation {
  const desired = deployment.spec?.replicas ?? 1;
  const s = deployment.status ?? {};
  const generation = deployment.metadata?.generation ?? 0;
  const observed = s.observedGeneration ?? -1;
  const updated = s.updatedReplicas ?? 0;
  const ready = s.readyReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const total = s.replicas ?? 0;
  const summary = podsSummary(pods);
  const live = pods.filter(isLive);
  const notReady = live.filter((p) => !isReady(p)).map(podName);
  const facts = [
    `replicas desired=${desired} updated=${updated} ready=${ready} available=${available} total=${total}`,
    `observedGeneration=${observed} generation=${generation}`,
  ];
  if (notReady.length > 0) facts.push(`not ready: ${notReady.slice(0, 10).join(', ')}`);
  if (summary.failures.length > 0) facts.push(`failures: ${summary.failures.join(', ')}`);
  const tooFew = options.minReplicas !== undefined && desired < options.minReplicas;
  if (tooFew) facts.push(`desired replicas ${desired} < ${options.minReplicas} required (the HPA's minReplicas)`);
  const healthyNow =
    !tooFew &&
    observed >= generation &&
    updated === desired &&
    ready === desired &&
    available === desired &&
    total === desired &&
    notReady.length === 0 &&
    summary.failures.length === 0;
  return { kind: 'Deployment', healthyNow, facts, availableReplicas: available, ...summary };
}

/** A StatefulSet: every replica ready and on the update revision. */
export function observeStatefulSet(set: StatefulSet, pods: Pod[]): Observation {
  const desired = set.spec?.replicas ?? 1;
  const s = set.status ?? {};
  const ready = s.readyReplicas ?? 0;
  const updatedOk = s.updateRevision === undefined || s.currentRevision === s.updateRevision;
  const summary = podsSummary(pods);
  const notReady = pods.filter(isLive).filter((p) => !isReady(p)).map(podName);
  const facts = [`replicas desired=${desired} ready=${ready} total=${s.replicas ?? 0} revision ${updatedOk ? 'current' : 'updating'}`];
  if (summary.failures.length > 0) facts.push(`failures: ${summary.failures.join(', ')}`);
  const healthyNow = ready === desired && (s.replicas ?? 0) === desired && updatedOk && notReady.length === 0 && summary.failures.length === 0;
  return { kind: 'StatefulSet', healthyNow, facts, availableReplicas: ready, ...summary };
}

/** A bare pod: Running, Ready, no failure. */
export function observePod(pod: Pod | undefined, name: string): Observation {
  if (!pod) return { kind: 'Pod', healthyNow: false, facts: [`pod ${name} does not exist`], availableReplicas: 0, restarts: {}, failures: [] };
  const summary = podsSummary([pod]);
  const ready = isReady(pod) && isLive(pod);
  const facts = [`pod ${name} phase=${pod.status?.phase ?? '?'} ready=${ready} restarts=${podRestarts(pod)}`];
  if (summary.failures.length > 0) facts.push(`failures: ${summary.failures.join(', ')}`);
  return { kind: 'Pod', healthyNow: ready && summary.failures.length === 0, facts, availableReplicas: ready ? 1 : 0, ...summary };
}

/**
 * An HPA incident is over when the HPA is no longer pinned at maxReplicas and
 * the workload it scales is healthy (when that workload could be read).
 */
export function observeHpa(hpa: HorizontalPodAutoscaler, target?: Observation): Observation {
  const max = hpa.spec?.maxReplicas ?? 0;
  const current = hpa.status?.currentReplicas ?? 0;
  const atMax = current >= max;
  const facts = [`hpa currentReplicas=${current} maxReplicas=${max}${atMax ? ' (at max)' : ''}`, ...(target?.facts ?? [])];
  return {
    kind: 'HorizontalPodAutoscaler',
    healthyNow: !atMax && (target?.healthyNow ?? true),
    facts,
    restarts: target?.restarts ?? {},
    failures: target?.failures ?? [],
    ...(target?.availableReplicas !== undefined ? { availableReplicas: target.availableReplicas } : {}),
    ...(target?.lastDisturbance ? { lastDisturbance: target.lastDisturbance } : {}),
  };
}

export function baselineOf(observation: Observation, capturedAt: Date, desiredReplicas?: number): Baseline {
  return {
    kind: observation.kind,
    ...(desiredReplicas !== undefined ? { desiredReplicas } : {}),
    ...(observation.availableReplicas !== undefined ? { availableReplicas: observation.availableReplicas } : {}),
    restarts: observation.restarts,
    failures: observation.failures,
    capturedAt: capturedAt.toISOString(),
  };
}

/** Read back a baseline from the untrusted JSON of a stored result; missing parts are simply unknown. */
export function asBaseline(value: unknown): Baseline | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const restarts: Record<string, number> = {};
  if (typeof v.restarts === 'object' && v.restarts !== null) {
    for (const [k, n] of Object.entries(v.restarts)) if (typeof n === 'number') restarts[k] = n;
  }
  return {
    kind: typeof v.kind === 'string' ? v.kind : 'unknown',
    ...(typeof v.desiredReplicas === 'number' ? { desiredReplicas: v.desiredReplicas } : {}),
    ...(typeof v.availableReplicas === 'number' ? { availableReplicas: v.availableReplicas } : {}),
    restarts,
    failures: Array.isArray(v.failures) ? v.failures.filter((f): f is string => typeof f === 'string') : [],
    capturedAt: typeof v.capturedAt === 'string' ? v.capturedAt : '',
  };
}

export interface JudgeInput {
  observation: Observation;
  baseline?: Baseline;
  previous?: Verification;
  now: Date;
  /** When the action was taken: health before it does not count. */
  actionAt: string;
  deadline: string;
  stabilitySeconds: number;
}

const RESTARTS_KEY = 'restartsAtLastCheck';

/**
 * One verification step. healthySince survives from the previous check only
 * when nothing disturbed the pods since (no restart count went up, no
 * container started or readiness flipped later); it never predates the action.
 */
export function judgeVerification(input: JudgeInput): Verification {
  const { observation: obs, baseline, previous, now, stabilitySeconds } = input;
  const evidence = [...obs.facts];
  // Restart counts are compared with the last check, or on the first check with the pre-action baseline
  // (a pod born after the action counts from 0), so no restart slips between two looks.
  const reference = (previous ? (previous.baseline?.[RESTARTS_KEY] ?? {}) : (baseline?.restarts ?? {})) as Record<string, unknown>;
  const restarted = Object.entries(obs.restarts).filter(([pod, n]) => n > (typeof reference[pod] === 'number' ? (reference[pod] as number) : 0));
  if (restarted.length > 0) evidence.push(`restarted since ${previous ? 'last check' : 'the action'}: ${restarted.map(([p]) => p).slice(0, 10).join(', ')}`);

  let healthySince: string | undefined;
  if (obs.healthyNow) {
    // Continuity is only known from a previous healthy look or, on the first look, from unchanged restart counts.
    const carried = restarted.length > 0 ? now.toISOString() : previous ? (previous.healthySince ?? now.toISOString()) : input.actionAt;
    healthySince = latest([carried, obs.lastDisturbance, input.actionAt]);
  }
  const stableFor = healthySince ? (now.getTime() - Date.parse(healthySince)) / 1000 : 0;
  const healthy = obs.healthyNow && healthySince !== undefined && stableFor >= stabilitySeconds;
  const pastDeadline = now.getTime() >= Date.parse(input.deadline);
  const status: Verification['status'] = healthy ? 'healthy' : pastDeadline ? 'failed' : 'converging';
  if (obs.healthyNow && !healthy) evidence.push(`healthy for ${Math.floor(stableFor)}s of the ${stabilitySeconds}s stability window`);
  if (status === 'failed') evidence.push(`not healthy by the deadline ${input.deadline}`);

  const fewer =
    baseline?.availableReplicas !== undefined && obs.availableReplicas !== undefined && obs.availableReplicas < baseline.availableReplicas;
  const newFailures = obs.failures.filter((f) => !(baseline?.failures ?? []).includes(f));
  if (fewer) evidence.push(`fewer available replicas than before the action (${obs.availableReplicas} < ${baseline?.availableReplicas})`);
  if (newFailures.length > 0) evidence.push(`new failure kinds since the action: ${newFailures.join(', ')}`);

  return {
    status,
    evidence: evidence.slice(0, 30).map((e) => e.slice(0, 500)),
    checkedAt: now.toISOString(),
    ...(healthySince ? { healthySince } : {}),
    deadline: input.deadline,
    baseline: { ...(baseline ? { ...baseline } : {}), [RESTARTS_KEY]: obs.restarts },
    worse: status !== 'healthy' && (fewer || newFailures.length > 0),
    checks: (previous?.checks ?? 0) + 1,
  };
}
