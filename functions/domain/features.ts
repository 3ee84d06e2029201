import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ActionName } from './actions';
import type { Incident } from './incident';
import type { Container, Deployment, Namespace, Pod, PodTemplateSpec, ReplicaSet } from './k8s';
import { replicaSetsOf, revisionOf } from './workload';

/**
 * Incident features for contextual selection: a small, bounded set of
 * categorical `name=value` strings computed only from what the system
 * observed — never from a cause it guessed. Cluster text is untrusted: a
 * feature is a matched token from a fixed vocabulary or a validated
 * Kubernetes name, never raw text.
 *
 * | feature | value |
 * |---|---|
 * | `ns` | the incident's namespace (an RFC 1123 label) |
 * | `team` | the namespace's team label (`team`, `app.kubernetes.io/team`, `owner`), or `none` |
 * | `owner` | the target kind (Deployment, StatefulSet, Pod, HorizontalPodAutoscaler) |
 * | `change` | what the current ReplicaSet template changed against the previous revision: `image`, `config` (env, envFrom, ConfigMap/Secret volumes), `resources`, `probes`, `other`, joined with `+`; `none` (one revision) or `unknown` |
 * | `revAge` | age of the current revision at detection: `minutes` (< 15 min), `hours` (< 6 h), `days` (< 7 d), `weeks`, `unknown` |
 * | `lastRun` | how long the failing container ran before its last termination: `instant` (< 30 s), `minutes` (< 5 min), `hour` (< 1 h), `long`, `none` |
 * | `exit` | the failing container's last exit code, or `none` |
 * | `log` | each token of a fixed vocabulary found in logs, events and messages (`connection-refused`, `dns`, `timeout`, `secret-not-found`, `configmap-not-found`, `env-missing`, `permission-denied`, `oom`, `crash`, `disk`, `corrupt`, `port-in-use`, `retry`), or `none` |
 * | `wl.<part>` | the workload and a digest of one part of its spec (`image`, `resources`, `probes`), read by strategies that depend on that part (see dependencyOf) |
 */

export const CHANGE_KINDS = ['image', 'config', 'resources', 'probes', 'other'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
export const SPEC_PARTS = ['image', 'resources', 'probes'] as const;
export type SpecPart = (typeof SPEC_PARTS)[number];

const LABEL_VALUE = /^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/;
const TEAM_LABELS = ['team', 'app.kubernetes.io/team', 'owner', 'eks-reflexion.io/team'];
const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value ?? null)).digest('hex').slice(0, 10);

/** What Analyse observed beyond the detection snapshot (bounded; no free text). */
export const ObservedContextSchema = z.object({
  team: z.string().max(63).regex(LABEL_VALUE).optional(),
  rollout: z
    .object({
      changed: z.array(z.enum(CHANGE_KINDS)).max(CHANGE_KINDS.length),
      currentRevision: z.number().int().nonnegative().optional(),
      previousRevision: z.number().int().nonnegative().optional(),
      currentCreatedAt: z.iso.datetime().optional(),
    })
    .optional(),
  /** Seconds the failing containers ran before their last termination (newest pods first). */
  lastRunSeconds: z.array(z.number().nonnegative().finite()).max(8).default([]),
  /** Digests of the parts of the workload's current spec a strategy may depend on. */
  spec: z.partialRecord(z.enum(SPEC_PARTS), z.string().regex(/^[a-f0-9]{10}$/)).optional(),
});
export type ObservedContext = z.infer<typeof ObservedContextSchema>;

// ---------------------------------------------------------------- observing (pure, from cluster JSON)

/** The namespace's team label, when it is a valid label value; anything else is no team. */
export function teamOf(namespace: Namespace | undefined): string | undefined {
  const labels = namespace?.metadata?.labels ?? {};
  for (const key of TEAM_LABELS) {
    const value = labels[key];
    if (typeof value === 'string' && LABEL_VALUE.test(value.toLowerCase())) return value.toLowerCase();
  }
  return undefined;
}

const configRefs = (c: Container | undefined) => ({ env: c?.env ?? [], envFrom: c?.envFrom ?? [] });
const probes = (c: Container | undefined) => ({ l: c?.livenessProbe, r: c?.readinessProbe, s: c?.startupProbe });

/** What differs between two pod templates, by kind of change. */
export function templateChanges(current: PodTemplateSpec | undefined, previous: PodTemplateSpec | undefined): ChangeKind[] {
  const a = current?.spec ?? {};
  const b = previous?.spec ?? {};
  const names = new Set([...(a.containers ?? []), ...(b.containers ?? []), ...(a.initContainers ?? []), ...(b.initContainers ?? [])].map((c) => c.name ?? ''));
  const find = (spec: typeof a, name: string) => [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find((c) => (c.name ?? '') === name);
  const changed = new Set<ChangeKind>();
  for (const name of names) {
    const x = find(a, name);
    const y = find(b, name);
    if (!x || !y) {
      changed.add('other');
      continue;
    }
    if (x.image !== y.image) changed.add('image');
    if (digest(configRefs(x)) !== digest(configRefs(y))) changed.add('config');
    if (digest(x.resources) !== digest(y.resources)) changed.add('resources');
    if (digest(probes(x)) !== digest(probes(y))) changed.add('probes');
    const rest = (c: Container) => ({ ...c, image: undefined, env: undefined, envFrom: undefined, resources: undefined, livenessProbe: undefined, readinessProbe: undefined, startupProbe: undefined });
    if (digest(rest(x)) !== digest(rest(y))) changed.add('other');
  }
  if (digest(a.volumes) !== digest(b.volumes)) changed.add('config');
  const podRest = (s: typeof a) => ({ ...s, containers: undefined, initContainers: undefined, volumes: undefined });
  if (digest(podRest(a)) !== digest(podRest(b))) changed.add('other');
  return CHANGE_KINDS.filter((k) => changed.has(k));
}

/** The current revision against the one before it: what changed and when the current one was made. */
export function observeRollout(deployment: Deployment, replicaSets: ReplicaSet[]): ObservedContext['rollout'] {
  const owned = replicaSetsOf(deployment, replicaSets)
    .map((rs) => ({ rs, revision: revisionOf(rs) }))
    .filter((r): r is { rs: ReplicaSet; revision: number } => r.revision !== undefined)
    .sort((x, y) => y.revision - x.revision);
  const currentRevision = revisionOf(deployment) ?? owned[0]?.revision;
  const current = owned.find((r) => r.revision === currentRevision) ?? owned[0];
  if (!current) return undefined;
  const previous = owned.find((r) => r.revision < current.revision);
  const createdAt = current.rs.metadata?.creationTimestamp;
  return {
    changed: previous ? templateChanges(current.rs.spec?.template as PodTemplateSpec | undefined, previous.rs.spec?.template as PodTemplateSpec | undefined) : [],
    currentRevision: current.revision,
    ...(previous ? { previousRevision: previous.revision } : {}),
    ...(createdAt && !Number.isNaN(Date.parse(createdAt)) ? { currentCreatedAt: new Date(Date.parse(createdAt)).toISOString() } : {}),
  };
}

/** Digests of the Deployment's current image set, resources and probes (the parts strategies read). */
export function specDigests(deployment: Deployment): NonNullable<ObservedContext['spec']> {
  const containers = [...(deployment.spec?.template?.spec?.containers ?? []), ...(deployment.spec?.template?.spec?.initContainers ?? [])];
  const by = (pick: (c: Container) => unknown) => digest(containers.map((c) => [c.name, pick(c)]));
  return { image: by((c) => c.image), resources: by((c) => c.resources), probes: by((c) => probes(c)) };
}

/** Seconds each failing container ran before its last termination, from the pods' container statuses. */
export function lastRuns(pods: Pod[], containers: string[]): number[] {
  const out: number[] = [];
  for (const pod of pods) {
    for (const status of pod.status?.containerStatuses ?? []) {
      if (containers.length > 0 && !containers.includes(status.name ?? '')) continue;
      const t = status.lastState?.terminated;
      const started = Date.parse(t?.startedAt ?? '');
      const finished = Date.parse(t?.finishedAt ?? '');
      if (Number.isFinite(started) && Number.isFinite(finished) && finished >= started) out.push((finished - started) / 1000);
    }
  }
  return out.slice(0, 8);
}

// ---------------------------------------------------------------- features

/** The fixed vocabulary of log/event tokens; the first pattern that matches names the token. */
const TOKENS: [string, RegExp][] = [
  ['connection-refused', /connection refused|econnrefused|connect: connection/],
  ['dns', /no such host|name resolution|nxdomain|could not resolve|unknown host/],
  ['timeout', /timed? ?out\b|deadline exceeded|i\/o timeout|etimedout/],
  ['secret-not-found', /secrets? "?[a-z0-9.-]*"? ?not found|secret [a-z0-9.-]+ (?:is )?missing|couldn't find key .* in secret/],
  ['configmap-not-found', /configmaps? "?[a-z0-9.-]*"? ?not found|couldn't find key .* in configmap/],
  ['env-missing', /environment variable [a-z0-9_]* ?(?:is )?(?:not set|missing|required|undefined)|missing (?:required )?env/],
  ['permission-denied', /permission denied|forbidden|unauthori[sz]ed|access denied|eacces/],
  ['oom', /out of memory|oomkilled|cannot allocate memory|outofmemoryerror|heap space/],
  ['crash', /panic:|segmentation fault|sigsegv|fatal error|uncaught exception|traceback \(most recent/],
  ['disk', /no space left|disk full|read-only file system/],
  ['corrupt', /corrupt|checksum mismatch|invalid (?:state|checkpoint)|stale lock/],
  ['port-in-use', /address already in use|eaddrinuse/],
  ['retry', /\bretry(?:ing)?\b|\bretries\b|too many requests|\b429\b/],
];
const MAX_TOKENS = 6;

/** Log/event tokens of the incident's own evidence (sorted, at most MAX_TOKENS). */
export function logTokens(incident: Incident): string[] {
  const e = incident.evidence;
  const text = [
    incident.message,
    ...e.logs.map((l) => l.text),
    ...e.events.map((ev) => ev.message ?? ''),
    ...e.containers.map((c) => c.message ?? ''),
    ...e.notes,
  ]
    .join('\n')
    .toLowerCase()
    .slice(0, 64_000);
  return TOKENS.filter(([, pattern]) => pattern.test(text))
    .map(([token]) => token)
    .slice(0, MAX_TOKENS);
}

const bucket = (value: number | undefined, edges: [number, string][], last: string, none: string) => {
  if (value === undefined || !Number.isFinite(value)) return none;
  for (const [edge, label] of edges) if (value < edge) return label;
  return last;
};

/** `name=value` features of an incident with what Analyse observed (at most ~25 strings). */
export function contextFeatures(incident: Incident, context: ObservedContext | undefined): string[] {
  const failing = incident.evidence.containers.find((c) => !c.init && c.ready !== true) ?? incident.evidence.containers.find((c) => !c.init);
  const rollout = context?.rollout;
  const age =
    rollout?.currentCreatedAt !== undefined ? (Date.parse(incident.detectedAt) - Date.parse(rollout.currentCreatedAt)) / 1000 : undefined;
  const runs = context?.lastRunSeconds ?? [];
  const lastRun = runs.length > 0 ? [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)] : undefined;
  const tokens = logTokens(incident);
  const features = [
    `ns=${incident.namespace}`,
    `team=${context?.team ?? 'none'}`,
    `owner=${incident.target.kind}`,
    `change=${rollout === undefined ? 'unknown' : rollout.changed.length === 0 ? 'none' : rollout.changed.join('+')}`,
    `revAge=${bucket(age !== undefined && age >= 0 ? age : undefined, [[900, 'minutes'], [21_600, 'hours'], [604_800, 'days']], 'weeks', 'unknown')}`,
    `lastRun=${bucket(lastRun, [[30, 'instant'], [300, 'minutes'], [3600, 'hour']], 'long', 'none')}`,
    `exit=${failing?.lastExitCode !== undefined ? String(failing.lastExitCode) : 'none'}`,
    ...(tokens.length > 0 ? tokens.map((t) => `log=${t}`) : ['log=none']),
  ];
  for (const part of SPEC_PARTS) {
    const d = context?.spec?.[part];
    if (d) features.push(`wl.${part}=${incident.target.name}@${d}`);
  }
  return features;
}

/** Which part of the workload's spec a strategy's outcome depends on (its `wl.<part>` feature), if any. */
export function dependencyOf(action: ActionName): SpecPart | undefined {
  switch (action) {
    case 'patch_resources':
      return 'resources';
    case 'patch_probe':
      return 'probes';
    case 'rollback_deployment':
    case 'patch_image':
    case 'restart_pod':
    case 'rollout_restart':
      return 'image';
    default:
      return undefined;
  }
}

/** The features a strategy's statistics are kept by: the incident's, with only its own `wl.<part>`. */
export function featuresFor(action: ActionName, features: readonly string[]): string[] {
  const part = dependencyOf(action);
  return features.filter((f) => !f.startsWith('wl.') || (part !== undefined && f.startsWith(`wl.${part}=`)));
}
