import { z } from 'zod';
import type { HorizontalPodAutoscaler, Pod } from '../k8s';
import type { WorkloadDetector, WorkloadFinding } from './types';
import { clip, conditionOf, quantityAsNumber, secondsSince } from './common';

/** At max for at least this long (per ScalingLimited): a short spike is what an HPA is for. */
export const HPA_AT_MAX_GRACE_SECONDS = 120;

// autoscaling/v2 metric specs and statuses; anything else is not comparable.
const Target = z.looseObject({
  averageUtilization: z.number().optional(),
  averageValue: z.union([z.string(), z.number()]).optional(),
  value: z.union([z.string(), z.number()]).optional(),
});
const Current = Target;
const Source = z.looseObject({
  name: z.string().optional(),
  metric: z.looseObject({ name: z.string() }).optional(),
  target: Target.optional(),
  current: Current.optional(),
});
const Metric = z.looseObject({
  type: z.string(),
  resource: Source.optional(),
  containerResource: Source.optional(),
  pods: Source.optional(),
  object: Source.optional(),
  external: Source.optional(),
});
type MetricEntry = z.infer<typeof Metric>;

function sourceOf(m: MetricEntry) {
  switch (m.type) {
    case 'Resource':
      return m.resource;
    case 'ContainerResource':
      return m.containerResource;
    case 'Pods':
      return m.pods;
    case 'Object':
      return m.object;
    case 'External':
      return m.external;
    default:
      return undefined;
  }
}

function metricName(m: MetricEntry): string | undefined {
  const s = sourceOf(m);
  return s?.name ?? s?.metric?.name;
}

export interface MetricReading {
  name: string;
  current: number;
  target: number;
  unit: '%' | '';
}

/** Metrics whose current value is above target, matched by type and name. */
export function metricsAboveTarget(hpa: HorizontalPodAutoscaler): { above: MetricReading[]; comparable: number } {
  const specs = (Array.isArray(hpa.spec?.metrics) ? hpa.spec.metrics : []).flatMap((m) => {
    const p = Metric.safeParse(m);
    return p.success ? [p.data] : [];
  });
  const currents = (Array.isArray(hpa.status?.currentMetrics) ? hpa.status.currentMetrics : []).flatMap((m) => {
    const p = Metric.safeParse(m);
    return p.success ? [p.data] : [];
  });
  const above: MetricReading[] = [];
  let comparable = 0;
  for (const spec of specs) {
    const name = metricName(spec);
    const current = currents.find((c) => c.type === spec.type && metricName(c) === name);
    const t = sourceOf(spec)?.target;
    const c = current ? sourceOf(current)?.current : undefined;
    if (!name || !t || !c) continue;
    let reading: MetricReading | undefined;
    if (t.averageUtilization !== undefined && c.averageUtilization !== undefined) {
      reading = { name, current: c.averageUtilization, target: t.averageUtilization, unit: '%' };
    } else {
      const tv = quantityAsNumber(t.averageValue ?? t.value);
      const cv = quantityAsNumber(c.averageValue ?? c.value);
      if (tv !== undefined && cv !== undefined) reading = { name, current: cv, target: tv, unit: '' };
    }
    if (!reading) continue;
    comparable++;
    if (reading.current > reading.target) above.push(reading);
  }
  return { above, comparable };
}

/**
 * An HPA pinned at maxReplicas while a metric is above its target: more load
 * than the ceiling allows. At max with metrics at or below target is a
 * correctly sized ceiling, not an incident.
 */
export const hpaAtMaxDetector: WorkloadDetector = {
  kind: 'HpaAtMax',
  scope: 'workload',
  detect(ctx) {
    const findings: WorkloadFinding[] = [];
    for (const hpa of ctx.snapshot.hpas) {
      const max = hpa.spec?.maxReplicas;
      const current = hpa.status?.currentReplicas;
      if (max === undefined || current === undefined || current < max) continue;
      const limited = conditionOf(hpa.status?.conditions, 'ScalingLimited');
      const tooMany = limited?.status === 'True' && limited.reason === 'TooManyReplicas';
      const { above, comparable } = metricsAboveTarget(hpa);
      // Metrics decide when they can be compared; otherwise the controller's own "wants more than max".
      const underLoad = comparable > 0 ? above.length > 0 : tooMany;
      if (!underLoad) continue;
      const atMaxFor = tooMany ? secondsSince(limited?.lastTransitionTime, ctx.now) : undefined;
      if (atMaxFor !== undefined && atMaxFor < HPA_AT_MAX_GRACE_SECONDS) continue;

      const ns = hpa.metadata?.namespace ?? '';
      const ref = hpa.spec?.scaleTargetRef;
      const pods: Pod[] = ctx.podsIn(ns).filter((p) => {
        if (!ref) return false;
        const w = ctx.workloadOf(p);
        return w.kind === ref.kind && w.name === ref.name;
      });
      const worst = [...above].sort((a, b) => b.current / b.target - a.current / a.target)[0];
      const notes = above.map((m) => `${m.name}: current ${m.current}${m.unit} > target ${m.target}${m.unit}`);
      notes.push(`currentReplicas ${current} = maxReplicas ${max}${hpa.status?.desiredReplicas !== undefined ? `, desired ${hpa.status.desiredReplicas}` : ''}`);
      if (limited?.message) notes.push(`ScalingLimited: ${limited.message}`);
      const unknowns = ['whether the nodes have room for more replicas', 'whether the load is legitimate traffic or a fault upstream'];
      if (atMaxFor === undefined) unknowns.push('how long the HPA has been at its maximum');
      findings.push({
        kind: 'HpaAtMax',
        subReason: worst ? worst.name : 'desired-above-max',
        reason: tooMany ? 'TooManyReplicas' : 'AtMaxReplicas',
        message: clip(
          `HPA ${hpa.metadata?.name} at maxReplicas ${max} for ${ref?.kind ?? '?'} ${ref?.name ?? '?'} while ${worst ? `${worst.name} is ${worst.current}${worst.unit} against a target of ${worst.target}${worst.unit}` : 'it wants more replicas'}`,
          2000,
        ),
        target: { kind: 'HorizontalPodAutoscaler', namespace: ns, name: hpa.metadata?.name ?? '' },
        pods: pods.map((pod) => ({ pod, containers: [] })),
        facts: [
          {
            kind: 'HpaAtMax',
            hpa: hpa.metadata?.name ?? '',
            currentReplicas: current,
            maxReplicas: max,
            ...(hpa.spec?.minReplicas !== undefined ? { minReplicas: hpa.spec.minReplicas } : {}),
            ...(hpa.status?.desiredReplicas !== undefined ? { desiredReplicas: hpa.status.desiredReplicas } : {}),
            metricsAboveTarget: above.slice(0, 5).map((m) => ({ ...m, name: clip(m.name, 253) })),
            ...(atMaxFor !== undefined && atMaxFor >= 0 ? { atMaxSeconds: Math.round(atMaxFor) } : {}),
          },
        ],
        notes,
        unknowns,
      });
    }
    return findings;
  },
};
