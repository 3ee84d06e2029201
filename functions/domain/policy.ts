import type { ActionRequest } from './actions';
import type { Probe, ResourceRequirements } from './k8s';
import { ALWAYS_PROTECTED_NAMESPACES, maxProbeStep, type Mode, type PolicyConfig } from './policy-config';
import { gitOpsManager } from './gitops';
import { compareQuantities, isQuantity, withinFactor } from './quantity';

/**
 * The safety policy (README, "Safety: what it will and will not do"), pure: every write the system or the action
 * API makes is checked here first, with facts the caller read from the
 * cluster and the lock store. A refusal names its rule and the offending value.
 */

export const IGNORE_ANNOTATION = 'eks-reflexion.io/ignore';

export interface ContainerFacts {
  image?: string;
  resources?: ResourceRequirements;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

/** Labels and annotations of an object whose markers count. */
export interface Marked {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface WorkloadFacts extends Marked {
  /** The top controller (a Pod's Deployment, StatefulSet, DaemonSet, CronJob...; an HPA's scale target), or the object itself. */
  kind: string;
  name: string;
  /**
   * Other objects whose opt-out, GitOps markers and opt-in label count beside
   * the workload's: the controllers between a pod and its top controller, an
   * HPA patched on behalf of its scale target.
   */
  related?: (Marked & { what: string })[];
  current?: {
    /** spec.replicas (a Deployment without it runs 1). */
    replicas?: number;
    /** Pod template containers by name. */
    containers?: Record<string, ContainerFacts>;
    hpaMaxReplicas?: number;
    /** Images seen in the workload's own revision history, by container name. */
    historyImages?: Record<string, string[]>;
    /** For restart_pod: the pod's controller owner (undefined = none). */
    podController?: { kind: string; name: string };
    /** For restart_pod: the pod's own annotations (opt-out applies to it too). */
    podAnnotations?: Record<string, string>;
    /** For restart_pod: a controller in the pod's chain of a kind we do not read (an Argo Rollout, a custom controller). */
    unreadController?: { kind: string; name: string };
  };
}

export interface PolicyInput {
  config: PolicyConfig;
  action: ActionRequest;
  clusterName: string;
  namespace: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  workload?: WorkloadFacts;
  /** Actions recorded on this workload in the last hour (any order). */
  recentActions: { at: string; actionId?: string }[];
  /** This action's idempotency key `<executionId>#<trial>[...]`: actions of the same remediation skip the cooldown. */
  actionId?: string;
  trial?: number;
  now: Date;
  /** A stricter mode for this call (e.g. the API's dry_run); never loosens the configured one. */
  mode?: Mode;
  approved?: boolean;
  /** Restoring a recorded pre-image: scope rules apply, rate, trial, approval and step rules do not. */
  undo?: boolean;
}

export type PolicyDecision =
  | { allowed: true; dryRunOnly: boolean }
  | { allowed: false; rule: PolicyRule; message: string };

export type PolicyRule =
  | 'observe-mode'
  | 'protected-namespace'
  | 'opt-in-namespace'
  | 'opt-in-label'
  | 'opt-out'
  | 'gitops-managed'
  | 'max-trials'
  | 'cooldown'
  | 'hourly-cap'
  | 'approval-required'
  | 'replicas-bounds'
  | 'replica-step'
  | 'resource-ceiling'
  | 'resource-step'
  | 'resource-floor'
  | 'probe-floor'
  | 'probe-step'
  | 'unknown-container'
  | 'image-not-in-history'
  | 'hpa-ceiling'
  | 'pod-without-controller'
  | 'unknown-controller';

const MODE_STRICTNESS: Record<Mode, number> = { enforce: 0, 'dry-run': 1, observe: 2 };

/** The stricter of the configured and the requested mode. */
export function effectiveMode(configured: Mode, requested?: Mode): Mode {
  if (requested === undefined) return configured;
  return MODE_STRICTNESS[requested] > MODE_STRICTNESS[configured] ? requested : configured;
}

/** Key of the workload in the lock store (locks, cooldown, hourly cap). */
export function workloadKey(clusterName: string, namespace: string, kind: string, name: string): string {
  return `${clusterName}/${namespace}/${kind}/${name}`;
}

/** The remediation an action id belongs to: everything before the first `#`. */
const remediationOf = (actionId: string): string => actionId.split('#')[0] ?? actionId;

class Refusal {
  constructor(
    readonly rule: PolicyRule,
    readonly message: string,
  ) {}
}
const refuse = (rule: PolicyRule, message: string): Refusal => new Refusal(rule, `${rule}: ${message}`);

export function evaluatePolicy(input: PolicyInput): PolicyDecision {
  const { action } = input;
  // Escalation writes nothing to the cluster: it is the safe answer to every refusal.
  if (action.action === 'escalate') return { allowed: true, dryRunOnly: false };
  const refusal =
    scopeRule(input) ??
    (input.undo ? undefined : rateRule(input)) ??
    (input.undo ? undefined : blastRadiusRule(input, action)) ??
    (input.undo ? undefined : approvalRule(input));
  if (refusal) return { allowed: false, rule: refusal.rule, message: refusal.message };
  const mode = effectiveMode(input.config.mode, input.mode);
  if (mode === 'observe') {
    return {
      allowed: false,
      rule: 'observe-mode',
      message: `observe-mode: mode is observe, ${action.action} would be allowed but nothing is written`,
    };
  }
  return { allowed: true, dryRunOnly: mode === 'dry-run' };
}

/**
 * The part of the policy that needs only the namespace's name: checked before
 * anything is read, so a protected namespace is not even looked into.
 */
export function namespaceRefusal(config: PolicyConfig, ns: string): { rule: PolicyRule; message: string } | undefined {
  if ((ALWAYS_PROTECTED_NAMESPACES as readonly string[]).includes(ns) || config.protectedNamespaces.includes(ns)) {
    return refuse('protected-namespace', `namespace '${ns}' is protected and never touched`);
  }
  if (config.optInNamespaces.length > 0 && !config.optInNamespaces.includes(ns)) {
    return refuse('opt-in-namespace', `namespace '${ns}' is not among the opted-in namespaces (${config.optInNamespaces.join(', ')})`);
  }
  return undefined;
}

function scopeRule({ config, namespace, workload, action }: PolicyInput): Refusal | undefined {
  const ns = namespace.name;
  const byName = namespaceRefusal(config, ns);
  if (byName) return byName;
  if (config.optInLabel !== undefined) {
    const [key = '', value = ''] = config.optInLabel.split('=');
    const carries = (labels?: Record<string, string>) => labels?.[key] === value;
    if (!carries(namespace.labels) && !carries(workload?.labels) && !(workload?.related ?? []).some((r) => carries(r.labels))) {
      return refuse(
        'opt-in-label',
        `neither namespace '${ns}' nor ${workload ? `${workload.kind} '${workload.name}'` : 'the workload'} carries the opt-in label ${config.optInLabel}`,
      );
    }
  }
  const optedOut: [string, Record<string, string> | undefined][] = [
    [`namespace '${ns}'`, namespace.annotations],
    [workload ? `${workload.kind} '${workload.name}'` : 'workload', workload?.annotations],
    ...(workload?.related ?? []).map((r): [string, Record<string, string> | undefined] => [r.what, r.annotations]),
    ['the pod', workload?.current?.podAnnotations],
  ];
  for (const [what, annotations] of optedOut) {
    if (annotations?.[IGNORE_ANNOTATION] === 'true') {
      return refuse('opt-out', `${what} carries ${IGNORE_ANNOTATION}: "true"`);
    }
  }
  // Deleting one pod leaves the declared state untouched, so the GitOps controller has nothing to revert.
  if (workload && action.action !== 'restart_pod') {
    for (const [what, marked] of [[`${workload.kind} '${workload.name}'`, workload] as const, ...(workload.related ?? []).map((r) => [r.what, r] as const)]) {
      const manager = gitOpsManager(marked);
      if (manager) {
        return refuse('gitops-managed', `${what} is managed by ${manager.tool === 'argocd' ? 'Argo CD' : 'Flux'} (${manager.marker}); change it in Git instead`);
      }
    }
  }
  return undefined;
}

function rateRule({ config, recentActions, actionId, trial, now }: PolicyInput): Refusal | undefined {
  if (trial !== undefined && trial > config.maxTrials) {
    return refuse('max-trials', `trial ${trial} exceeds maxTrials ${config.maxTrials}`);
  }
  const nowMs = now.getTime();
  const times = recentActions.map((a) => ({ ...a, ms: Date.parse(a.at) })).filter((a) => Number.isFinite(a.ms));
  const lastHour = times.filter((a) => a.ms > nowMs - 3_600_000 && a.ms <= nowMs);
  // An action that is a retry of this very action id is not a new action.
  const others = lastHour.filter((a) => actionId === undefined || a.actionId !== actionId);
  if (others.length >= config.maxActionsPerHour) {
    return refuse('hourly-cap', `${others.length} actions on this workload in the last hour (cap ${config.maxActionsPerHour})`);
  }
  // Trials and undos of the same remediation follow each other by design; the cooldown separates remediations.
  const foreign = others.filter((a) => actionId === undefined || a.actionId === undefined || remediationOf(a.actionId) !== remediationOf(actionId));
  const last = Math.max(...foreign.map((a) => a.ms));
  if (Number.isFinite(last) && nowMs - last < config.cooldownSeconds * 1000) {
    const ago = Math.round((nowMs - last) / 1000);
    return refuse('cooldown', `last action on this workload was ${ago}s ago (cooldown ${config.cooldownSeconds}s)`);
  }
  return undefined;
}

function approvalRule({ config, action, approved }: PolicyInput): Refusal | undefined {
  if (approved === true) return undefined;
  if (config.approvalRequiredFor.includes(action.action)) {
    return refuse('approval-required', `${action.action} requires an operator's approval`);
  }
  // Zero replicas is an outage by design: never on the system's own authority.
  if (action.action === 'scale_deployment' && action.replicas === 0) {
    return refuse('approval-required', `replicas: 0 stops deployment '${action.deployment}'; scaling to zero requires an operator's approval`);
  }
  return undefined;
}

function containerOf(workload: WorkloadFacts | undefined, name: string): ContainerFacts | Refusal {
  const containers = workload?.current?.containers;
  const found = containers?.[name];
  if (!found) {
    const known = Object.keys(containers ?? {});
    return refuse('unknown-container', `container '${name}' is not in ${workload?.kind ?? 'the workload'} '${workload?.name ?? '?'}' (has: ${known.join(', ') || 'none'})`);
  }
  return found;
}

function blastRadiusRule(input: PolicyInput, action: ActionRequest): Refusal | undefined {
  const { limits } = input.config;
  const current = input.workload?.current;
  switch (action.action) {
    case 'scale_deployment': {
      if (action.replicas < 0 || action.replicas > limits.maxReplicas) {
        return refuse('replicas-bounds', `replicas: ${action.replicas} is outside [0, ${limits.maxReplicas}]`);
      }
      const from = current?.replicas ?? 1;
      const step = Math.abs(action.replicas - from);
      if (step > limits.maxReplicaStep) {
        return refuse('replica-step', `replicas: ${from} -> ${action.replicas} changes by ${step}, more than maxReplicaStep ${limits.maxReplicaStep}`);
      }
      return undefined;
    }
    case 'patch_resources': {
      const container = containerOf(input.workload, action.container);
      if (container instanceof Refusal) return container;
      for (const section of ['requests', 'limits'] as const) {
        const wanted = action[section];
        if (!wanted) continue;
        for (const resource of ['cpu', 'memory'] as const) {
          const to = wanted[resource];
          if (to === undefined) continue;
          const field = `${section}.${resource}`;
          const ceiling = resource === 'cpu' ? limits.maxCpu : limits.maxMemory;
          if (compareQuantities(to, ceiling) > 0) {
            return refuse('resource-ceiling', `${field}: ${to} is above the ceiling ${ceiling}`);
          }
          const from = container.resources?.[section]?.[resource];
          const known = from !== undefined && isQuantity(from);
          const floor = resource === 'cpu' ? limits.minCpu : limits.minMemory;
          // Raising a value that is already below the floor is a repair; setting or lowering one below it is not.
          if (compareQuantities(to, floor) < 0 && (!known || compareQuantities(to, from) < 0)) {
            return refuse('resource-floor', `${field}: ${to} is below the floor ${floor}`);
          }
          if (known) {
            if (!withinFactor(from, to, limits.maxResourceFactor)) {
              return refuse('resource-step', `${field}: ${from} -> ${to} changes by more than ${limits.maxResourceFactor}x in one step`);
            }
            continue;
          }
          // Set for the first time: bounded by the same resource's other value (this request's limit, this limit's request).
          const other = section === 'requests' ? 'limits' : 'requests';
          const anchor = action[other]?.[resource] ?? container.resources?.[other]?.[resource];
          if (anchor !== undefined && isQuantity(anchor) && !withinFactor(anchor, to, limits.maxFirstTimeResourceFactor)) {
            return refuse(
              'resource-step',
              `${field}: ${to} is set for the first time more than ${limits.maxFirstTimeResourceFactor}x away from ${other}.${resource} ${anchor}`,
            );
          }
        }
      }
      return undefined;
    }
    case 'patch_image': {
      const container = containerOf(input.workload, action.container);
      if (container instanceof Refusal) return container;
      if (container.image === action.image) return undefined;
      const seen = current?.historyImages?.[action.container] ?? [];
      if (!seen.includes(action.image)) {
        return refuse(
          'image-not-in-history',
          `image: '${action.image}' was never used by container '${action.container}' in this workload's revision history (seen: ${seen.join(', ') || 'none'})`,
        );
      }
      return undefined;
    }
    case 'patch_probe': {
      const container = containerOf(input.workload, action.container);
      if (container instanceof Refusal) return container;
      return probeRule(input.config, container[PROBE_FIELD[action.probe]], action);
    }
    case 'patch_hpa':
      if (action.max_replicas > limits.hpaMaxReplicasCeiling) {
        return refuse('hpa-ceiling', `max_replicas: ${action.max_replicas} is above hpaMaxReplicasCeiling ${limits.hpaMaxReplicasCeiling}`);
      }
      return undefined;
    case 'restart_pod':
      if (!current?.podController) {
        return refuse('pod-without-controller', `pod '${action.pod}' has no controller owner; deleting it would not bring it back`);
      }
      if (current.unreadController) {
        const { kind, name } = current.unreadController;
        return refuse(
          'unknown-controller',
          `pod '${action.pod}' is controlled by ${kind} '${name}', a kind eks-reflexion does not read: its opt-out and GitOps markers cannot be checked, so the pod is not deleted`,
        );
      }
      return undefined;
    case 'rollout_restart':
    case 'rollback_deployment':
    case 'escalate':
      return undefined;
  }
}

const PROBE_FIELD = { liveness: 'livenessProbe', readiness: 'readinessProbe', startup: 'startupProbe' } as const;

/** Kubernetes' defaults for a timing the probe does not set. */
const PROBE_DEFAULTS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 } as const;

function probeRule(config: PolicyConfig, current: Probe | undefined, action: Extract<ActionRequest, { action: 'patch_probe' }>): Refusal | undefined {
  const { limits } = config;
  const timings = [
    ['initial_delay_seconds', 'initialDelaySeconds', 0],
    ['period_seconds', 'periodSeconds', limits.minProbePeriodSeconds],
    ['timeout_seconds', 'timeoutSeconds', limits.minProbeTimeoutSeconds],
    ['failure_threshold', 'failureThreshold', limits.minProbeFailureThreshold],
  ] as const;
  for (const [param, key, floor] of timings) {
    const to = action[param];
    if (to === undefined) continue;
    const from = typeof current?.[key] === 'number' ? (current[key] as number) : PROBE_DEFAULTS[key];
    if (to < floor && to < from) return refuse('probe-floor', `${param}: ${to} is below the floor ${floor}`);
    const factor = limits.maxProbeFactor;
    const upper = maxProbeStep(from, factor);
    if (to > upper || to * factor < from) {
      return refuse('probe-step', `${param}: ${from} -> ${to} changes by more than ${factor}x in one step`);
    }
  }
  return undefined;
}
