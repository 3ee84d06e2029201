/**
 * autoscaling/v1 HorizontalPodAutoscaler ⇄ the stored autoscaling/v2 shape,
 * as the real server converts: v1's `targetCPUUtilizationPercentage` is the v2
 * CPU `Utilization` Resource metric and `currentCPUUtilizationPercentage` its
 * current value; v2 status conditions appear on v1 as the
 * `autoscaling.alpha.kubernetes.io/conditions` annotation. Simplification:
 * metrics other than CPU utilization are not carried into v1's
 * `autoscaling.alpha.kubernetes.io/metrics` annotation (and not read from it).
 */
import { isObject, type Json } from './defaults';

const CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';

function isCpuUtilization(m: unknown): m is Json {
  return isObject(m) && m.type === 'Resource' && isObject(m.resource) && m.resource.name === 'cpu';
}

export function hpaFromV1(v1: Json): Json {
  const out: Json = { ...v1, apiVersion: 'autoscaling/v2' };
  if (isObject(v1.metadata) && isObject(v1.metadata.annotations) && CONDITIONS in v1.metadata.annotations) {
    const annotations = { ...v1.metadata.annotations };
    delete annotations[CONDITIONS];
    out.metadata = { ...v1.metadata, annotations };
  }
  if (isObject(v1.spec)) {
    const spec: Json = { ...v1.spec };
    const target = spec.targetCPUUtilizationPercentage;
    delete spec.targetCPUUtilizationPercentage;
    if (typeof target === 'number') spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }];
    out.spec = spec;
  }
  if (isObject(v1.status)) {
    const status: Json = { ...v1.status };
    const current = status.currentCPUUtilizationPercentage;
    delete status.currentCPUUtilizationPercentage;
    if (typeof current === 'number') status.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }];
    out.status = status;
  }
  return out;
}

export function hpaToV1(v2: Json): Json {
  const out: Json = { ...v2, apiVersion: 'autoscaling/v1' };
  if (isObject(v2.spec)) {
    const { metrics, behavior: _behavior, ...rest } = v2.spec;
    const spec: Json = { ...rest };
    const cpu = Array.isArray(metrics) ? metrics.find(isCpuUtilization) : undefined;
    const target = cpu && isObject(cpu.resource) && isObject(cpu.resource.target) ? cpu.resource.target.averageUtilization : undefined;
    if (typeof target === 'number') spec.targetCPUUtilizationPercentage = target;
    out.spec = spec;
  }
  if (isObject(v2.status)) {
    const { currentMetrics, conditions, ...rest } = v2.status;
    const status: Json = { ...rest };
    const cpu = Array.isArray(currentMetrics) ? currentMetrics.find(isCpuUtilization) : undefined;
    const current = cpu && isObject(cpu.resource) && isObject(cpu.resource.current) ? cpu.resource.current.averageUtilization : undefined;
    if (typeof current === 'number') status.currentCPUUtilizationPercentage = current;
    if (status.currentReplicas === undefined) status.currentReplicas = 0;
    if (status.desiredReplicas === undefined) status.desiredReplicas = 0;
    out.status = status;
    if (Array.isArray(conditions) && conditions.length) {
      const meta = isObject(v2.metadata) ? v2.metadata : {};
      out.metadata = { ...meta, annotations: { ...(isObject(meta.annotations) ? meta.annotations : {}), [CONDITIONS]: JSON.stringify(conditions) } };
    }
  }
  return out;
}
