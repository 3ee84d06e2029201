import { createHash } from 'node:crypto';
import { ActionRequestSchema, type ActionName, type ActionRequest } from './actions';
import { rolloutFacts } from './deterministic-reasoner';
import { hpaMinReplicasOf } from './detectors/scaled-to-zero';
import { ValidationError } from './errors';
import type { Incident } from './incident';
import type { Container, Deployment, HorizontalPodAutoscaler, Probe, ResourceRequirements } from './k8s';
import { StrategySchema, type Strategy } from './model';
import { defaultPolicyConfig, type PolicyConfig } from './policy-config';
import { compareQuantities, parseQuantity, type Quantity } from './quantity';

/**
 * Strategy templates: an action with parameters that refer to the incident
 * (`{{target.name}}`, `{{namespace}}`, `{{container}}`, `{{pod}}`, `{{hpa}}`,
 * `{{probe}}`, `{{signature}}`, `{{kind}}`) or to the workload's current
 * values (relative directives below), so that one strategy — and the
 * statistics it earns — applies to every incident with its signature.
 *
 * Directives (consumed here, never passed to the action):
 * - `requires`: 'earlier-revision' (a revision to roll back to, when the
 *   history is known) or 'new-failing-revision' (a new revision that is not
 *   healthy while an earlier one was: the change introduced the failure).
 * - `memory_limit_factor`, `memory_request_factor`, `cpu_limit_factor`,
 *   `cpu_request_factor`: scale the container's current value, bounded by the
 *   policy's maxResourceFactor and ceilings (and a floor when lowering).
 * - `initial_delay_factor`, `timeout_factor`, `period_factor`,
 *   `failure_threshold_factor` (≥ 1): relax the current probe timings.
 * - `max_replicas_factor` (> 1): raise the HPA's maxReplicas, under the ceiling.
 * - `replicas_to_hpa_min` (true): scale a Deployment up towards the HPA's
 *   minReplicas (from the HPA in the context, else the incident's evidence),
 *   at most the policy's maxReplicaStep in one step.
 */

export interface TemplateBounds {
  maxMemory: string;
  maxCpu: string;
  maxResourceFactor: number;
  hpaMaxReplicasCeiling: number;
  maxReplicaStep: number;
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
  /** @default the PolicyConfig defaults (8Gi, 4 CPU, 2x per step, HPA ceiling 100) */
  bounds?: Partial<TemplateBounds>;
}

// ---------------------------------------------------------------- ids

/** JSON with object keys sorted at every level, so equal templates hash equally. */
function canonicalValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonicalValue((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * Stable strategy id: sha256 of `signature|action|canonical template`, hex,
 * 24 chars. The canonical form is the template's entries sorted by key
 * (`[[key, value], ...]`), so flat templates hash exactly as the select step's
 * reasoner-proposal ids do.
 */
export function strategyId(signature: string, action: ActionName, template: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(template)
      .sort()
      .map((k) => [k, canonicalValue(template[k])]),
  );
  return createHash('sha256').update(`${signature}|${action}|${canonical}`).digest('hex').slice(0, 24);
}

/** A strategy with a stable id and zero statistics. */
export function makeStrategy(input: {
  signature: string;
  action: ActionName;
  template: Record<string, unknown>;
  description: string;
  source?: Strategy['source'];
}): Strategy {
  return StrategySchema.parse({
    id: strategyId(input.signature, input.action, input.template),
    signature: input.signature,
    action: input.action,
    template: input.template,
    description: input.description,
    successes: 0,
    failures: 0,
    source: input.source ?? 'seeded',
    retired: false,
  });
}

// ---------------------------------------------------------------- instantiate

const DIRECTIVES = new Set([
  'requires',
  'memory_limit_factor',
  'memory_request_factor',
  'cpu_limit_factor',
  'cpu_request_factor',
  'initial_delay_factor',
  'timeout_factor',
  'period_factor',
  'failure_threshold_factor',
  'max_replicas_factor',
  'replicas_to_hpa_min',
]);
const PLACEHOLDER = /\{\{\s*([a-zA-Z.]+)\s*\}\}/g;
const PROBES = ['liveness', 'readiness', 'startup'] as const;
type ProbeKind = (typeof PROBES)[number];

const fail = (message: string, field: string): never => {
  throw new ValidationError(message, field);
};

function bounds(context: TemplateContext): TemplateBounds {
  const limits: PolicyConfig['limits'] = defaultPolicyConfig().limits;
  return {
    maxMemory: context.bounds?.maxMemory ?? limits.maxMemory,
    maxCpu: context.bounds?.maxCpu ?? limits.maxCpu,
    maxResourceFactor: context.bounds?.maxResourceFactor ?? limits.maxResourceFactor,
    hpaMaxReplicasCeiling: context.bounds?.hpaMaxReplicasCeiling ?? limits.hpaMaxReplicasCeiling,
    maxReplicaStep: context.bounds?.maxReplicaStep ?? limits.maxReplicaStep,
  };
}

function containerName(incident: Incident, context: TemplateContext): string | undefined {
  if (context.container) return context.container;
  const containers = incident.evidence.containers;
  return (
    containers.find((c) => !c.init && c.ready !== true)?.container ??
    containers.find((c) => !c.init)?.container ??
    context.deployment?.spec?.template?.spec?.containers?.[0]?.name
  );
}

function hpaName(incident: Incident, context: TemplateContext): string | undefined {
  return context.hpa?.metadata?.name ?? (incident.target.kind === 'HorizontalPodAutoscaler' ? incident.target.name : undefined);
}

function placeholderValue(name: string, incident: Incident, context: TemplateContext): string | undefined {
  switch (name) {
    case 'namespace':
      return incident.namespace;
    case 'target.name':
      return incident.target.name;
    case 'target.kind':
      return incident.target.kind;
    case 'container':
      return containerName(incident, context);
    case 'pod':
      return context.pod ?? incident.pods[0] ?? (incident.target.kind === 'Pod' ? incident.target.name : undefined);
    case 'hpa':
      return hpaName(incident, context);
    case 'probe': {
      const sub = incident.subReason.toLowerCase();
      return PROBES.find((p) => sub.includes(p));
    }
    case 'signature':
      return incident.signature;
    case 'kind':
      return incident.kind;
    default:
      return fail(`unknown placeholder {{${name}}}`, '');
  }
}

/** Fills placeholders in strings (recursively in arrays/objects); a value that cannot be known is an error. */
function fill(value: unknown, field: string, incident: Incident, context: TemplateContext): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([a-zA-Z.]+)\s*\}\}$/.exec(value);
    const resolve = (name: string): string => {
      let v: string | undefined;
      try {
        v = placeholderValue(name, incident, context);
      } catch (error) {
        throw new ValidationError(`template.${field}: ${(error as Error).message}`, `template.${field}`);
      }
      if (v === undefined) return fail(`template.${field}: {{${name}}} is not known for this incident`, `template.${field}`);
      return v;
    };
    if (whole?.[1]) return resolve(whole[1]);
    return value.replace(PLACEHOLDER, (_, name: string) => resolve(name));
  }
  if (Array.isArray(value)) return value.map((v, i) => fill(v, `${field}.${i}`, incident, context));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, `${field}.${k}`, incident, context)]));
  }
  return value;
}

function factor(template: Record<string, unknown>, key: string, range: { min: number; max: number }): number | undefined {
  const value = template[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < range.min || value > range.max) {
    return fail(`template.${key} must be a number in [${range.min}, ${range.max}], got ${JSON.stringify(value)}`, `template.${key}`);
  }
  return value;
}

function checkRequirement(requires: unknown, incident: Incident): void {
  if (requires === undefined) return;
  const history = incident.evidence.rolloutHistory;
  if (requires === 'earlier-revision') {
    // Unknown history is left to the actor (it reads ReplicaSets itself); a known single revision is not.
    if (history.length === 1) fail('no earlier revision to roll back to (the rollout history has one revision)', 'template.requires');
    return;
  }
  if (requires === 'new-failing-revision') {
    if (!rolloutFacts(incident).badNewRevision) {
      fail('the failure did not come with a new revision (no newer failing revision over a good one is known)', 'template.requires');
    }
    return;
  }
  fail(`template.requires must be 'earlier-revision' or 'new-failing-revision', got ${JSON.stringify(requires)}`, 'template.requires');
}

// -- resources

const MI = 1n << 20n;
const MEMORY_FLOOR = parseQuantity('16Mi');
const CPU_FLOOR = parseQuantity('10m');

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

function patchResources(
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
        from = parseQuantity(text as string);
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

function relaxProbe(template: Record<string, unknown>, context: TemplateContext, container: string, probe: ProbeKind) {
  const current = { ...PROBE_DEFAULTS, ...currentProbe(context, container, probe) };
  const grow = (key: string, value: number, minStep: number, max: number): number | undefined => {
    const f = factor(template, key, { min: 1, max: 10 });
    if (f === undefined) return undefined;
    return Math.min(max, Math.max(Math.ceil(value * Math.min(f, 4)), value + minStep));
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

// -- safety

/** A template must not point the action at another workload than the incident's. */
/**
 * An action may only touch the incident's own namespace, workload, pods and
 * HPA (or the Deployment its HPA scales). Throws ValidationError naming the field.
 */
export function checkTargets(action: Record<string, unknown>, incident: Incident, context: TemplateContext): void {
  if (action.namespace !== undefined && action.namespace !== incident.namespace) {
    fail(`namespace '${String(action.namespace)}' is not the incident's namespace '${incident.namespace}'`, 'namespace');
  }
  if (action.deployment !== undefined) {
    const allowed = new Set<string>();
    if (incident.target.kind === 'Deployment') allowed.add(incident.target.name);
    const scaled = context.hpa?.spec?.scaleTargetRef;
    if (scaled?.kind === 'Deployment' && scaled.name) allowed.add(scaled.name);
    if (!allowed.has(String(action.deployment))) {
      fail(`deployment '${String(action.deployment)}' is not the incident's workload`, 'deployment');
    }
  }
  if (action.pod !== undefined) {
    const pods = new Set([...incident.pods, ...(context.pod ? [context.pod] : []), ...(incident.target.kind === 'Pod' ? [incident.target.name] : [])]);
    if (!pods.has(String(action.pod))) fail(`pod '${String(action.pod)}' is not one of the incident's pods`, 'pod');
  }
  if (action.hpa !== undefined && action.hpa !== hpaName(incident, context)) {
    fail(`hpa '${String(action.hpa)}' is not the incident's HorizontalPodAutoscaler`, 'hpa');
  }
}

/**
 * The concrete action for this incident: placeholders filled, relative
 * directives turned into bounded values from the workload's current state,
 * the result validated by ActionRequestSchema. Throws ValidationError naming
 * the field when the template does not apply (missing container, nothing left
 * to raise, no revision to return to, another workload, bad value).
 */
export function instantiate(strategy: Strategy, incident: Incident, context: TemplateContext = {}): ActionRequest {
  const template = strategy.template;
  checkRequirement(template.requires, incident);
  const action: Record<string, unknown> = { action: strategy.action };
  for (const [key, value] of Object.entries(template)) {
    if (DIRECTIVES.has(key) || key === 'action') continue;
    action[key] = fill(value, key, incident, context);
  }
  if (action.namespace === undefined) action.namespace = incident.namespace;

  switch (strategy.action) {
    case 'patch_resources': {
      const container = typeof action.container === 'string' ? action.container : fail('template.container is required', 'template.container');
      const hasDirective = Object.keys(template).some((k) => /^(memory|cpu)_(limit|request)_factor$/.test(k));
      if (hasDirective) Object.assign(action, patchResources(template, incident, context, container));
      break;
    }
    case 'patch_probe': {
      const container = typeof action.container === 'string' ? action.container : fail('template.container is required', 'template.container');
      const probe = action.probe;
      if (!PROBES.includes(probe as ProbeKind)) fail(`template.probe must be one of ${PROBES.join(', ')}, got ${JSON.stringify(probe)}`, 'template.probe');
      if (['initial_delay_factor', 'timeout_factor', 'period_factor', 'failure_threshold_factor'].some((k) => k in template)) {
        Object.assign(action, relaxProbe(template, context, container, probe as ProbeKind));
      }
      break;
    }
    case 'patch_hpa': {
      const f = factor(template, 'max_replicas_factor', { min: 1.01, max: 10 });
      if (f !== undefined) {
        const b = bounds(context);
        const current = context.hpaMax ?? context.hpa?.spec?.maxReplicas;
        if (current === undefined) fail('the HPA\'s current maxReplicas is unknown', 'template.max_replicas_factor');
        const from = current as number;
        const to = Math.min(b.hpaMaxReplicasCeiling, Math.max(from + 1, Math.ceil(from * Math.min(f, 2))));
        if (to <= from) fail(`maxReplicas ${from} is already at the ceiling ${b.hpaMaxReplicasCeiling}`, 'template.max_replicas_factor');
        action.max_replicas = to;
      }
      break;
    }
    case 'scale_deployment': {
      if (template.replicas_to_hpa_min === undefined) break;
      if (template.replicas_to_hpa_min !== true) fail('template.replicas_to_hpa_min must be true when present', 'template.replicas_to_hpa_min');
      const ref = context.hpa?.spec?.scaleTargetRef;
      const fromHpa = ref?.kind === 'Deployment' && ref.name === action.deployment ? context.hpa?.spec?.minReplicas : undefined;
      const min = fromHpa ?? hpaMinReplicasOf(incident);
      if (min === undefined) fail('the HPA\'s minReplicas is unknown (no HPA in the context, no note in the evidence)', 'template.replicas_to_hpa_min');
      const from = context.deployment?.spec?.replicas ?? 0;
      const to = Math.min(min as number, from + bounds(context).maxReplicaStep);
      if (to <= from) fail(`the Deployment already has ${from} replicas, at or above the HPA's minReplicas ${min}`, 'template.replicas_to_hpa_min');
      action.replicas = to;
      break;
    }
    default:
      break;
  }

  checkTargets(action, incident, context);
  const parsed = ActionRequestSchema.safeParse(action);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new ValidationError(`strategy ${strategy.id} (${strategy.action}) gives an invalid action: ${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  return parsed.data;
}
