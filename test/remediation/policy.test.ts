import { describe, expect, it } from 'vitest';
import type { ActionRequest } from '../../functions/domain/actions';
import { effectiveMode, evaluatePolicy, type PolicyInput } from '../../functions/domain/policy';
import { PolicyConfigSchema, type PolicyConfigInput } from '../../functions/domain/policy-config';

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();

const scale = (replicas: number): ActionRequest => ({ action: 'scale_deployment', namespace: 'shop', deployment: 'web', replicas });

function input(overrides: Partial<PolicyInput> & { policy?: PolicyConfigInput } = {}): PolicyInput {
  const { policy, ...rest } = overrides;
  return {
    config: PolicyConfigSchema.parse({ mode: 'enforce', ...policy }),
    action: scale(4),
    clusterName: 'prod',
    namespace: { name: 'shop' },
    workload: {
      kind: 'Deployment',
      name: 'web',
      current: {
        replicas: 3,
        containers: {
          app: {
            image: 'registry/web:1.2',
            resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
            readinessProbe: { httpGet: { path: '/' }, periodSeconds: 10 },
          },
        },
        historyImages: { app: ['registry/web:1.1', 'registry/web:1.2'] },
        hpaMaxReplicas: 10,
      },
    },
    recentActions: [],
    now: NOW,
    ...rest,
  };
}

type Case = [why: string, overrides: Partial<PolicyInput> & { policy?: PolicyConfigInput }, rule: string | undefined, mentions?: string];

const cases: Case[] = [
  ['a bounded scale on an ordinary workload is allowed', {}, undefined],
  ['kube-system is always protected, whatever is configured', { namespace: { name: 'kube-system' } }, 'protected-namespace', 'kube-system'],
  ['kube-node-lease is always protected', { namespace: { name: 'kube-node-lease' } }, 'protected-namespace', 'kube-node-lease'],
  ['configured protected namespaces are refused', { policy: { protectedNamespaces: ['shop'] } }, 'protected-namespace', "'shop'"],
  ['opt-in namespaces exclude the rest', { policy: { optInNamespaces: ['payments'] } }, 'opt-in-namespace', "'shop'"],
  ['opted-in namespace passes', { policy: { optInNamespaces: ['shop'] } }, undefined],
  ['opt-in label missing on namespace and workload', { policy: { optInLabel: 'heal=yes' } }, 'opt-in-label', 'heal=yes'],
  ['opt-in label on the namespace suffices', { policy: { optInLabel: 'heal=yes' }, namespace: { name: 'shop', labels: { heal: 'yes' } } }, undefined],
  [
    'opt-out annotation on the namespace',
    { namespace: { name: 'shop', annotations: { 'eks-reflexion.io/ignore': 'true' } } },
    'opt-out',
    "namespace 'shop'",
  ],
  [
    'opt-out annotation on the workload',
    { workload: { kind: 'Deployment', name: 'web', annotations: { 'eks-reflexion.io/ignore': 'true' }, current: { replicas: 3 } } },
    'opt-out',
    "Deployment 'web'",
  ],
  [
    'an ignore annotation that is not "true" does not opt out',
    { workload: { kind: 'Deployment', name: 'web', annotations: { 'eks-reflexion.io/ignore': 'false' }, current: { replicas: 3 } } },
    undefined,
  ],
  [
    'Argo CD managed workloads are not patched live',
    { workload: { kind: 'Deployment', name: 'web', annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:shop/web' }, current: { replicas: 3 } } },
    'gitops-managed',
    'Argo CD',
  ],
  [
    'Flux managed workloads are not patched live',
    { workload: { kind: 'Deployment', name: 'web', labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps' }, current: { replicas: 3 } } },
    'gitops-managed',
    'kustomize.toolkit.fluxcd.io/name=apps',
  ],
  [
    'deleting one pod of a GitOps workload leaves Git state alone, so it is allowed',
    {
      action: { action: 'restart_pod', namespace: 'shop', pod: 'web-1' },
      workload: { kind: 'Deployment', name: 'web', labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps' }, current: { podController: { kind: 'ReplicaSet', name: 'web-abc' } } },
    },
    undefined,
  ],
  ['trial beyond maxTrials', { trial: 4 }, 'max-trials', 'trial 4'],
  ['last trial is still allowed', { trial: 3 }, undefined],
  ['another remediation acted 60 s ago: cooldown', { recentActions: [{ at: ago(60), actionId: 'exec-a#1' }], actionId: 'exec-b#1' }, 'cooldown', '60s ago'],
  ['the cooldown is over after 300 s', { recentActions: [{ at: ago(301), actionId: 'exec-a#1' }], actionId: 'exec-b#1' }, undefined],
  ['the next trial of the same remediation is not held back by the cooldown', { recentActions: [{ at: ago(30), actionId: 'exec-a#1' }], actionId: 'exec-a#2' }, undefined],
  [
    'hourly cap counts every action, including the same remediation',
    { recentActions: [1, 2, 3, 4, 5, 6].map((i) => ({ at: ago(3000 - i), actionId: `exec-a#${i}` })), actionId: 'exec-a#7' },
    'hourly-cap',
    'cap 6',
  ],
  [
    'a retry of an already-recorded action id is not a new action',
    { recentActions: [1, 2, 3, 4, 5, 6].map((i) => ({ at: ago(3000 - i), actionId: `exec-a#${i}` })), actionId: 'exec-a#6' },
    undefined,
  ],
  ['actions older than an hour do not count', { recentActions: [1, 2, 3, 4, 5, 6].map(() => ({ at: ago(3700) })) }, undefined],
  ['replicas above maxReplicas', { action: scale(51), workload: { kind: 'Deployment', name: 'web', current: { replicas: 50 } } }, 'replicas-bounds', 'replicas: 51'],
  ['more than maxReplicaStep at once', { action: scale(9) }, 'replica-step', '3 -> 9'],
  // #10 item 4: zero replicas is an outage; until the approval gate exists it is refused under that rule's name.
  ['scale to zero needs an approval', { action: scale(0), workload: { kind: 'Deployment', name: 'web', current: { replicas: 2 } } }, 'approval-required', 'replicas: 0'],
  ['scale to zero with an approval is allowed', { action: scale(0), workload: { kind: 'Deployment', name: 'web', current: { replicas: 2 } }, approved: true }, undefined],
  [
    'memory above the ceiling',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', limits: { memory: '9Gi' } } },
    'resource-ceiling',
    'limits.memory: 9Gi',
  ],
  [
    'memory more than doubled in one step',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', limits: { memory: '1025Mi' } } },
    'resource-step',
    '512Mi -> 1025Mi',
  ],
  [
    'memory exactly doubled in one step (1Gi = 2 x 512Mi)',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', limits: { memory: '1Gi' } } },
    undefined,
  ],
  [
    'cpu cut by more than half',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', requests: { cpu: '100m' } } },
    'resource-step',
    'requests.cpu',
  ],
  // #10 item 4: a first-time value has no step of its own, so it is bounded by a floor and by the same resource's other value.
  [
    'a limit set for the first time within 4x of its request is allowed',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', limits: { cpu: '1' } } },
    undefined,
  ],
  [
    'a limit set for the first time far above its request',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', limits: { cpu: '2' } } },
    'resource-step',
    'requests.cpu 250m',
  ],
  [
    'a 1Mi memory limit on a container with no resources at all',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'bare', limits: { memory: '1Mi' } }, workload: { kind: 'Deployment', name: 'web', current: { containers: { bare: {} } } } },
    'resource-floor',
    'limits.memory: 1Mi',
  ],
  [
    'a 1m cpu request set for the first time',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'bare', requests: { cpu: '1m' } }, workload: { kind: 'Deployment', name: 'web', current: { containers: { bare: {} } } } },
    'resource-floor',
    'requests.cpu: 1m',
  ],
  [
    'a first-time request and limit given together bound each other',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'bare', requests: { memory: '64Mi' }, limits: { memory: '1Gi' } }, workload: { kind: 'Deployment', name: 'web', current: { containers: { bare: {} } } } },
    'resource-step',
    'limits.memory',
  ],
  [
    'a first-time memory limit on a bare container above the floor is allowed',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'bare', limits: { memory: '256Mi' } }, workload: { kind: 'Deployment', name: 'web', current: { containers: { bare: {} } } } },
    undefined,
  ],
  [
    'raising a value that is below the floor is a repair, allowed',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'app', limits: { memory: '16Mi' } }, workload: { kind: 'Deployment', name: 'web', current: { containers: { app: { resources: { limits: { memory: '10Mi' } } } } } } },
    undefined,
  ],
  // #10 item 4: probe timings had no rule at all (1/1/1 passed).
  [
    'probe timings of 1/1/1',
    { action: { action: 'patch_probe', namespace: 'shop', deployment: 'web', container: 'app', probe: 'readiness', period_seconds: 1, timeout_seconds: 1, failure_threshold: 1 } },
    'probe-floor',
    'period_seconds: 1',
  ],
  [
    'a failure threshold of 1 kills on one slow answer',
    { action: { action: 'patch_probe', namespace: 'shop', deployment: 'web', container: 'app', probe: 'readiness', failure_threshold: 1 } },
    'probe-floor',
    'failure_threshold: 1',
  ],
  [
    'a probe period stretched more than 3x in one step',
    { action: { action: 'patch_probe', namespace: 'shop', deployment: 'web', container: 'app', probe: 'readiness', period_seconds: 40 } },
    'probe-step',
    'period_seconds: 10 -> 40',
  ],
  [
    'a probe timeout raised within 3x of the default is allowed',
    { action: { action: 'patch_probe', namespace: 'shop', deployment: 'web', container: 'app', probe: 'readiness', timeout_seconds: 3, period_seconds: 20 } },
    undefined,
  ],
  [
    'an initial delay raised from none is bounded too',
    { action: { action: 'patch_probe', namespace: 'shop', deployment: 'web', container: 'app', probe: 'readiness', initial_delay_seconds: 600 } },
    'probe-step',
    'initial_delay_seconds: 0 -> 600',
  ],
  [
    'a container that is not in the workload',
    { action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'sidecar', limits: { cpu: '1' } } },
    'unknown-container',
    "'sidecar'",
  ],
  [
    'an image never used by this workload',
    { action: { action: 'patch_image', namespace: 'shop', deployment: 'web', container: 'app', image: 'evil/miner:latest' } },
    'image-not-in-history',
    'evil/miner:latest',
  ],
  ['an image from its own history', { action: { action: 'patch_image', namespace: 'shop', deployment: 'web', container: 'app', image: 'registry/web:1.1' } }, undefined],
  ['HPA max above the ceiling', { action: { action: 'patch_hpa', namespace: 'shop', hpa: 'web', max_replicas: 101 } }, 'hpa-ceiling', 'max_replicas: 101'],
  [
    'a bare pod would not come back after deletion',
    { action: { action: 'restart_pod', namespace: 'shop', pod: 'lonely' }, workload: { kind: 'Pod', name: 'lonely', current: {} } },
    'pod-without-controller',
    "'lonely'",
  ],
  [
    // A custom controller's opt-out cannot be read, so its pods are not deleted.
    'a pod whose controller chain reaches an unknown kind',
    {
      action: { action: 'restart_pod', namespace: 'shop', pod: 'cart-1' },
      workload: { kind: 'Rollout', name: 'cart', current: { podController: { kind: 'ReplicaSet', name: 'cart-6f7d' }, unreadController: { kind: 'Rollout', name: 'cart' } } },
    },
    'unknown-controller',
    "Rollout 'cart'",
  ],
  ['approval required and not given', { policy: { approvalRequiredFor: ['scale_deployment'] } }, 'approval-required', 'scale_deployment'],
  ['approval required and given', { policy: { approvalRequiredFor: ['scale_deployment'] }, approved: true }, undefined],
  ['observe mode never writes', { policy: { mode: 'observe' } }, 'observe-mode', 'observe'],
  ['a call asking for observe tightens enforce', { mode: 'observe' }, 'observe-mode'],
  ['escalation is always allowed, even in a protected namespace', { action: { action: 'escalate', namespace: 'kube-system', reason: 'x' }, namespace: { name: 'kube-system' } }, undefined],
  [
    'undo skips cooldown, caps and step bounds but not scope',
    { undo: true, action: scale(20), recentActions: [{ at: ago(1) }], trial: 9 },
    undefined,
  ],
  ['undo still respects protected namespaces', { undo: true, namespace: { name: 'kube-system' } }, 'protected-namespace'],
];

describe('evaluatePolicy', () => {
  it.each(cases)('%s', (_why, overrides, rule, mentions) => {
    // Arrange
    const policyInput = input(overrides);
    // Act
    const decision = evaluatePolicy(policyInput);
    // Assert
    if (rule === undefined) {
      expect(decision).toEqual({ allowed: true, dryRunOnly: false });
    } else {
      expect(decision).toMatchObject({ allowed: false, rule });
      if (!decision.allowed) {
        expect(decision.message.startsWith(`${rule}:`)).toBe(true);
        if (mentions) expect(decision.message).toContain(mentions);
      }
    }
  });

  it('dry-run mode allows only a dry run', () => {
    expect(evaluatePolicy(input({ policy: { mode: 'dry-run' } }))).toEqual({ allowed: true, dryRunOnly: true });
  });

  it.each([
    // A payload may ask for less than configured, never for more.
    ['dry-run', 'enforce', 'dry-run'],
    ['enforce', 'dry-run', 'dry-run'],
    ['observe', 'enforce', 'observe'],
    ['enforce', undefined, 'enforce'],
  ] as const)('effectiveMode(%s, %s) = %s', (configured, requested, expected) => {
    expect(effectiveMode(configured, requested)).toBe(expected);
  });
});
