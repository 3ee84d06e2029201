import { PROBE_FAILURES, type FactOf, type ProbeFailure } from '../facts';
import type { Probe } from '../k8s';
import type { PodDetector } from './types';
import { clip, conditionOf, containerSpecOf, eventTime, podEvents, secondsSince, statusesOf } from './common';

/** Liveness/startup failures this recent that killed the container count. */
const RECENT_PROBE_SECONDS = 600;
/**
 * Running but not ready for at least this long (beyond the probe's own
 * initial delay): a pod that just started is allowed to warm up.
 */
export const NOT_READY_GRACE_SECONDS = 120;

/**
 * The sub-reason of a probe failure, from the kubelet's Unhealthy message
 * (prober/prober.go and probe/http, probe/tcp wording). The kind of failure
 * decides the fix, so it is part of the signature: a probe that times out
 * passes with a longer timeout (patch_probe); a 404 (wrong path) or a refused
 * connection on a Running, long-started container (wrong port) never passes,
 * whatever the timings (rollback); a 5xx is the app itself saying it is not
 * healthy (still starting, or broken). A message that says none of these
 * (exec probes, no event) keeps the bare probe name, so the signature is still
 * deterministic.
 */
export function probeSubReason(probe: 'liveness' | 'readiness' | 'startup', message: string | undefined): string {
  const m = (message ?? '').toLowerCase();
  // Timeout first: a timed-out GET also names the URL, and may name dial tcp.
  if (/context deadline exceeded|client\.timeout exceeded|timeout: |i\/o timeout|probe timed out/.test(m)) return `${probe}-timeout`;
  if (/connect: connection refused/.test(m)) return `${probe}-refused`;
  const status = /statuscode: (\d{3})/.exec(m)?.[1];
  if (status?.startsWith('4')) return `${probe}-http-error`;
  if (status?.startsWith('5')) return `${probe}-server-error`;
  return probe;
}

/** What the kubelet saw, from the sub-reason probeSubReason returned (`readiness-timeout` → `timeout`). */
function failureOf(probe: string, subReason: string): ProbeFailure {
  const rest = subReason.slice(probe.length + 1);
  return (PROBE_FAILURES as readonly string[]).includes(rest) ? (rest as ProbeFailure) : 'unknown';
}

const seconds = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1_000_000 ? v : undefined);

/** The probe's timings as configured, typed (absent fields are the API's defaults, left to the reader). */
export function probeSettings(spec: Probe | undefined): FactOf<'Probe'>['settings'] {
  if (!spec) return undefined;
  const out: NonNullable<FactOf<'Probe'>['settings']> = {};
  for (const key of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'failureThreshold', 'successThreshold'] as const) {
    const v = seconds((spec as Record<string, unknown>)[key]);
    if (v !== undefined) out[key] = v;
  }
  const handler = (['httpGet', 'tcpSocket', 'exec', 'grpc'] as const).find((h) => (spec as Record<string, unknown>)[h] !== undefined);
  if (handler) out.handler = handler;
  return out;
}

function probeFact(probe: FactOf<'Probe'>['probe'], subReason: string, container: string | undefined, restartCount: number | undefined, spec: Probe | undefined): FactOf<'Probe'> {
  const settings = probeSettings(spec);
  return {
    kind: 'Probe',
    probe,
    container: container ?? '',
    failure: failureOf(probe, subReason),
    ...(settings ? { settings } : {}),
    restartCount: restartCount ?? 0,
  };
}

/**
 * Probe failures: a liveness or startup probe that is killing the container
 * (Unhealthy events + restarts), or a readiness probe keeping a Running
 * container out of service.
 */
export const probeFailureDetector: PodDetector = {
  kind: 'ProbeFailure',
  scope: 'pod',
  detect(pod, ctx) {
    const ns = pod.metadata?.namespace ?? '';
    const events = ctx.eventsFor('Pod', ns, pod.metadata?.name ?? '');
    const unhealthy = podEvents(events, { reason: 'Unhealthy', withinSeconds: RECENT_PROBE_SECONDS, now: ctx.now }).sort(
      (a, b) => (eventTime(a) ?? 0) - (eventTime(b) ?? 0),
    );

    // Liveness / startup: failed recently and the container was restarted for it.
    for (const probe of ['liveness', 'startup'] as const) {
      const label = probe === 'liveness' ? 'Liveness' : 'Startup';
      const failures = unhealthy.filter((e) => (e.message ?? '').startsWith(`${label} probe failed`));
      const last = failures.at(-1);
      if (!last) continue;
      const refs = statusesOf(pod).filter(
        (ref) =>
          (ref.status.restartCount ?? 0) >= 1 &&
          failures.some((e) => {
            const c = (e.involvedObject as { fieldPath?: string } | undefined)?.fieldPath;
            return !c || c.includes(`{${ref.status.name}}`);
          }),
      );
      const first = refs[0];
      if (!first) continue;
      const spec = containerSpecOf(pod, first.status.name)?.[`${probe}Probe`];
      const subReason = probeSubReason(probe, last.message);
      return {
        kind: 'ProbeFailure',
        subReason,
        reason: 'Unhealthy',
        message: clip(
          `container ${first.status.name} restarted ${first.status.restartCount} times after failing its ${probe} probe: ${last.message ?? ''}`,
          2000,
        ),
        containers: refs.map((r) => r.status.name ?? ''),
        facts: [probeFact(probe, subReason, first.status.name, first.status.restartCount, spec)],
        notes: spec ? [`${probe} probe: ${JSON.stringify(spec)}`] : [],
        unknowns: ['whether the probe is too strict or the application is really unhealthy (logs are read by analysis)'],
      };
    }

    // Readiness: Running, the container started, not ready for longer than the grace.
    if (pod.status?.phase !== 'Running') return undefined;
    const ready = conditionOf(pod.status?.conditions, 'Ready');
    if (ready?.status !== 'False') return undefined;
    const notReadyFor = secondsSince(ready.lastTransitionTime, ctx.now);
    const refs = statusesOf(pod).filter((ref) => {
      if (ref.init || !ref.status.state?.running || ref.status.ready !== false || ref.status.started === false) return false;
      const probe = containerSpecOf(pod, ref.status.name)?.readinessProbe;
      if (!probe) return false;
      const runningFor = secondsSince(ref.status.state.running.startedAt, ctx.now);
      const grace = NOT_READY_GRACE_SECONDS + (probe.initialDelaySeconds ?? 0);
      return (runningFor ?? 0) >= grace && (notReadyFor ?? 0) >= NOT_READY_GRACE_SECONDS;
    });
    const first = refs[0];
    if (!first) return undefined;
    const readinessFailures = unhealthy.filter(
      (e) => (e.message ?? '').startsWith('Readiness probe failed') && (e.involvedObject as { fieldPath?: string } | undefined)?.fieldPath?.includes(`{${first.status.name}}`) !== false,
    );
    const last = readinessFailures.at(-1);
    const spec = containerSpecOf(pod, first.status.name)?.readinessProbe;
    const unknowns = ['whether the probe is too strict or the application is really unhealthy (logs are read by analysis)'];
    if (!last) unknowns.unshift('the probe failure message (no recent Unhealthy event in the snapshot)');
    const subReason = probeSubReason('readiness', last?.message);
    return {
      kind: 'ProbeFailure',
      subReason,
      reason: 'Unhealthy',
      message: clip(
        `container ${first.status.name} running but not ready for ${Math.round(notReadyFor ?? 0)}s${last ? `: ${last.message ?? ''}` : ''}`,
        2000,
      ),
      containers: refs.map((r) => r.status.name ?? ''),
      facts: [probeFact('readiness', subReason, first.status.name, first.status.restartCount, spec)],
      notes: spec ? [`readiness probe: ${JSON.stringify(spec)}`] : [],
      unknowns,
    };
  },
};
