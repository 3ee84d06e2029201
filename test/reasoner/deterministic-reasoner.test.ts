import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, ActionRequestSchema, type ActionName, type ActionRequest } from '../../functions/domain/actions';
import { DeterministicReasoner } from '../../functions/domain/deterministic-reasoner';
import type { Fact } from '../../functions/domain/facts';
import type { Lesson, Reflection } from '../../functions/domain/model';
import { incident, newRevisionHistory, singleRevisionHistory } from './fixtures';

const reasoner = new DeterministicReasoner();

async function proposeFor(inc: ReturnType<typeof incident>, lessons: Lesson[] = [], previousReflections: Reflection[] = []) {
  const analysis = await reasoner.analyse({ incident: inc, lessons });
  return reasoner.propose({ incident: inc, analysis, lessons, candidates: [], previousReflections });
}

// Facts as the detectors write them (functions/domain/facts.ts): what the playbooks read.
const oomFacts = (memoryLimit: string, memoryRequest?: string): Fact[] => [
  { kind: 'OOMKilled', container: 'web', init: false, restartCount: 3, memoryLimit, ...(memoryRequest ? { memoryRequest } : {}) },
];
const probeFacts = (probe: 'liveness' | 'readiness' | 'startup', failure: 'timeout' | 'server-error' | 'unknown', settings: Record<string, number>, restartCount = 4): Fact[] => [
  { kind: 'Probe', probe, container: 'web', failure, settings, restartCount },
];
const hpaFacts = (replicas: number, metricsAboveTarget: { name: string; current: number; target: number; unit: '%' | '' }[]): Fact[] => [
  { kind: 'HpaAtMax', hpa: 'web', currentReplicas: replicas, maxReplicas: replicas, metricsAboveTarget },
];
const cpu = (current: number, target: number) => ({ name: 'cpu', current, target, unit: '%' as const });

const zeroFact = (minReplicas: number, maxReplicas: number) => ({ kind: 'ScaledToZero' as const, hpa: 'web', minReplicas, maxReplicas, scalingDisabled: true });

const failed = (signature: string, action: ActionName): Lesson => ({ text: `${action} did not fix ${signature}`, signature, action, outcome: 'failure' });

describe('DeterministicReasoner.propose: one catalogue action per failure signature', () => {
  const container = { pod: 'web-7d9f8b6c5-abcde', container: 'web', image: 'registry.example.com/shop/web:1.27' };
  const cases: { why: string; inc: ReturnType<typeof incident>; expected: Partial<ActionRequest> & { action: ActionName } }[] = [
    {
      why: 'a new revision with a tag that does not exist: go back to the last good revision',
      inc: incident({ kind: 'ImagePullBackOff', subReason: 'tag-not-found', message: 'manifest unknown', evidence: { containers: [{ ...container, reason: 'ImagePullBackOff' }], rolloutHistory: newRevisionHistory } }),
      expected: { action: 'rollback_deployment', deployment: 'web' },
    },
    {
      why: 'tag not found but nothing earlier to return to: only a human can pick an image',
      inc: incident({ kind: 'ImagePullBackOff', subReason: 'tag-not-found', evidence: { containers: [container], rolloutHistory: singleRevisionHistory } }),
      expected: { action: 'escalate' },
    },
    {
      why: 'registry auth: credentials are not in the catalogue, even when a rollback is possible',
      inc: incident({ kind: 'ImagePullBackOff', subReason: 'auth', message: 'pull access denied: unauthorized', evidence: { containers: [container], rolloutHistory: newRevisionHistory } }),
      expected: { action: 'escalate' },
    },
    {
      why: 'a crash that came with a new revision follows the template: roll back',
      inc: incident({ kind: 'CrashLoopBackOff', subReason: 'exit-1', evidence: { containers: [{ ...container, lastExitCode: 1 }], rolloutHistory: newRevisionHistory } }),
      expected: { action: 'rollback_deployment' },
    },
    {
      why: 'a crash without a template change may be transient: a rollout restart is the cheap first try',
      inc: incident({ kind: 'CrashLoopBackOff', subReason: 'exit-1', evidence: { containers: [{ ...container, lastExitCode: 1 }], rolloutHistory: singleRevisionHistory } }),
      expected: { action: 'rollout_restart', deployment: 'web' },
    },
    {
      why: 'a missing env var with no earlier revision cannot be fixed from the catalogue',
      inc: incident({
        kind: 'CrashLoopBackOff',
        subReason: 'exit-1',
        evidence: { rolloutHistory: singleRevisionHistory, logs: [{ pod: 'web-7d9f8b6c5-abcde', container: 'web', previous: true, text: 'boot\nError: environment variable DATABASE_URL is not set\n' }] },
      }),
      expected: { action: 'escalate' },
    },
    {
      why: 'OOMKilled at 256Mi: double the limit',
      inc: incident({ kind: 'OOMKilled', subReason: 'limit', facts: oomFacts('256Mi', '128Mi'), evidence: { containers: [{ ...container, lastTerminationReason: 'OOMKilled', limits: { memory: '256Mi' }, requests: { memory: '128Mi' } }] } }),
      expected: { action: 'patch_resources', container: 'web', limits: { memory: '512Mi' } },
    },
    {
      why: 'doubling is bounded by the memory ceiling (6Gi → 8Gi, not 12Gi)',
      inc: incident({ kind: 'OOMKilled', subReason: 'limit', facts: oomFacts('6Gi'), evidence: { containers: [{ ...container, lastTerminationReason: 'OOMKilled', limits: { memory: '6Gi' } }] } }),
      expected: { action: 'patch_resources', limits: { memory: '8192Mi' } },
    },
    {
      why: 'a limit written in exponent form (as the API server may keep it) is still read and doubled',
      inc: incident({ kind: 'OOMKilled', subReason: 'limit', facts: oomFacts('268435456'), evidence: { containers: [{ ...container, lastTerminationReason: 'OOMKilled', limits: { memory: '268435456' } }] } }),
      expected: { action: 'patch_resources', limits: { memory: '512Mi' } },
    },
    {
      why: 'already at the ceiling: a human decides',
      inc: incident({ kind: 'OOMKilled', subReason: 'limit', facts: oomFacts('8Gi'), evidence: { containers: [{ ...container, lastTerminationReason: 'OOMKilled', limits: { memory: '8Gi' } }] } }),
      expected: { action: 'escalate' },
    },
    {
      why: 'missing ConfigMap and no earlier good revision: escalate',
      inc: incident({ kind: 'CreateContainerConfigError', subReason: 'missing-configmap', message: 'configmap "web-config" not found', evidence: { rolloutHistory: singleRevisionHistory } }),
      expected: { action: 'escalate' },
    },
    {
      why: 'missing ConfigMap introduced by a new revision: roll back',
      inc: incident({ kind: 'CreateContainerConfigError', subReason: 'missing-configmap', evidence: { rolloutHistory: newRevisionHistory } }),
      expected: { action: 'rollback_deployment' },
    },
    {
      why: 'node selector mismatch with no new revision to blame: no catalogue action changes nodes',
      inc: incident({ kind: 'Unschedulable', subReason: 'node-selector', message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector" }),
      expected: { action: 'escalate' },
    },
    {
      why: 'node selector mismatch introduced by a new revision: roll back to the placement that worked',
      inc: incident({
        kind: 'Unschedulable',
        subReason: 'node-selector',
        message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector",
        evidence: { rolloutHistory: newRevisionHistory },
      }),
      expected: { action: 'rollback_deployment' },
    },
    {
      why: 'a stuck rollout with a good earlier revision: roll back',
      inc: incident({ kind: 'FailedRollout', subReason: 'progress-deadline', evidence: { rolloutHistory: newRevisionHistory } }),
      expected: { action: 'rollback_deployment' },
    },
    {
      why: 'a Deployment scaled to zero under an HPA: back to the HPA\'s minimum (from the detector\'s fact), not a rollback',
      inc: incident({ kind: 'FailedRollout', subReason: 'scaled-to-zero', facts: [zeroFact(3, 6)], evidence: { rolloutHistory: newRevisionHistory } }),
      expected: { action: 'scale_deployment', deployment: 'web', replicas: 3 },
    },
    {
      why: 'an HPA minimum above the policy\'s replica step: the largest allowed step (5), the next trial goes on from there',
      inc: incident({ kind: 'FailedRollout', subReason: 'scaled-to-zero', facts: [zeroFact(8, 20)] }),
      expected: { action: 'scale_deployment', deployment: 'web', replicas: 5 },
    },
    {
      why: 'scaled to zero but the HPA minimum is not in the evidence: no number to guess, escalate',
      inc: incident({ kind: 'FailedRollout', subReason: 'scaled-to-zero' }),
      expected: { action: 'escalate' },
    },
    {
      // 5 s + 30 s would be ×7, which the policy's per-step bound (×3) refuses: the step stops at 15 s.
      why: 'aggressive liveness probe: more initial delay and timeout, from the current values, within ×3 per step',
      inc: incident({ kind: 'ProbeFailure', subReason: 'liveness', facts: probeFacts('liveness', 'unknown', { initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 10 }), evidence: { containers: [{ ...container, ready: false, restartCount: 4 }] } }),
      expected: { action: 'patch_probe', probe: 'liveness', initial_delay_seconds: 15, timeout_seconds: 3 },
    },
    {
      why: 'readiness times out: the timeout grows ×3 (1 s → 3 s; ×4 asked, the policy allows ×3 per step), first even after a new revision (the app answers, only slowly)',
      inc: incident({ kind: 'ProbeFailure', subReason: 'readiness-timeout', facts: probeFacts('readiness', 'timeout', { timeoutSeconds: 1, periodSeconds: 5 }, 0), evidence: { rolloutHistory: newRevisionHistory, containers: [{ ...container, ready: false }] } }),
      expected: { action: 'patch_probe', probe: 'readiness', timeout_seconds: 3 },
    },
    {
      why: 'liveness times out at 10 s: +3 s would be too little for slow endpoints, ×4 is bounded by 60 s',
      inc: incident({ kind: 'ProbeFailure', subReason: 'liveness-timeout', facts: probeFacts('liveness', 'timeout', { timeoutSeconds: 20 }, 3), evidence: { containers: [{ ...container, ready: false, restartCount: 3 }] } }),
      expected: { action: 'patch_probe', probe: 'liveness', timeout_seconds: 60 },
    },
    {
      why: 'readiness gets HTTP 404: no timing fixes a wrong path, roll back to the revision that served it',
      inc: incident({ kind: 'ProbeFailure', subReason: 'readiness-http-error', evidence: { rolloutHistory: newRevisionHistory, containers: [{ ...container, ready: false }] } }),
      expected: { action: 'rollback_deployment' },
    },
    {
      why: 'readiness gets HTTP 404 and there is nothing to roll back to: escalate, never patch_probe',
      inc: incident({ kind: 'ProbeFailure', subReason: 'readiness-http-error', evidence: { rolloutHistory: singleRevisionHistory, containers: [{ ...container, ready: false }] } }),
      expected: { action: 'escalate' },
    },
    {
      why: 'readiness refused on a long-running container: wrong port, roll back',
      inc: incident({ kind: 'ProbeFailure', subReason: 'readiness-refused', evidence: { rolloutHistory: newRevisionHistory, containers: [{ ...container, ready: false }] } }),
      expected: { action: 'rollback_deployment' },
    },
    {
      why: 'liveness 503 during a slow start: relax the start-up allowance as for a bare liveness failure',
      inc: incident({ kind: 'ProbeFailure', subReason: 'liveness-server-error', facts: probeFacts('liveness', 'server-error', { initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 5 }), evidence: { containers: [{ ...container, ready: false, restartCount: 4 }] } }),
      expected: { action: 'patch_probe', probe: 'liveness', initial_delay_seconds: 15, timeout_seconds: 3 },
    },
    {
      why: 'HPA pinned at max with no comparable metric (the controller only says it wants more): raise maxReplicas by a bounded step',
      inc: incident({ kind: 'HpaAtMax', subReason: 'desired-above-max', target: { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web' }, facts: hpaFacts(10, []) }),
      expected: { action: 'patch_hpa', hpa: 'web', max_replicas: 15 },
    },
    {
      why: 'the current timings come from the detector\'s probe fact (10 s delay, 2 s timeout → 30 s, 4 s: +30 s capped at ×3)',
      inc: incident({ kind: 'ProbeFailure', subReason: 'liveness', facts: probeFacts('liveness', 'unknown', { initialDelaySeconds: 10, timeoutSeconds: 2, periodSeconds: 5 }), evidence: { containers: [{ ...container, ready: false, restartCount: 4 }] } }),
      expected: { action: 'patch_probe', probe: 'liveness', initial_delay_seconds: 30, timeout_seconds: 4 },
    },
    {
      why: 'HPA facts as the detector writes them: sized from the metric, ceil(4 × 180 / 70) = 11 needed, +10 % headroom → 13 (a ×1.5 bump to 6 would stay pinned)',
      inc: incident({ kind: 'HpaAtMax', subReason: 'cpu', target: { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web' }, facts: hpaFacts(4, [cpu(180, 70)]) }),
      expected: { action: 'patch_hpa', hpa: 'web', max_replicas: 13 },
    },
    {
      why: 'a small overshoot still gets at least one replica of headroom: ceil(3 × 66 / 60) = 4 needed → 5',
      inc: incident({ kind: 'HpaAtMax', subReason: 'cpu', target: { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web' }, facts: hpaFacts(3, [cpu(66, 60)]) }),
      expected: { action: 'patch_hpa', hpa: 'web', max_replicas: 5 },
    },
    {
      why: 'several metrics above target: the one needing most replicas decides (averageValue metrics have no %)',
      inc: incident({ kind: 'HpaAtMax', subReason: 'http_requests', target: { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web' }, facts: hpaFacts(5, [{ name: 'http_requests', current: 300, target: 100, unit: '' }, cpu(90, 80)]) }),
      expected: { action: 'patch_hpa', hpa: 'web', max_replicas: 17 },
    },
    {
      why: 'what the load wants is capped by the HPA ceiling (default 100)',
      inc: incident({ kind: 'HpaAtMax', subReason: 'cpu', target: { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web' }, facts: hpaFacts(40, [cpu(400, 50)]) }),
      expected: { action: 'patch_hpa', hpa: 'web', max_replicas: 100 },
    },
    {
      why: 'an evicted pod of a deployment under node pressure: remove it so a replacement lands elsewhere',
      inc: incident({ kind: 'Evicted', subReason: 'node-memory-pressure' }),
      expected: { action: 'restart_pod', pod: 'web-7d9f8b6c5-abcde' },
    },
    {
      why: 'a pod over its own ephemeral-storage limit is evicted again wherever it runs',
      inc: incident({ kind: 'Evicted', subReason: 'ephemeral-storage-limit' }),
      expected: { action: 'escalate' },
    },
    {
      why: 'a week-old revision that starts crashing is not blamed when the older one is only "not known failing"',
      inc: incident({
        kind: 'CrashLoopBackOff',
        subReason: 'exit-1',
        detectedAt: '2026-01-08T00:00:00.000Z',
        evidence: {
          rolloutHistory: [
            { revision: 3, replicaSet: 'web-6c8f9d7b4', images: { web: 'registry.example.com/shop/web:1.26' }, replicas: 0 },
            { revision: 4, replicaSet: 'web-7d9f8b6c5', images: { web: 'registry.example.com/shop/web:1.27' }, healthy: false, createdAt: '2026-01-01T00:00:00.000Z' },
          ],
        },
      }),
      expected: { action: 'rollout_restart' },
    },
    {
      why: 'a revision created minutes ago after a Recreate rollout (old one scaled to zero) is blamed',
      inc: incident({
        kind: 'CrashLoopBackOff',
        subReason: 'exit-1',
        detectedAt: '2026-01-01T00:10:00.000Z',
        evidence: {
          rolloutHistory: [
            { revision: 3, replicaSet: 'web-6c8f9d7b4', images: { web: 'registry.example.com/shop/web:1.26' }, replicas: 0 },
            { revision: 4, replicaSet: 'web-7d9f8b6c5', images: { web: 'registry.example.com/shop/web:1.27' }, healthy: false, createdAt: '2026-01-01T00:02:00.000Z' },
          ],
        },
      }),
      expected: { action: 'rollback_deployment' },
    },
    {
      why: 'HPA at max with an unknown current max: no safe number to propose',
      inc: incident({ kind: 'HpaAtMax', subReason: 'at-max', target: { kind: 'HorizontalPodAutoscaler', namespace: 'shop', name: 'web' } }),
      expected: { action: 'escalate' },
    },
    {
      why: 'a failed pod of a deployment: its controller recreates it',
      inc: incident({ kind: 'PodFailed', subReason: 'unknown' }),
      expected: { action: 'restart_pod', pod: 'web-7d9f8b6c5-abcde' },
    },
    {
      why: 'a failed bare pod has no controller: deleting it would lose it',
      inc: incident({ kind: 'PodFailed', subReason: 'failed', target: { kind: 'Pod', namespace: 'shop', name: 'web-7d9f8b6c5-abcde' } }),
      expected: { action: 'escalate' },
    },
  ];

  it.each(cases)('$why', async ({ inc, expected }) => {
    // Act
    const proposal = await proposeFor(inc);
    // Assert
    expect(proposal).toBeDefined();
    expect(ActionRequestSchema.safeParse(proposal?.action).success).toBe(true);
    expect(proposal?.action).toMatchObject({ ...expected, ...(expected.action === 'escalate' ? {} : { namespace: 'shop' }) });
    // Rollbacks leave the revision to its default so the proposal is the same strategy across incidents; the rationale names it.
    if (expected.action === 'rollback_deployment') {
      expect(proposal?.action).not.toHaveProperty('to_revision');
      expect(proposal?.rationale).toContain('revision 3 is the last known good one');
    }
    expect(proposal?.usage).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0, model: 'deterministic' });
  });
});

describe('DeterministicReasoner output that quotes cluster text is redacted', () => {
  it('escalation reasons and lessons carry no secrets from messages', async () => {
    // Why: escalation reasons become events and notifications; lessons are stored and reused.
    const inc = incident({ kind: 'Unschedulable', subReason: 'node-selector', message: 'owner ops@example.com token=abc123secret: no node matches' });
    const proposal = await proposeFor(inc);
    expect(proposal?.action.action).toBe('escalate');
    const reflection = await reasoner.reflect({ incident: inc, trial: 1, action: proposal!.action, outcome: 'escalated' });
    for (const text of [JSON.stringify(proposal), JSON.stringify(reflection)]) {
      expect(text).not.toContain('ops@example.com');
      expect(text).not.toContain('abc123secret');
      expect(text).toContain('no node matches');
    }
  });
});

describe('DeterministicReasoner.analyse', () => {
  it('names the new revision\'s missing tag as the first hypothesis', async () => {
    const inc = incident({
      kind: 'ImagePullBackOff',
      subReason: 'tag-not-found',
      evidence: { containers: [{ pod: 'web-7d9f8b6c5-abcde', container: 'web', image: 'registry.example.com/shop/web:1.27' }], rolloutHistory: newRevisionHistory },
    });
    const analysis = await reasoner.analyse({ incident: inc, lessons: [] });
    expect(analysis.hypotheses[0]).toBe("the new revision's image tag 1.27 does not exist");
    expect(analysis.summary).toContain('Deployment shop/web');
    expect(analysis.subReason).toBeUndefined();
  });

  it.each([
    // Why: the classic "config forgotten in the new environment" crash.
    { log: 'Error: environment variable DATABASE_URL is not set', subReason: 'missing-env' },
    // Why: Python apps fail with a KeyError on os.environ.
    { log: "KeyError: 'API_TOKEN_PATH'", subReason: 'missing-env' },
    // Why: a dependency down is a different signature from a bad config.
    { log: 'connect ECONNREFUSED 10.0.0.5:5432', subReason: 'dependency-unreachable' },
    // Why: nothing recognisable in the logs keeps the detector's sub-reason.
    { log: 'panic: index out of range', subReason: undefined },
  ])('refines CrashLoopBackOff:exit-1 from the logs → $subReason', async ({ log, subReason }) => {
    const inc = incident({ evidence: { containers: [{ pod: 'web-7d9f8b6c5-abcde', container: 'web', lastExitCode: 1 }], logs: [{ pod: 'web-7d9f8b6c5-abcde', container: 'web', previous: true, text: log }] } });
    const analysis = await reasoner.analyse({ incident: inc, lessons: [] });
    expect(analysis.subReason).toBe(subReason);
  });
});

describe('DeterministicReasoner.propose never repeats an action a lesson ruled out', () => {
  const crash = incident({ kind: 'CrashLoopBackOff', subReason: 'exit-1', evidence: { rolloutHistory: newRevisionHistory } });
  const sig = crash.signature;

  it.each([
    // Why: the first choice failed before: the second choice is offered instead.
    { lessons: [failed(sig, 'rollback_deployment')], expected: 'rollout_restart' },
    // Why: both failed: what is left is a human.
    { lessons: [failed(sig, 'rollback_deployment'), failed(sig, 'rollout_restart')], expected: 'escalate' },
    // Why: a failure for another signature says nothing about this one.
    { lessons: [failed('OOMKilled:limit', 'rollback_deployment')], expected: 'rollback_deployment' },
    // Why: a success lesson must not exclude the action.
    { lessons: [{ ...failed(sig, 'rollback_deployment'), outcome: 'success' as const }], expected: 'rollback_deployment' },
  ])('lessons → $expected', async ({ lessons, expected }) => {
    const proposal = await proposeFor(crash, lessons);
    expect(proposal?.action.action).toBe(expected);
  });

  it('prefers, among plausible actions, one a lesson says worked for this signature', async () => {
    // Why: Reflexion — the second incident of a kind starts from what fixed the first.
    const worked: Lesson = { text: 'restart fixed it', signature: sig, action: 'rollout_restart', outcome: 'success' };
    const proposal = await proposeFor(crash, [worked]);
    expect(proposal?.action.action).toBe('rollout_restart');
    expect(proposal?.rationale).toContain('a lesson says it worked before');
  });

  it('a success lesson cannot bring in an action that does not fit the incident', async () => {
    // Why: patch_hpa worked for this signature elsewhere, but this incident has no HPA target.
    const worked: Lesson = { text: 'raising max fixed it', signature: sig, action: 'patch_hpa', outcome: 'success' };
    const proposal = await proposeFor(crash, [worked]);
    expect(proposal?.action.action).toBe('rollback_deployment');
  });

  it('also honours lessons carried by this incident\'s earlier reflections', async () => {
    const reflection: Reflection = { trial: 1, text: 'rollback did not help', lessons: [failed(sig, 'rollback_deployment')], usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, model: 'deterministic' } };
    const proposal = await proposeFor(crash, [], [reflection]);
    expect(proposal?.action.action).toBe('rollout_restart');
    expect(proposal?.rationale).toContain('not rollback_deployment');
  });

  it('for any set of failure lessons, the proposal is never one of them (property)', async () => {
    const incidents = [
      crash,
      incident({ kind: 'OOMKilled', subReason: 'limit', evidence: { rolloutHistory: newRevisionHistory, containers: [{ pod: 'web-7d9f8b6c5-abcde', container: 'web', lastTerminationReason: 'OOMKilled', limits: { memory: '1Gi' } }] } }),
      incident({ kind: 'ProbeFailure', subReason: 'readiness', evidence: { rolloutHistory: newRevisionHistory, containers: [{ pod: 'web-7d9f8b6c5-abcde', container: 'web', ready: false }] } }),
      incident({ kind: 'PodFailed', subReason: 'unknown' }),
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...incidents), fc.subarray([...ACTION_NAMES]), async (inc, ruled) => {
        const proposal = await proposeFor(inc, ruled.map((a) => failed(inc.signature, a)));
        expect(proposal === undefined || !ruled.includes(proposal.action.action)).toBe(true);
      }),
      { numRuns: 60, seed: 42 },
    );
  });
});

describe('DeterministicReasoner.reflect writes short reflections from the structured outcome', () => {
  const tagIncident = incident({
    kind: 'ImagePullBackOff',
    subReason: 'tag-not-found',
    evidence: { containers: [{ pod: 'web-7d9f8b6c5-abcde', container: 'web', image: 'registry.example.com/shop/web:1.27', reason: 'ImagePullBackOff' }], rolloutHistory: newRevisionHistory },
  });
  const crashIncident = incident({ kind: 'CrashLoopBackOff', subReason: 'exit-1', evidence: { rolloutHistory: newRevisionHistory } });

  it('a success names the cause, the action and the time to recover', async () => {
    const r = await reasoner.reflect({
      incident: tagIncident,
      trial: 1,
      action: { action: 'rollback_deployment', namespace: 'shop', deployment: 'web', to_revision: 3 },
      outcome: 'resolved',
      timeToRecoverSeconds: 40,
    });
    expect(r.lessons).toEqual([
      {
        text: 'tag 1.27 does not exist in the registry; rolling back web to revision 3 restored readiness in 40 s',
        signature: 'ImagePullBackOff:tag-not-found',
        action: 'rollback_deployment',
        outcome: 'success',
      },
    ]);
    expect(r.text).toContain('Trial 1');
  });

  it('the revision comes from the result when the request left it to the default', async () => {
    const r = await reasoner.reflect({
      incident: tagIncident,
      trial: 1,
      action: { action: 'rollback_deployment', namespace: 'shop', deployment: 'web' },
      result: { action: 'rollback_deployment', target: { kind: 'Deployment', namespace: 'shop', name: 'web' }, applied: true, dryRun: false, noop: false, message: 'rolled back', details: { toRevision: 3 }, at: '2026-01-01T00:01:00.000Z' },
      outcome: 'resolved',
      timeToRecoverSeconds: 40,
    });
    expect(r.lessons[0]?.text).toContain('to revision 3');
  });

  it('a failed restart after a new revision says the crash follows the template', async () => {
    const r = await reasoner.reflect({
      incident: crashIncident,
      trial: 1,
      action: { action: 'rollout_restart', namespace: 'shop', deployment: 'web' },
      verification: { status: 'failed', evidence: ['3 restarts during the window'], checkedAt: '2026-01-01T00:05:00.000Z', deadline: '2026-01-01T00:05:00.000Z', baseline: {}, worse: false, checks: 10 },
      outcome: 'failed',
    });
    expect(r.lessons[0]).toEqual({
      text: 'rollout_restart did not fix CrashLoopBackOff:exit-1 after a new revision; the failure follows the template, not the pod',
      signature: 'CrashLoopBackOff:exit-1',
      action: 'rollout_restart',
      outcome: 'failure',
    });
    expect(r.text).toContain('3 restarts during the window');
  });

  it.each([
    // Why: an undone change is a second, stronger failure fact.
    { outcome: 'failed', undo: true, lessons: 2, lessonOutcome: 'failure' },
    // Why: dry-run changed nothing, so it proves nothing either way.
    { outcome: 'dry-run', undo: false, lessons: 1, lessonOutcome: undefined },
    // Why: an escalation is neither a success nor a failure of an action.
    { outcome: 'escalated', undo: false, lessons: 1, lessonOutcome: undefined },
  ])('outcome $outcome (undo $undo) → $lessons lesson(s), outcome $lessonOutcome', async ({ outcome, undo, lessons, lessonOutcome }) => {
    const r = await reasoner.reflect({
      incident: crashIncident,
      trial: 2,
      action: { action: 'patch_resources', namespace: 'shop', deployment: 'web', container: 'web', limits: { memory: '512Mi' } },
      ...(undo ? { undo: { action: 'patch_resources', target: { kind: 'Deployment', namespace: 'shop', name: 'web' }, applied: true, dryRun: false, noop: false, message: 'restored', details: {}, at: '2026-01-01T00:01:00.000Z' } } : {}),
      outcome,
    });
    expect(r.lessons).toHaveLength(lessons);
    expect(r.lessons[0]?.outcome).toBe(lessonOutcome);
    expect(r.lessons.every((l) => l.action === 'patch_resources' && l.signature === 'CrashLoopBackOff:exit-1')).toBe(true);
    const sentences = r.text.split(/(?<=\.)\s+/).filter(Boolean);
    expect(sentences.length).toBeGreaterThanOrEqual(1);
    expect(sentences.length).toBeLessThanOrEqual(3);
  });
});

describe('memory sizing against a decimal ceiling', () => {
  it('never proposes more than the ceiling (8G is 7629.39Mi: 7629Mi, not 7630Mi)', async () => {
    // Why: rounding up past a decimal ceiling would produce a proposal the policy refuses.
    const r = new DeterministicReasoner({ maxMemory: '8G' });
    const container = { pod: 'web-7d9f8b6c5-abcde', container: 'web', image: 'registry.example.com/shop/web:1.27' };
    const inc = incident({ kind: 'OOMKilled', subReason: 'limit', facts: oomFacts('6Gi'), evidence: { containers: [{ ...container, lastTerminationReason: 'OOMKilled', limits: { memory: '6Gi' } }] } });
    const proposal = await r.propose({ incident: inc, analysis: await r.analyse({ incident: inc, lessons: [] }), lessons: [], candidates: [], previousReflections: [] });
    expect(proposal?.action).toMatchObject({ action: 'patch_resources', limits: { memory: '7629Mi' } });
  });
});
