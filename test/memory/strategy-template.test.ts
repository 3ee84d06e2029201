import { describe, expect, it } from 'vitest';
import { strategyFromProposal } from '../../functions/app/steps/select-strategy';
import { ValidationError } from '../../functions/domain/errors';
import type { Deployment } from '../../functions/domain/k8s';
import { evaluatePolicy } from '../../functions/domain/policy';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { seededStrategies } from '../../functions/domain/seeded-strategies';
import { checkTargets, instantiate, makeStrategy, strategyId, type TemplateContext } from '../../functions/domain/strategy-template';
import { incident } from './fixtures';

const deployment = (container: Record<string, unknown> = {}): Deployment => ({
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    replicas: 3,
    template: {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.example.com/acme/web:1.27',
            resources: { requests: { memory: '128Mi', cpu: '100m' }, limits: { memory: '256Mi', cpu: '500m' } },
            livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 5, timeoutSeconds: 1, failureThreshold: 3 },
            ...container,
          },
        ],
      },
    },
  },
});

const strat = (action: Parameters<typeof makeStrategy>[0]['action'], template: Record<string, unknown>) =>
  makeStrategy({ signature: 'X:y', action, template, description: 'test' });

describe('instantiate', () => {
  const inc = incident();
  const oom = incident({ kind: 'OOMKilled', signature: 'OOMKilled:limit', subReason: 'limit' });
  const hpaIncident = incident({ kind: 'HpaAtMax', signature: 'HpaAtMax:cpu', target: { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web-hpa' } });
  const hpa = (max: number): TemplateContext => ({ hpa: { metadata: { name: 'web-hpa' }, spec: { maxReplicas: max, scaleTargetRef: { kind: 'Deployment', name: 'web' } } } });

  it.each([
    {
      why: 'placeholders resolve to the incident\'s workload and namespace',
      strategy: strat('rollback_deployment', { namespace: '{{namespace}}', deployment: '{{target.name}}', requires: 'earlier-revision' }),
      incident: inc,
      context: {},
      expected: { action: 'rollback_deployment', namespace: 'shop', deployment: 'web' },
    },
    {
      why: 'OOMKilled: memory limit and request doubled from the live spec',
      strategy: strat('patch_resources', { deployment: '{{target.name}}', container: '{{container}}', memory_limit_factor: 2, memory_request_factor: 2 }),
      incident: oom,
      context: { deployment: deployment() },
      expected: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', limits: { memory: '512Mi' }, requests: { memory: '256Mi' } },
    },
    {
      why: 'a factor above the policy step is bounded to it (4x asked, 2x given)',
      strategy: strat('patch_resources', { deployment: '{{target.name}}', container: 'app', memory_limit_factor: 4 }),
      incident: oom,
      context: {},
      expected: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', limits: { memory: '512Mi' } },
    },
    {
      why: 'a raise is capped at the memory ceiling',
      strategy: strat('patch_resources', { deployment: '{{target.name}}', container: 'app', memory_limit_factor: 2 }),
      incident: oom,
      context: { currentResources: { limits: { memory: '6Gi' } } },
      expected: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', limits: { memory: '8Gi' } },
    },
    {
      why: 'lowering requests rounds up (never more than the factor) and CPU goes in millicores',
      strategy: strat('patch_resources', { deployment: '{{target.name}}', container: 'app', cpu_request_factor: 0.5, memory_request_factor: 0.5 }),
      incident: inc,
      context: { currentResources: { requests: { cpu: '0.333', memory: '1000M' } } },
      expected: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', requests: { memory: '477Mi', cpu: '167m' } },
    },
    {
      why: 'lowering stops at the floor',
      strategy: strat('patch_resources', { deployment: '{{target.name}}', container: 'app', cpu_request_factor: 0.5 }),
      incident: inc,
      context: { currentResources: { requests: { cpu: '15m' } } },
      expected: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', requests: { cpu: '10m' } },
    },
    {
      why: 'a raised request never exceeds its limit',
      strategy: strat('patch_resources', { deployment: '{{target.name}}', container: 'app', memory_request_factor: 2 }),
      incident: oom,
      context: { currentResources: { requests: { memory: '200Mi' }, limits: { memory: '256Mi' } } },
      expected: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', requests: { memory: '256Mi' } },
    },
    {
      why: 'liveness probe relaxed: at least +10 s delay, +1 timeout/threshold, from the live probe',
      strategy: strat('patch_probe', { deployment: '{{target.name}}', container: '{{container}}', probe: 'liveness', initial_delay_factor: 2, timeout_factor: 2, failure_threshold_factor: 2 }),
      incident: inc,
      context: { deployment: deployment() },
      expected: { action: 'patch_probe', namespace: 'shop', deployment: 'web', container: 'app', probe: 'liveness', initial_delay_seconds: 15, timeout_seconds: 2, failure_threshold: 6 },
    },
    {
      why: 'probe timings are bounded by the catalogue limits',
      strategy: strat('patch_probe', { deployment: '{{target.name}}', container: 'app', probe: 'liveness', initial_delay_factor: 10, failure_threshold_factor: 10 }),
      incident: inc,
      context: { currentProbe: { initialDelaySeconds: 3000, failureThreshold: 20 } },
      expected: { action: 'patch_probe', namespace: 'shop', deployment: 'web', container: 'app', probe: 'liveness', initial_delay_seconds: 3600, failure_threshold: 30 },
    },
    {
      why: 'HPA max raised by half',
      strategy: strat('patch_hpa', { hpa: '{{hpa}}', max_replicas_factor: 1.5 }),
      incident: hpaIncident,
      context: hpa(10),
      expected: { action: 'patch_hpa', namespace: 'shop', hpa: 'web-hpa', max_replicas: 15 },
    },
    {
      why: 'HPA max capped at the ceiling',
      strategy: strat('patch_hpa', { hpa: '{{hpa}}', max_replicas_factor: 1.5 }),
      incident: hpaIncident,
      context: hpa(80),
      expected: { action: 'patch_hpa', namespace: 'shop', hpa: 'web-hpa', max_replicas: 100 },
    },
    {
      why: 'escalation text interpolates the signature',
      strategy: strat('escalate', { reason: '{{signature}}: needs a human' }),
      incident: inc,
      context: {},
      expected: { action: 'escalate', namespace: 'shop', reason: 'ImagePullBackOff:tag-not-found: needs a human' },
    },
  ])('$why', ({ strategy, incident: i, context, expected }) => {
    expect(instantiate(strategy, i, context as TemplateContext)).toEqual(expected);
  });

  it.each([
    { why: 'unknown placeholder', template: { deployment: '{{secret}}' }, action: 'rollout_restart', field: 'template.deployment' },
    { why: 'another namespace than the incident\'s', template: { namespace: 'kube-system', deployment: '{{target.name}}' }, action: 'rollout_restart', field: 'namespace' },
    { why: 'a literal other workload', template: { deployment: 'payments' }, action: 'rollout_restart', field: 'deployment' },
    { why: 'a pod that is not the incident\'s', template: { pod: 'other-pod' }, action: 'restart_pod', field: 'pod' },
    { why: 'a non-numeric factor', template: { deployment: '{{target.name}}', container: 'app', memory_limit_factor: '2' }, action: 'patch_resources', field: 'template.memory_limit_factor' },
    { why: 'an unknown requirement', template: { deployment: '{{target.name}}', requires: 'luck' }, action: 'rollback_deployment', field: 'template.requires' },
    { why: 'a parameter outside the catalogue', template: { deployment: '{{target.name}}', command: 'rm -rf /' }, action: 'rollout_restart', field: '(root)' },
    { why: 'a probe kind that does not exist', template: { deployment: '{{target.name}}', container: 'app', probe: 'sideways' }, action: 'patch_probe', field: 'template.probe' },
    { why: 'tightening a probe', template: { deployment: '{{target.name}}', container: 'app', probe: 'liveness', timeout_factor: 0.5 }, action: 'patch_probe', field: 'template.timeout_factor' },
  ] as const)('refuses a bad template with ValidationError naming the field: $why', ({ template, action, field }) => {
    const error = (() => {
      try {
        instantiate(strat(action, template), inc, { deployment: deployment() });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it.each([
    { why: 'memory already at the ceiling', context: { currentResources: { limits: { memory: '8Gi' } } }, template: { memory_limit_factor: 2 } },
    { why: 'no limit to scale', context: { currentResources: { requests: { memory: '1Gi' } } }, template: { memory_limit_factor: 2 } },
    { why: 'request already at the floor', context: { currentResources: { requests: { cpu: '10m' } } }, template: { cpu_request_factor: 0.5 } },
  ] as { why: string; context: TemplateContext; template: Record<string, unknown> }[])('refuses a resource change that does not apply: $why', ({ context, template }) => {
    const s = strat('patch_resources', { deployment: '{{target.name}}', container: 'app', ...template });
    expect(() => instantiate(s, incident({ evidence: { containers: [] } }), context)).toThrow(ValidationError);
  });

  it('refuses to relax a probe the container does not have, or when the probe is unknown', () => {
    const s = strat('patch_probe', { deployment: '{{target.name}}', container: 'app', probe: 'readiness', timeout_factor: 2 });
    expect(() => instantiate(s, inc, { deployment: deployment() })).toThrow(/has no readiness probe/);
    expect(() => instantiate(s, inc, {})).toThrow(/unknown/);
  });

  it('refuses an HPA raise at the ceiling', () => {
    const s = strat('patch_hpa', { hpa: '{{hpa}}', max_replicas_factor: 1.5 });
    expect(() => instantiate(s, hpaIncident, hpa(100))).toThrow(/ceiling/);
  });

  it('honours rollback requirements from the rollout history', () => {
    const single = incident({ evidence: { rolloutHistory: [{ revision: 1, replicaSet: 'web-1', images: {} }] } });
    const rollbackAny = strat('rollback_deployment', { deployment: '{{target.name}}', requires: 'earlier-revision' });
    const rollbackNew = strat('rollback_deployment', { deployment: '{{target.name}}', requires: 'new-failing-revision' });
    // A single known revision: nothing to return to.
    expect(() => instantiate(rollbackAny, single)).toThrow(ValidationError);
    // Unknown history: the actor decides (it reads ReplicaSets itself).
    expect(instantiate(rollbackAny, incident({ evidence: { rolloutHistory: [] } })).action).toBe('rollback_deployment');
    // A new failing revision over a healthy one: the change introduced the failure.
    expect(instantiate(rollbackNew, inc).action).toBe('rollback_deployment');
    expect(() => instantiate(rollbackNew, incident({ evidence: { rolloutHistory: [] } }))).toThrow(/did not come with a new revision/);
  });
});

describe('strategy ids', () => {
  it('are stable, 24 hex chars, independent of key order, and change with signature or template', () => {
    const a = strategyId('A:b', 'rollout_restart', { deployment: '{{target.name}}', namespace: '{{namespace}}' });
    const b = strategyId('A:b', 'rollout_restart', { namespace: '{{namespace}}', deployment: '{{target.name}}' });
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(b).toBe(a);
    expect(strategyId('A:c', 'rollout_restart', { deployment: '{{target.name}}', namespace: '{{namespace}}' })).not.toBe(a);
    expect(strategyId('A:b', 'rollout_restart', { deployment: '{{target.name}}' })).not.toBe(a);
  });

  it('match the ids the select step gives reasoner proposals, so their statistics meet', () => {
    // Why: a proposal equal to a seeded strategy must count towards the same record.
    const inc = incident();
    const fromProposal = strategyFromProposal(inc, { action: 'rollout_restart', namespace: 'shop', deployment: 'web' }, 'x');
    expect(fromProposal.id).toBe(strategyId(inc.signature, 'rollout_restart', { namespace: '{{namespace}}', deployment: '{{target.name}}' }));
  });
});

describe('seeded strategies', () => {
  it.each([
    ['ImagePullBackOff:tag-not-found', 'ImagePullBackOff', ['rollback_deployment', 'escalate']],
    ['ImagePullBackOff:auth', 'ImagePullBackOff', ['escalate']],
    ['CrashLoopBackOff:exit-1', 'CrashLoopBackOff', ['rollback_deployment', 'rollout_restart']],
    ['OOMKilled:limit', 'OOMKilled', ['patch_resources', 'rollback_deployment']],
    ['ProbeFailure:liveness', 'ProbeFailure', ['patch_probe', 'rollback_deployment']],
    ['ProbeFailure:readiness', 'ProbeFailure', ['rollback_deployment', 'patch_probe']],
    // A probe that times out: a longer timeout first (the app answers, only slowly), the template's history second.
    ['ProbeFailure:readiness-timeout', 'ProbeFailure', ['patch_probe', 'rollback_deployment']],
    ['ProbeFailure:liveness-timeout', 'ProbeFailure', ['patch_probe', 'rollback_deployment']],
    // HTTP 4xx (wrong path) never passes whatever the timings: no patch_probe arm to waste a trial on.
    ['ProbeFailure:readiness-http-error', 'ProbeFailure', ['rollback_deployment', 'escalate']],
    ['ProbeFailure:liveness-http-error', 'ProbeFailure', ['rollback_deployment', 'escalate']],
    // Refused on a readiness probe past the grace: nothing listens on that port, timings cannot help either.
    ['ProbeFailure:readiness-refused', 'ProbeFailure', ['rollback_deployment', 'escalate']],
    // Refused or 5xx on liveness: usually a slow start killed too early, so relaxing stays first.
    ['ProbeFailure:liveness-refused', 'ProbeFailure', ['patch_probe', 'rollback_deployment']],
    ['ProbeFailure:liveness-server-error', 'ProbeFailure', ['patch_probe', 'rollback_deployment']],
    // 5xx on readiness: the app says it is not ready, most often since a new revision.
    ['ProbeFailure:readiness-server-error', 'ProbeFailure', ['rollback_deployment', 'patch_probe']],
    ['Unschedulable:insufficient-memory', 'Unschedulable', ['patch_resources', 'escalate']],
    ['Unschedulable:insufficient-cpu', 'Unschedulable', ['patch_resources', 'escalate']],
    // A placement that broke with a new revision is undone by rolling back (only when the revision is new and failing); else escalate.
    ['Unschedulable:node-selector', 'Unschedulable', ['rollback_deployment', 'escalate']],
    ['CreateContainerConfigError:missing-secret', 'CreateContainerConfigError', ['rollback_deployment', 'escalate']],
    // Two magnitudes (×1.5, ×2): memory learns which suffices for a workload's spikes.
    ['HpaAtMax:cpu', 'HpaAtMax', ['patch_hpa', 'patch_hpa', 'escalate']],
    ['FailedRollout:progress-deadline', 'FailedRollout', ['rollback_deployment']],
    // Scaled to zero under an HPA: the template is fine, the replica count is not; no rollback.
    ['FailedRollout:scaled-to-zero', 'FailedRollout', ['scale_deployment', 'escalate']],
    ['PodFailed:node-lost', 'PodFailed', ['restart_pod', 'rollout_restart']],
    ['Evicted:memory-pressure', 'Evicted', ['restart_pod', 'rollout_restart']],
  ] as const)('%s → %j', (signature, kind, actions) => {
    const seeded = seededStrategies(signature, kind);
    expect(seeded.map((s) => s.action)).toEqual(actions);
    for (const s of seeded) expect(s).toMatchObject({ signature, source: 'seeded', successes: 0, failures: 0, retired: false });
    expect(new Set(seeded.map((s) => s.id)).size).toBe(seeded.length);
    // Stable: the same call gives the same ids (memory keys its statistics by them).
    expect(seededStrategies(signature, kind).map((s) => s.id)).toEqual(seeded.map((s) => s.id));
  });

  // Why: a ×2 timeout (1 s → 2 s) left endpoints answering in 3–4 s failing, so the seed asks ×4; start-up timings
  // are not the problem. The policy refuses a probe timing changed by more than maxProbeFactor (default 3) in one
  // step, and the seed's 1 s → 4 s was refused outright (escalated, nothing written): the step now stays within it.
  it.each([
    { why: 'default policy: ×4 asked, ×3 allowed (1 s → 3 s)', from: 1, bounds: {}, timeout: 3 },
    { why: 'a stricter policy: ×2 allowed', from: 1, bounds: { maxProbeFactor: 2 }, timeout: 2 },
    { why: 'a looser policy: the seed\'s own ×4', from: 1, bounds: { maxProbeFactor: 5 }, timeout: 4 },
    { why: 'from 2 s: ×3 allowed is 6 s', from: 2, bounds: {}, timeout: 6 },
  ])('the timeout seed lengthens only the timeout, within the per-step bound: $why', ({ from, bounds, timeout }) => {
    const inc = incident({ kind: 'ProbeFailure', signature: 'ProbeFailure:readiness-timeout', subReason: 'readiness-timeout' });
    const patch = seededStrategies(inc.signature, inc.kind).find((s) => s.action === 'patch_probe')!;
    const probe = { httpGet: { path: '/ready', port: 8080 }, timeoutSeconds: from };
    const action = instantiate(patch, inc, { deployment: deployment({ readinessProbe: probe }), bounds });
    expect(action).toEqual({ action: 'patch_probe', namespace: 'shop', deployment: 'web', container: 'app', probe: 'readiness', timeout_seconds: timeout });
    // The write path's own rule agrees: the step it was given is one it allows.
    const decision = evaluatePolicy({
      config: PolicyConfigSchema.parse({ mode: 'enforce', limits: bounds }),
      action,
      clusterName: 'prod-eks',
      namespace: { name: 'shop' },
      workload: { kind: 'Deployment', name: 'web', current: { replicas: 2, containers: { app: { readinessProbe: probe } } } },
      recentActions: [],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(decision).toMatchObject({ allowed: true });
  });

  const zero = incident({ kind: 'FailedRollout', signature: 'FailedRollout:scaled-to-zero', subReason: 'scaled-to-zero', facts: [{ kind: 'ScaledToZero' as const, hpa: 'web', minReplicas: 3, maxReplicas: 6, scalingDisabled: true }] });
  const scaleSeed = () => seededStrategies(zero.signature, zero.kind).find((s) => s.action === 'scale_deployment')!;
  const at = (replicas: number): Deployment => ({ ...deployment(), spec: { ...deployment().spec, replicas } });
  it.each([
    { why: 'from zero to the minimum in the incident\'s facts', context: { deployment: at(0) }, replicas: 3 },
    { why: 'the HPA read now wins over the fact (its minimum may have changed)', context: { deployment: at(0), hpa: { metadata: { name: 'web' }, spec: { minReplicas: 2, maxReplicas: 6, scaleTargetRef: { kind: 'Deployment', name: 'web' } } } }, replicas: 2 },
    { why: 'never more than the policy\'s maxReplicaStep in one step', context: { deployment: at(0), bounds: { maxReplicaStep: 2 } }, replicas: 2 },
  ] as { why: string; context: TemplateContext; replicas: number }[])('scale to the HPA minimum: $why', ({ context, replicas }) => {
    expect(instantiate(scaleSeed(), zero, context)).toEqual({ action: 'scale_deployment', namespace: 'shop', deployment: 'web', replicas });
  });

  it('scale to the HPA minimum refuses when there is nothing to raise or no minimum is known', () => {
    // Why: a template that does not apply must say so, not scale down or guess a number.
    expect(() => instantiate(scaleSeed(), zero, { deployment: at(3) })).toThrow(/at or above/);
    const noNote = incident({ kind: 'FailedRollout', signature: 'FailedRollout:scaled-to-zero', subReason: 'scaled-to-zero' });
    expect(() => instantiate(scaleSeed(), noNote, { deployment: at(0) })).toThrow(/minReplicas is unknown/);
  });

  it('the two HPA seeds are two magnitudes: 4 → 6 and 4 → 8', () => {
    // Why: a single ×1.5 arm cannot learn that a spike needs more; the ×2 arm is the larger option.
    const inc = incident({ kind: 'HpaAtMax', signature: 'HpaAtMax:cpu', target: { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web' } });
    const context: TemplateContext = { hpa: { metadata: { name: 'web' }, spec: { maxReplicas: 4, scaleTargetRef: { kind: 'Deployment', name: 'web' } } } };
    const raises = seededStrategies(inc.signature, inc.kind).filter((s) => s.action === 'patch_hpa').map((s) => instantiate(s, inc, context));
    expect(raises.map((a) => (a.action === 'patch_hpa' ? a.max_replicas : undefined))).toEqual([6, 8]);
  });

  it('every seeded strategy instantiates to a valid action for a typical incident of its kind', () => {
    const cases = [
      { i: incident(), context: { deployment: deployment() } },
      { i: incident({ kind: 'CrashLoopBackOff', signature: 'CrashLoopBackOff:exit-1', subReason: 'exit-1' }), context: {} },
      { i: incident({ kind: 'OOMKilled', signature: 'OOMKilled:limit' }), context: { deployment: deployment() } },
      { i: incident({ kind: 'ProbeFailure', signature: 'ProbeFailure:liveness', subReason: 'liveness' }), context: { deployment: deployment() } },
      { i: incident({ kind: 'ProbeFailure', signature: 'ProbeFailure:readiness', subReason: 'readiness' }), context: { deployment: deployment({ readinessProbe: { timeoutSeconds: 1 } }) } },
      { i: incident({ kind: 'ProbeFailure', signature: 'ProbeFailure:readiness-timeout', subReason: 'readiness-timeout' }), context: { deployment: deployment({ readinessProbe: { timeoutSeconds: 1 } }) } },
      { i: incident({ kind: 'ProbeFailure', signature: 'ProbeFailure:liveness-server-error', subReason: 'liveness-server-error' }), context: { deployment: deployment() } },
      { i: incident({ kind: 'Unschedulable', signature: 'Unschedulable:insufficient-memory' }), context: { deployment: deployment() } },
      { i: incident({ kind: 'CreateContainerConfigError', signature: 'CreateContainerConfigError:missing-secret' }), context: {} },
      { i: incident({ kind: 'HpaAtMax', signature: 'HpaAtMax:cpu' }), context: { hpa: { metadata: { name: 'web' }, spec: { maxReplicas: 4, scaleTargetRef: { kind: 'Deployment', name: 'web' } } } } },
      { i: incident({ kind: 'FailedRollout', signature: 'FailedRollout:progress-deadline' }), context: {} },
      { i: incident({ kind: 'FailedRollout', signature: 'FailedRollout:scaled-to-zero', subReason: 'scaled-to-zero', facts: [{ kind: 'ScaledToZero' as const, hpa: 'web', minReplicas: 3, maxReplicas: 6, scalingDisabled: true }] }), context: { deployment: { ...deployment(), spec: { ...deployment().spec, replicas: 0 } } } },
      { i: incident({ kind: 'Evicted', signature: 'Evicted:memory-pressure' }), context: {} },
    ];
    for (const { i, context } of cases) {
      for (const s of seededStrategies(i.signature, i.kind)) {
        expect(() => instantiate(s, i, context), `${i.signature} ${s.action}`).not.toThrow();
      }
    }
  });
});

describe('checkTargets (also applied to reasoner proposals)', () => {
  // A proposal is executed as the reasoner wrote it, so the same scope rule a template obeys must hold for it.
  const cases: { why: string; action: Record<string, unknown>; context?: TemplateContext; field?: string }[] = [
    { why: "the incident's own Deployment", action: { action: 'rollout_restart', namespace: 'shop', deployment: 'web' } },
    { why: 'another namespace', action: { action: 'rollout_restart', namespace: 'kube-system', deployment: 'web' }, field: 'namespace' },
    { why: 'another Deployment in the same namespace', action: { action: 'scale_deployment', namespace: 'shop', deployment: 'billing', replicas: 2 }, field: 'deployment' },
    { why: 'a pod that is not one of the incident', action: { action: 'restart_pod', namespace: 'shop', pod: 'someone-else' }, field: 'pod' },
  ];
  it.each(cases)('$why', ({ action, context, field }) => {
    const run = () => checkTargets(action, incident(), context ?? {});
    if (field === undefined) {
      expect(run).not.toThrow();
    } else {
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
  });
});
