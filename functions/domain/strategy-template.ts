import { createHash } from 'node:crypto';
import { ActionRequestSchema, type ActionName, type ActionRequest } from './actions';
import { rolloutFacts } from './playbooks/common';
import { hpaMinReplicasOf } from './detectors/scaled-to-zero';
import { ValidationError } from './errors';
import type { Incident } from './incident';
import { StrategySchema, type Strategy } from './model';
import { bounds, factor, fail, patchResources, PROBES, relaxProbe, type ProbeKind, type TemplateContext } from './strategy-directives';

export type { TemplateBounds, TemplateContext } from './strategy-directives';

/**
 * Strategy templates: an action with parameters that refer to the incident
 * (`{{target.name}}`, `{{namespace}}`, `{{container}}`, `{{pod}}`, `{{hpa}}`,
 * `{{probe}}`, `{{signature}}`, `{{kind}}`) or to the workload's current
 * values (relative directives, computed in strategy-directives.ts), so that one strategy — and the
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
  // A combination record's earlier strategies (domain/selection-context): bookkeeping, not a parameter.
  'after',
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

// -- safety

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
      if (min === undefined) fail('the HPA\'s minReplicas is unknown (no HPA in the context, no fact in the incident)', 'template.replicas_to_hpa_min');
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
