import { ValidationError } from './errors';
import type { Incident } from './incident';
import type { Container, Deployment, HorizontalPodAutoscaler, Probe, ResourceRequirements } from './k8s';
import { defaultPolicyConfig, maxProbeStep, type PolicyConfig } from './policy-config';
import { compareQuantities, parseExactQuantity, type Quantity } from './quantity';

/**
 * The relative directives of strategy templates (see strategy-template.ts):
 * resource factors scaled from the container's current values, probe timings
 * relaxed from the current probe, each bounded by the policy's limits. Also
 * the context and bounds a template is instantiated with.
 */

export interface TemplateBounds {
  maxMemory: string;
  maxCpu: string;
  maxResourceFactor: number;
  hpaMaxReplicasCeiling: number;
  maxReplicaStep: number;
  /** A probe timing changes by at most this factor in one step (the policy refuses more). */
  maxProbeFactor: number;
}

export interface TemplateContext {
  /** The failing container; defaults to the first failing non-init container in the evidence. */
  container?: string;
  pod?: string;
  /** The target Deployment as read now (current resources and probes). */
  deployment?: Deployment;
  hpa?: HorizontalPodAutoscaler;
  /** Overrides what the deployment says about the container's resources. */
  currentResources?: ResourceRequirements;
  /** Overrides what the deployment says about the probe being patched. */
  currentProbe?: Probe;
  /** Overrides the HPA's current maxReplicas. */
  hpaMax?: number;
  /** @default the PolicyConfig defaults (8Gi, 4 CPU, 2x per step, HPA ceiling 100, probe timings 3x per step) */
  bounds?: Partial<TemplateBounds>;
}

export const PROBES = ['liveness', 'readiness', 'startup'] as const;
export type ProbeKind = (typeof PROBES)[number];

export const fail = (message: string, field: string): never => {
  throw new ValidationError(message, field);
};

export function bounds(context: TemplateContext): TemplateBounds {
  const limits: PolicyConfig['limits'] = defaultPolicyConfig().limits;
  return {
    maxMemory: context.bounds?.maxMemory ?? limits.maxMemory,
    maxCpu: context.bounds?.maxCpu ?? limits.maxCpu,
    maxResourceFactor: context.bounds?.maxResourceFactor ?? limits.maxResourceFactor,
    hpaMaxReplicasCeiling: context.bounds?.hpaMaxReplicasCeiling ?? limits.hpaMaxReplicasCeiling,
    maxReplicaStep: context.bounds?.maxReplicaStep ?? limits.maxReplicaStep,
    maxProbeFactor: context.bounds?.maxProbeFactor ?? limits.maxProbeFactor,
  };
}

export function factor(template: Record<string, unknown>, key: string, range: { min: number; max: number }): number | undefined {
  const value = template[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < range.min || value > range.max) {
    return fail(`template.${key} must be a number in [${range.min}, ${range.max}], got ${JSON.stringify(value)}`, `template.${key}`);
  }
  return value;
}

// -- resources

const MI = 1n << 20n;
const MEMORY_FLOOR = parseExactQuantity('16Mi');
const CPU_FLOOR = parseExactQuantity('10m');

function currentResources(incident: Incident, context: TemplateContext, container: string): ResourceRequirements {
  if (context.currentResources) return context.currentResources;
  const spec: Container | undefined = context.deployment?.spec?.template?.spec?.containers?.find((c) => c.name === container);
  if (spec?.resources) return spec.resources;
  const seen = incident.evidence.containers.find((c) => c.container === container);
  return { ...(seen?.requests ? { requests: seen.requests } : {}), ...(seen?.limits ? { limits: seen.limits } : {}) };
}

function toRational(f: number): { num: bigint; den: bigint } {
  const [whole = '0', fraction = ''] = f.toFixed(6).split('.');
  return { num: BigInt(whole + fraction), den: 10n ** BigInt(fraction.length) };
}

/**
 * current × f, rounded toward the current value (down when raising, up when
 * lowering) so the step never exceeds the factor; memory in Mi, CPU in m.
 */
function scaleQuantity(current: Quantity, f: number, resource: 'memory' | 'cpu'): string {
  const r = toRational(f);
  const num = current.num * r.num;
  const den = current.den * r.den;
  const unit = resource === 'memory' ? MI : 1n;
  // memory: value / 2^20 Mi; cpu: value * 1000 m.
  const scaledNum = resource === 'memory' ? num : num * 1000n;
  const scaledDen = den * unit;
  const down = scaledNum / scaledDen;
  const up = scaledNum % scaledDen === 0n ? down : down + 1n;
  const amount = f >= 1 ? down : up;
  return resource === 'memory' ? `${amount}Mi` : `${amount}m`;
}

export function patchResources(
  template: Record<string, unknown>,
  incident: Incident,
  context: TemplateContext,
  container: string,
): { requests?: Record<string, string>; limits?: Record<string, string> } {
  const b = bounds(context);
  const current = currentResources(incident, context, container);
  const out: { requests?: Record<string, string>; limits?: Record<string, string> } = {};
  const range = { min: 1 / b.maxResourceFactor, max: b.maxResourceFactor };
  for (const resource of ['memory', 'cpu'] as const) {
    for (const section of ['limits', 'requests'] as const) {
      const key = `${resource}_${section === 'limits' ? 'limit' : 'request'}_factor`;
      const f = factor(template, key, { min: 0.01, max: 100 });
      if (f === undefined) continue;
      // Bounded: never more than the policy's per-step factor, either way.
      const bounded = Math.min(Math.max(f, range.min), range.max);
      const text = current[section]?.[resource];
      if (text === undefined) fail(`container ${container} has no ${resource} ${section.slice(0, -1)} to scale`, `template.${key}`);
      let from: Quantity;
      try {
        from = parseExactQuantity(text as string);
      } catch {
        return fail(`container ${container} has an unreadable ${resource} ${section.slice(0, -1)} '${text}'`, `template.${key}`);
      }
      let to = scaleQuantity(from, bounded, resource);
      const ceiling = resource === 'memory' ? b.maxMemory : b.maxCpu;
      const floor = resource === 'memory' ? MEMORY_FLOOR : CPU_FLOOR;
      if (bounded > 1 && compareQuantities(to, ceiling) > 0) to = ceiling;
      if (bounded < 1 && compareQuantities(to, floor) < 0) to = floor.text;
      const direction = compareQuantities(to, from);
      if (bounded > 1 && direction <= 0) fail(`${resource} ${section.slice(0, -1)} ${text} of ${container} is already at the ceiling ${ceiling}`, `template.${key}`);
      if (bounded < 1 && direction >= 0) fail(`${resource} ${section.slice(0, -1)} ${text} of ${container} is already at the floor ${floor.text}`, `template.${key}`);
      if (bounded === 1) continue;
      (out[section] ??= {})[resource] = to;
    }
    // A request above its limit is invalid: cap the new request at the (new or current) limit.
    const request = out.requests?.[resource];
    const limit = out.limits?.[resource] ?? current.limits?.[resource];
    if (request !== undefined && limit !== undefined && compareQuantities(request, limit) > 0 && out.requests) out.requests[resource] = limit;
  }
  if (!out.requests && !out.limits) fail('patch_resources template changes nothing (no *_factor directive)', 'template');
  return out;
}

// -- probes

const PROBE_DEFAULTS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 };

function currentProbe(context: TemplateContext, container: string, probe: ProbeKind): Probe {
  if (context.currentProbe) return context.currentProbe;
  const spec = context.deployment?.spec?.template?.spec?.containers?.find((c) => c.name === container);
  if (!spec) return fail(`the current ${probe} probe of container ${container} is unknown (no deployment spec)`, 'template.probe');
  const found = probe === 'liveness' ? spec.livenessProbe : probe === 'readiness' ? spec.readinessProbe : spec.startupProbe;
  if (!found) return fail(`container ${container} has no ${probe} probe to relax`, 'template.probe');
  return found;
}

export function relaxProbe(template: Record<string, unknown>, context: TemplateContext, container: string, probe: ProbeKind) {
  const current = { ...PROBE_DEFAULTS, ...currentProbe(context, container, probe) };
  const { maxProbeFactor } = bounds(context);
  // One step stays within what the policy allows per step (a larger template factor is taken as far as it allows).
  const grow = (key: string, value: number, minStep: number, max: number): number | undefined => {
    const f = factor(template, key, { min: 1, max: 10 });
    if (f === undefined) return undefined;
    return Math.min(max, Math.floor(maxProbeStep(value, maxProbeFactor)), Math.max(Math.ceil(value * Math.min(f, 4)), value + minStep));
  };
  const out = {
    initial_delay_seconds: grow('initial_delay_factor', current.initialDelaySeconds, 10, 3600),
    timeout_seconds: grow('timeout_factor', current.timeoutSeconds, 1, 120),
    period_seconds: grow('period_factor', current.periodSeconds, 1, 300),
    failure_threshold: grow('failure_threshold_factor', current.failureThreshold, 1, 30),
  };
  const changed =
    (out.initial_delay_seconds ?? current.initialDelaySeconds) !== current.initialDelaySeconds ||
    (out.timeout_seconds ?? current.timeoutSeconds) !== current.timeoutSeconds ||
    (out.period_seconds ?? current.periodSeconds) !== current.periodSeconds ||
    (out.failure_threshold ?? current.failureThreshold) !== current.failureThreshold;
  if (!changed) fail(`the ${probe} probe of ${container} is already as relaxed as the bounds allow`, 'template');
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}
