/**
 * The HorizontalPodAutoscaler controller, for the simulator only: the metric
 * is not measured but read from the HPA's annotation
 * `sim.eks-reflexion.io/metric-utilization` (percent of the target's
 * requests). Everything after that is the real algorithm: desired =
 * ceil(current × utilization / target) outside a 10 % tolerance, scale-up
 * limited to max(2×, 4), a scale-down stabilization window (300 s default),
 * clamped to [minReplicas, maxReplicas], with the real status conditions
 * (AbleToScale, ScalingActive, ScalingLimited) and SuccessfulRescale events.
 */
import type { ObjectStore } from '../api/store';
import type { EventRecorder } from './events';
import { annotationsOf, isObject, meta, nameOf, namespaceOf, rfc3339, spec, status, type Json } from './util';

export const METRIC_ANNOTATION = 'sim.eks-reflexion.io/metric-utilization';
const COMPONENT = 'horizontal-pod-autoscaler';
const SYNC_PERIOD_MS = 15_000;
const TOLERANCE = 0.1;
const TARGET_RESOURCES: Record<string, string> = { Deployment: 'deployments', ReplicaSet: 'replicasets', StatefulSet: 'statefulsets' };

function targetUtilization(hpa: Json): { name: string; percent: number } {
  const metrics = Array.isArray(spec(hpa).metrics) ? (spec(hpa).metrics as Json[]) : [];
  for (const m of metrics) {
    if (!isObject(m) || m.type !== 'Resource' || !isObject(m.resource)) continue;
    const target = isObject(m.resource.target) ? m.resource.target : {};
    const legacy = m.resource.targetAverageUtilization;
    const percent = typeof target.averageUtilization === 'number' ? target.averageUtilization : typeof legacy === 'number' ? legacy : undefined;
    if (percent !== undefined) return { name: String(m.resource.name ?? 'cpu'), percent };
  }
  return { name: 'cpu', percent: 80 };
}

function cond(type: string, statusValue: string, reason: string, message: string, now: string, previous: Json[]): Json {
  const old = previous.find((c) => c.type === type);
  return { type, status: statusValue, lastTransitionTime: old && old.status === statusValue ? old.lastTransitionTime : now, reason, message };
}

export class HpaController {
  private readonly lastSync = new Map<string, number>();
  private readonly recommendations = new Map<string, { at: number; replicas: number }[]>();

  constructor(
    private readonly store: ObjectStore,
    private readonly events: EventRecorder,
  ) {}

  sync(hpa: Json): void {
    const key = `${namespaceOf(hpa)}/${nameOf(hpa)}/${String(meta(hpa).uid)}`;
    const nowDate = this.store.clock.now();
    const nowMs = nowDate.getTime();
    const last = this.lastSync.get(key);
    if (last !== undefined && nowMs - last < SYNC_PERIOD_MS) return;
    this.lastSync.set(key, nowMs);
    const now = rfc3339(nowDate);
    const ns = namespaceOf(hpa);
    const ref = isObject(spec(hpa).scaleTargetRef) ? (spec(hpa).scaleTargetRef as Json) : {};
    const previousConditions = Array.isArray(status(hpa).conditions) ? (status(hpa).conditions as Json[]) : [];
    const resource = TARGET_RESOURCES[String(ref.kind)];
    const target = resource ? this.store.get(resource, ns, String(ref.name)) : undefined;
    const min = Number(spec(hpa).minReplicas ?? 1);
    const max = Number(spec(hpa).maxReplicas ?? 1);
    const next: Json = { ...status(hpa), observedGeneration: meta(hpa).generation };

    if (!resource || !target) {
      next.conditions = [
        cond('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${resource ? `${resource}.apps "${String(ref.name)}" not found` : `no scale subresource for kind "${String(ref.kind)}"`}`, now, previousConditions),
      ];
      this.writeStatus(hpa, next);
      return;
    }
    const currentReplicas = Number(spec(target).replicas ?? 0);
    next.currentReplicas = Number(status(target).replicas ?? currentReplicas);
    const able = cond('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size', now, previousConditions);
    if (currentReplicas === 0) {
      next.desiredReplicas = 0;
      next.conditions = [able, cond('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero', now, previousConditions)];
      this.writeStatus(hpa, next);
      return;
    }
    const metric = targetUtilization(hpa);
    const raw = annotationsOf(hpa)[METRIC_ANNOTATION];
    const utilization = raw === undefined ? NaN : Number(raw);
    if (!Number.isFinite(utilization) || utilization < 0) {
      next.desiredReplicas = currentReplicas;
      next.conditions = [
        able,
        cond(
          'ScalingActive',
          'False',
          'FailedGetResourceMetric',
          `the HPA was unable to compute the replica count: ${raw === undefined ? `no simulated metric: annotation ${METRIC_ANNOTATION} is not set` : `annotation ${METRIC_ANNOTATION} is not a non-negative number: ${JSON.stringify(raw)}`}`,
          now,
          previousConditions,
        ),
      ];
      this.events.record(hpa, 'Warning', 'FailedGetResourceMetric', `no simulated metric for ${metric.name}: set annotation ${METRIC_ANNOTATION}`, COMPONENT);
      this.writeStatus(hpa, next);
      return;
    }
    const ratio = utilization / metric.percent;
    let proposal = Math.abs(ratio - 1) <= TOLERANCE ? currentReplicas : Math.ceil(ratio * currentReplicas);
    // Scale-down stabilization: the highest recommendation of the window wins.
    const behavior = isObject(spec(hpa).behavior) ? (spec(hpa).behavior as Json) : {};
    const scaleDown = isObject(behavior.scaleDown) ? behavior.scaleDown : {};
    const windowMs = Number(scaleDown.stabilizationWindowSeconds ?? 300) * 1000;
    const history = (this.recommendations.get(key) ?? []).filter((r) => nowMs - r.at <= windowMs);
    history.push({ at: nowMs, replicas: proposal });
    this.recommendations.set(key, history);
    if (proposal < currentReplicas) proposal = Math.min(currentReplicas, Math.max(...history.map((r) => r.replicas)));
    const scaleUpLimit = Math.max(2 * currentReplicas, 4);
    let desired = proposal;
    let limited = cond('ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range', now, previousConditions);
    if (desired > max) {
      desired = max;
      limited = cond('ScalingLimited', 'True', 'TooManyReplicas', 'the desired replica count is more than the maximum replica count', now, previousConditions);
    } else if (desired < min) {
      desired = min;
      limited = cond('ScalingLimited', 'True', 'TooFewReplicas', 'the desired replica count is less than the minimum replica count', now, previousConditions);
    } else if (desired > scaleUpLimit) {
      desired = scaleUpLimit;
      limited = cond('ScalingLimited', 'True', 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate', now, previousConditions);
    }
    next.desiredReplicas = desired;
    next.currentMetrics = [{ type: 'Resource', resource: { name: metric.name, current: { averageUtilization: Math.round(utilization) } } }];
    let ableCondition = able;
    if (desired !== currentReplicas) {
      try {
        this.store.updateScale(resource, ns, String(ref.name), { spec: { replicas: desired } });
        next.lastScaleTime = now;
        const direction = desired > currentReplicas ? 'above' : 'below';
        this.events.record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${metric.name} resource utilization (percentage of request) ${direction} target`, COMPONENT);
        ableCondition = cond('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`, now, previousConditions);
      } catch (error) {
        ableCondition = cond('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${(error as Error).message}`, now, previousConditions);
        this.events.record(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; error: ${(error as Error).message}`, COMPONENT);
      }
    }
    next.conditions = [
      ableCondition,
      cond('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric.name} resource utilization (percentage of request)`, now, previousConditions),
      limited,
    ];
    this.writeStatus(hpa, next);
  }

  private writeStatus(hpa: Json, next: Json): void {
    const current = this.store.get('horizontalpodautoscalers', namespaceOf(hpa), nameOf(hpa));
    if (!current) return;
    this.store.update('horizontalpodautoscalers', { ...current, status: next }, { namespace: namespaceOf(hpa), name: nameOf(hpa), subresource: 'status' });
  }
}
