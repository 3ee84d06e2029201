import { ALWAYS_PROTECTED_NAMESPACES } from '../policy-config';
import { fingerprint, kebab, signatureOf } from '../fingerprint';
import { IncidentSchema, type FailureKind, type Incident, type RolloutRevision } from '../incident';
import { FactSchema, MAX_FACTS, type Fact } from '../facts';
import type { ClusterSnapshot, HorizontalPodAutoscaler, KubeObject, Pod } from '../k8s';
import { clip } from './common';
import { buildContext } from './context';
import { containerEvidence, eventEvidence } from './evidence';
import { sanitise } from '../redact';
import { createContainerConfigDetector } from './create-container-config';
import { crashLoopDetector } from './crash-loop';
import { evictedDetector } from './evicted';
import { failedRolloutDetector } from './failed-rollout';
import { hpaAtMaxDetector } from './hpa-at-max';
import { imagePullDetector } from './image-pull';
import { oomKilledDetector } from './oom-killed';
import { podFailedDetector } from './pod-failed';
import { probeFailureDetector } from './probe-failure';
import { scaledToZeroDetector } from './scaled-to-zero';
import { sanitizeSnapshot, type Skipped } from './snapshot';
import type { DetectContext, Detector, PodDetector, PodFinding, WorkloadDetector } from './types';
import { unschedulableDetector } from './unschedulable';

export type { Skipped } from './snapshot';
export type { DetectContext, Detector, PodFinding, WorkloadFinding } from './types';

/**
 * The registry, in precedence order. A workload gets one incident; when it
 * shows several kinds, the first one here wins and the others become notes.
 * The order puts causes before symptoms: a missing ConfigMap or image makes
 * the rollout fail (not the other way round); an OOM kill or a liveness
 * probe explains a crash loop; pod-level facts explain a stalled rollout;
 * HPAs are their own targets and never compete with their Deployment.
 * Adding a kind (or a detector for an existing kind): one file, one test file, one entry here.
 */
export const DETECTORS: readonly Detector[] = [
  createContainerConfigDetector,
  imagePullDetector,
  oomKilledDetector,
  probeFailureDetector,
  crashLoopDetector,
  unschedulableDetector,
  evictedDetector,
  podFailedDetector,
  // Before failedRolloutDetector: for the same Deployment, the first FailedRollout finding wins, and
  // "scaled to zero under an HPA" names the cause more precisely than a stalled rollout would.
  scaledToZeroDetector,
  failedRolloutDetector,
  hpaAtMaxDetector,
];

/** Failure kinds in precedence order (a kind may have several detectors; its first one places it). */
export const PRECEDENCE: readonly FailureKind[] = [...new Set(DETECTORS.map((d) => d.kind))];

export const IGNORE_ANNOTATION = 'eks-reflexion.io/ignore';

export interface DetectOptions {
  source: 'schedule' | 'alert' | 'direct';
  /** In addition to kube-system, kube-public and kube-node-lease. */
  protectedNamespaces: readonly string[];
  /** When non-empty, only these namespaces are scanned. */
  optInNamespaces?: readonly string[];
  /** Throw when a detector fails or produces an invalid incident (tests); otherwise the object is skipped with why. */
  strict?: boolean;
}

export interface DetectResult {
  incidents: Incident[];
  skipped: Skipped[];
}

// Bounds that keep an incident (and any prompt built from it) small.
const MAX_PODS = 100;
const MAX_CONTAINERS = 20;
const MAX_HISTORY = 30;
const MAX_NOTES = 20;
const MAX_UNKNOWNS = 20;
const MAX_SKIPPED = 500;

/** One failing workload: the target, what identifies it for dedup, and what each kind found. */
interface Group {
  target: Incident['target'];
  /** Identity for grouping and the fingerprint: the controller when the target is a pod of a DaemonSet/Job/bare ReplicaSet. */
  identity: { kind: string; name: string };
  object: KubeObject | undefined;
  byKind: Map<FailureKind, KindFindings>;
}

type Finding = Omit<PodFinding, 'containers'>;
interface PodEntry {
  pod: Pod;
  containers: string[];
}
/** Everything one kind found on one workload: one finding per pod (pod detectors) or one for the workload. */
interface KindFindings {
  findings: { finding: Finding; pods: PodEntry[] }[];
}

/**
 * Pods of one workload may disagree (one says tag-not-found, another auth):
 * the sub-reason shown by most pods wins, ties alphabetically, so the
 * fingerprint does not flip between detections; its first pod (by name)
 * supplies the reason and message.
 */
function representative(kf: KindFindings): Finding {
  const weight = new Map<string, number>();
  for (const f of kf.findings) weight.set(f.finding.subReason, (weight.get(f.finding.subReason) ?? 0) + Math.max(1, f.pods.length));
  const [subReason] = [...weight.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [''];
  const firstPod = (f: KindFindings['findings'][number]) => f.pods.map((p) => p.pod.metadata?.name ?? '').sort()[0] ?? '';
  const candidates = kf.findings.filter((f) => f.finding.subReason === subReason).sort((a, b) => firstPod(a).localeCompare(firstPod(b)));
  return (candidates[0] ?? kf.findings[0]!).finding;
}

/** Another kind's representative finding on the same workload, and how many pods show it. */
function representativeOf(g: Group, kind: FailureKind): { kind: FailureKind; pods: number; finding: Finding } {
  const found = g.byKind.get(kind)!;
  return { kind, pods: found.findings.reduce((sum, f) => sum + f.pods.length, 0), finding: representative(found) };
}

function errorText(err: unknown): string {
  return clip(err instanceof Error ? err.message : String(err), 250);
}

function isProtected(ns: string, options: DetectOptions): string | undefined {
  if ((ALWAYS_PROTECTED_NAMESPACES as readonly string[]).includes(ns) || options.protectedNamespaces.includes(ns)) {
    return `namespace ${ns} is protected`;
  }
  const optIn = options.optInNamespaces ?? [];
  if (optIn.length > 0 && !optIn.includes(ns)) return `namespace ${ns} is not opted in`;
  return undefined;
}

function ignored(obj: KubeObject | undefined): boolean {
  return obj?.metadata?.annotations?.[IGNORE_ANNOTATION] === 'true';
}

/** An opted-out Deployment opts out its HPA too: scaling it is acting on it. */
function scaleTargetOf(ctx: DetectContext, g: Group): KubeObject | undefined {
  if (g.target.kind !== 'HorizontalPodAutoscaler') return undefined;
  const ref = (g.object as HorizontalPodAutoscaler | undefined)?.spec?.scaleTargetRef;
  if (ref?.kind === 'Deployment' && ref.name) return ctx.deployment(g.target.namespace, ref.name);
  if (ref?.kind === 'StatefulSet' && ref.name) {
    return ctx.snapshot.statefulSets.find((s) => s.metadata?.namespace === g.target.namespace && s.metadata?.name === ref.name);
  }
  return undefined;
}

/**
 * Runs every detector over an already-fetched snapshot and returns one
 * incident per failing workload. Never throws on bad cluster data: objects
 * that fail the snapshot schema, and workloads left out by policy
 * (protected, not opted in, `eks-reflexion.io/ignore: "true"`), are listed in
 * `skipped` with why. Logs are not in the snapshot; analysis adds them.
 */
export function detectIncidents(input: ClusterSnapshot | unknown, options: DetectOptions): DetectResult {
  const sanitized = sanitizeSnapshot(input);
  const skipped: Skipped[] = [...sanitized.skipped];
  const snapshot = sanitized.snapshot;
  if (!snapshot) return { incidents: [], skipped };
  const ctx = buildContext(snapshot);
  const namespaces = new Map(snapshot.namespaces.map((n) => [n.metadata?.name ?? '', n]));
  const groups = new Map<string, Group>();

  const fail = (object: string, why: string, err: unknown) => {
    if (options.strict) throw err;
    skipped.push({ object, why: `${why}: ${errorText(err)}` });
  };

  const groupFor = (key: string, make: () => Group): Group => {
    let g = groups.get(key);
    if (!g) {
      g = make();
      groups.set(key, g);
    }
    return g;
  };

  const podDetectors = DETECTORS.filter((d): d is PodDetector => d.scope === 'pod');
  for (const pod of snapshot.pods) {
    // A pod being deleted is on its way out; what replaces it is what matters.
    if (pod.metadata?.deletionTimestamp) continue;
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    for (const detector of podDetectors) {
      let finding: PodFinding | undefined;
      try {
        finding = detector.detect(pod, ctx);
      } catch (err) {
        fail(`Pod ${ns}/${name}`, `${detector.kind} detector failed`, err);
        continue;
      }
      if (!finding) continue;
      const w = ctx.workloadOf(pod);
      const identity = w.kind === 'Pod' && w.controller ? w.controller : { kind: w.kind, name: w.name };
      const g = groupFor(`${ns}/${identity.kind}/${identity.name}`, () => ({
        target: { kind: w.kind, namespace: ns, name: w.name },
        identity,
        object:
          w.kind === 'Deployment'
            ? ctx.deployment(ns, w.name)
            : w.kind === 'StatefulSet'
              ? snapshot.statefulSets.find((s) => s.metadata?.namespace === ns && s.metadata?.name === w.name)
              : pod,
        byKind: new Map(),
      }));
      const { containers, ...rest } = finding;
      const entry = g.byKind.get(finding.kind);
      const found = { finding: rest, pods: [{ pod, containers }] };
      if (entry) entry.findings.push(found);
      else g.byKind.set(finding.kind, { findings: [found] });
    }
  }

  for (const detector of DETECTORS.filter((d): d is WorkloadDetector => d.scope === 'workload')) {
    let findings;
    try {
      findings = detector.detect(ctx);
    } catch (err) {
      fail(`snapshot`, `${detector.kind} detector failed`, err);
      continue;
    }
    for (const f of findings) {
      const { target, pods, ...finding } = f;
      const object =
        target.kind === 'Deployment'
          ? ctx.deployment(target.namespace, target.name)
          : target.kind === 'HorizontalPodAutoscaler'
            ? snapshot.hpas.find((h) => h.metadata?.namespace === target.namespace && h.metadata?.name === target.name)
            : snapshot.statefulSets.find((s) => s.metadata?.namespace === target.namespace && s.metadata?.name === target.name);
      const g = groupFor(`${target.namespace}/${target.kind}/${target.name}`, () => ({
        target,
        identity: { kind: target.kind, name: target.name },
        object,
        byKind: new Map(),
      }));
      if (!g.byKind.has(f.kind)) g.byKind.set(f.kind, { findings: [{ finding, pods }] });
    }
  }

  const incidents: Incident[] = [];
  for (const g of groups.values()) {
    const describe = `${g.target.kind} ${g.target.namespace}/${g.target.name}`;
    const why =
      isProtected(g.target.namespace, options) ??
      (ignored(namespaces.get(g.target.namespace)) ? `namespace ${g.target.namespace} is annotated ${IGNORE_ANNOTATION}` : undefined) ??
      (ignored(g.object) ? `${g.target.kind} is annotated ${IGNORE_ANNOTATION}` : undefined) ??
      (ignored(scaleTargetOf(ctx, g)) ? `the HPA's scale target is annotated ${IGNORE_ANNOTATION}` : undefined);
    const kind = PRECEDENCE.find((k) => g.byKind.has(k));
    const chosen = kind ? g.byKind.get(kind) : undefined;
    if (!kind || !chosen) continue;
    if (why) {
      skipped.push({ object: describe, why: `${why} (would be ${kind})` });
      continue;
    }
    try {
      incidents.push(buildIncident(ctx, g, kind, chosen, options));
    } catch (err) {
      fail(describe, `${kind} incident is invalid`, err);
    }
  }

  incidents.sort((a, b) =>
    `${a.namespace}/${a.target.kind}/${a.target.name}`.localeCompare(`${b.namespace}/${b.target.kind}/${b.target.name}`),
  );
  if (skipped.length > MAX_SKIPPED) {
    const more = skipped.length - MAX_SKIPPED;
    skipped.length = MAX_SKIPPED;
    skipped.push({ object: 'snapshot', why: `${more} more skipped objects not listed` });
  }
  return { incidents, skipped };
}

/**
 * The chosen finding's facts that fit their schema, at most MAX_FACTS: a fact
 * built from odd cluster data (a 300-character container name) is left out
 * rather than costing the incident.
 */
function validFacts(facts: Fact[]): { valid: Fact[]; dropped: number } {
  const valid = facts.flatMap((f) => {
    const parsed = FactSchema.safeParse(f);
    return parsed.success ? [parsed.data] : [];
  });
  return { valid: valid.slice(0, MAX_FACTS), dropped: facts.length - Math.min(valid.length, MAX_FACTS) };
}

function buildIncident(
  ctx: DetectContext,
  g: Group,
  kind: FailureKind,
  chosen: KindFindings,
  options: DetectOptions,
): Incident {
  const ns = g.target.namespace;
  const finding = representative(chosen);
  const pods = chosen.findings.flatMap((f) => f.pods).sort((a, b) => (a.pod.metadata?.name ?? '').localeCompare(b.pod.metadata?.name ?? ''));
  const subReason = kebab(finding.subReason).slice(0, 100);

  const podNames = pods.map((p) => p.pod.metadata?.name ?? '').slice(0, MAX_PODS);
  const containers = pods.flatMap((p) => containerEvidence(p.pod, p.containers)).slice(0, MAX_CONTAINERS);

  const owners: { kind: string; name: string }[] = [{ kind: g.target.kind, name: g.target.name }];
  if (g.identity.kind !== g.target.kind) owners.push(g.identity);
  let rolloutHistory: RolloutRevision[] = [];
  if (g.target.kind === 'Deployment') {
    const d = ctx.deployment(ns, g.target.name);
    if (d) rolloutHistory = ctx.historyOf(d).slice(-MAX_HISTORY);
    for (const r of rolloutHistory) owners.push({ kind: 'ReplicaSet', name: r.replicaSet });
  }
  if (g.target.kind === 'HorizontalPodAutoscaler') {
    const hpa = ctx.snapshot.hpas.find((h) => h.metadata?.namespace === ns && h.metadata?.name === g.target.name);
    const ref = hpa?.spec?.scaleTargetRef;
    if (ref?.kind && ref.name) owners.push({ kind: ref.kind, name: ref.name });
  }
  const podObjects = pods.slice(0, MAX_PODS).map((p) => ({ kind: 'Pod', name: p.pod.metadata?.name ?? '' }));
  const events = eventEvidence(ctx, [...podObjects, ...owners], ns);

  const otherKinds = PRECEDENCE.filter((k) => k !== kind && g.byKind.has(k)).map((k) => representativeOf(g, k));
  const others = otherKinds.map(({ kind: k, pods: n, finding: other }) => `also observed: ${k} (${n} pods): ${other.message}`);
  const notes = [...(finding.notes ?? []), ...others].map((n) => sanitise(n, 1000));
  const ownerUnknown =
    g.target.kind === 'Pod' && g.identity.kind === 'ReplicaSet'
      ? [`whether ReplicaSet ${g.identity.name} belongs to a Deployment (no Deployment owner in the snapshot)`]
      : [];
  const unknowns = [...new Set([...(finding.unknowns ?? []), ...ownerUnknown, 'container logs (read by the analyse step, not the detector)'])]
    .map((u) => clip(u, 300))
    .slice(0, MAX_UNKNOWNS);
  if (pods.length > MAX_PODS) notes.unshift(`${pods.length - MAX_PODS} more pods not listed`);
  // The chosen kind's facts first (its playbook reads them), then what the other kinds found.
  const facts = validFacts([...(finding.facts ?? []), ...otherKinds.flatMap((o) => o.finding.facts ?? [])]);
  if (facts.dropped > 0) unknowns.push(`${facts.dropped} detector fact(s) out of bounds, left out`);

  // A pod of a DaemonSet/Job/bare ReplicaSet stands for its controller: the
  // first failing pod by name is the target (restart_pod acts on it), the
  // controller is what the message and fingerprint name.
  const target = g.target.kind === 'Pod' && podNames[0] ? { ...g.target, name: podNames[0] } : g.target;
  const podCount = pods.length;
  const lead =
    podCount > 0 && g.identity.kind !== 'Pod'
      ? `${podCount} pod${podCount === 1 ? '' : 's'} of ${g.identity.kind} ${ns}/${g.identity.name}`
      : `${g.identity.kind} ${ns}/${g.identity.name}`;
  return IncidentSchema.parse({
    fingerprint: fingerprint({
      cluster: ctx.snapshot.cluster,
      namespace: ns,
      targetKind: g.identity.kind,
      targetName: g.identity.name,
      kind,
      subReason,
    }),
    signature: signatureOf(kind, subReason),
    cluster: ctx.snapshot.cluster,
    namespace: ns,
    target,
    kind,
    subReason,
    reason: clip(finding.reason, 200),
    message: sanitise(`${lead}: ${finding.message}`, 2000),
    pods: podNames,
    evidence: { containers, events, logs: [], rolloutHistory, notes: notes.slice(0, MAX_NOTES) },
    facts: facts.valid,
    unknowns: unknowns.slice(0, MAX_UNKNOWNS),
    source: options.source,
    detectedAt: ctx.snapshot.takenAt,
  });
}
