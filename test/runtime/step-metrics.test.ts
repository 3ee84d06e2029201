import { describe, expect, it } from 'vitest';
import { incidentKeys } from '../../functions/runtime/middleware';
import { METRIC, stepMetricsOf, type MetricPoint } from '../../functions/runtime/step-metrics';

const now = new Date('2026-12-06T05:00:00.000Z');
const brief = (points: MetricPoint[]) => points.map((p) => [p.name, p.value, p.dimensions ?? {}]);
const result = (over: Record<string, unknown>) => ({ action: 'rollback_deployment', applied: false, dryRun: false, noop: false, details: {}, ...over });

describe('stepMetricsOf', () => {
  // One case per thing an SRE graphs; each says which field of the step's output it comes from.
  const cases: { why: string; role: Parameters<typeof stepMetricsOf>[0]; event?: unknown; response: unknown; expected: ReturnType<typeof brief> }[] = [
    {
      why: 'detect: one IncidentsDetected per started execution, by failure kind; scan size and duration per cluster',
      role: 'detect',
      response: [{ cluster: 'prod', podsScanned: 120, scanMs: 340, started: [{ kind: 'ImagePullBackOff' }, { kind: 'OOMKilled' }] }],
      expected: [
        [METRIC.podsScanned, 120, {}],
        [METRIC.scanDuration, 340, {}],
        [METRIC.incidentsDetected, 1, { Kind: 'ImagePullBackOff' }],
        [METRIC.incidentsDetected, 1, { Kind: 'OOMKilled' }],
      ],
    },
    { why: 'remediate applied', role: 'remediate', response: { remediation: result({ applied: true }) }, expected: [[METRIC.remediations, 1, { Action: 'rollback_deployment', Outcome: 'applied' }]] },
    { why: 'remediate in dry-run', role: 'remediate', response: { remediation: result({ dryRun: true }) }, expected: [[METRIC.remediations, 1, { Action: 'rollback_deployment', Outcome: 'dry-run' }]] },
    { why: 'remediate refused by a rule (details.refused) wins over dry-run', role: 'remediate', response: { remediation: result({ dryRun: true, details: { refused: 'cooldown' } }) }, expected: [[METRIC.remediations, 1, { Action: 'rollback_deployment', Outcome: 'refused' }]] },
    { why: 'remediate noop (already in the desired state)', role: 'remediate', response: { remediation: result({ noop: true, applied: true }) }, expected: [[METRIC.remediations, 1, { Action: 'rollback_deployment', Outcome: 'noop' }]] },
    { why: 'remediate without a remediation (no decision): nothing', role: 'remediate', response: {}, expected: [] },
    { why: 'verify failed', role: 'verify', response: { verification: { status: 'failed' } }, expected: [[METRIC.verificationFailures, 1, {}]] },
    { why: 'verify converging is not a failure', role: 'verify', response: { verification: { status: 'converging' } }, expected: [] },
    {
      why: 'reflect resolved: resolved, time to recover from startedAt, trials',
      role: 'reflect',
      response: { next: 'resolved', trial: 2, startedAt: '2026-12-06T04:58:00.000Z' },
      expected: [
        [METRIC.resolved, 1, {}],
        [METRIC.timeToRecover, 120, {}],
        [METRIC.trialsPerIncident, 2, {}],
      ],
    },
    {
      why: 'reflect escalated after an undo it applied now (not one carried from an earlier trial)',
      role: 'reflect',
      event: { undo: undefined },
      response: { next: 'escalate', trial: 3, undo: result({ applied: true, at: '2026-12-06T04:59:00.000Z' }) },
      expected: [
        [METRIC.undone, 1, { Action: 'rollback_deployment' }],
        [METRIC.escalated, 1, {}],
        [METRIC.trialsPerIncident, 3, {}],
      ],
    },
    { why: 'reflect retry: the incident is not over, nothing counted', role: 'reflect', response: { next: 'retry', trial: 1 }, expected: [] },
    {
      why: 'reasoner usage is cumulative in the state: only what this step added, by model',
      role: 'analyse',
      event: { usage: { inputTokens: 100, outputTokens: 10, costUsd: 0.001, model: 'm' } },
      response: { usage: { inputTokens: 400, outputTokens: 60, costUsd: 0.004, model: 'anthropic.claude' } },
      expected: [
        [METRIC.reasonerInputTokens, 300, { Model: 'anthropic.claude' }],
        [METRIC.reasonerOutputTokens, 50, { Model: 'anthropic.claude' }],
        [METRIC.reasonerCost, 3000, { Model: 'anthropic.claude' }],
      ],
    },
    { why: 'action API write', role: 'actions', event: { action: 'restart_pod' }, response: { ok: true, action: 'restart_pod', result: result({ action: 'restart_pod', applied: true }) }, expected: [[METRIC.remediations, 1, { Action: 'restart_pod', Outcome: 'applied' }]] },
    { why: 'action API read or error: no remediation counted', role: 'actions', response: { ok: false, error: { code: 'CONFLICT' } }, expected: [] },
    {
      why: 'an unbounded value never becomes a dimension',
      role: 'detect',
      response: [{ podsScanned: 1, scanMs: 1, started: [{ kind: 'web-7d9f8b6c5d-x2k4p/oops' }] }],
      expected: [
        [METRIC.podsScanned, 1, {}],
        [METRIC.scanDuration, 1, {}],
        [METRIC.incidentsDetected, 1, { Kind: 'other' }],
      ],
    },
  ];
  it.each(cases)('$why', ({ role, event, response, expected }) => {
    expect(brief(stepMetricsOf(role, event ?? {}, response, now))).toEqual(expected);
  });
});

describe('incidentKeys', () => {
  const cases: { why: string; event: unknown; expected: Record<string, unknown> }[] = [
    { why: 'a workflow state', event: { executionId: 'e1', trial: 2, incident: { fingerprint: 'abc', cluster: 'prod' } }, expected: { executionId: 'e1', fingerprint: 'abc', cluster: 'prod', trial: 2 } },
    { why: "the lock task's {op, state}", event: { op: 'acquire', state: { executionId: 'e2', incident: { cluster: 'c' } } }, expected: { executionId: 'e2', cluster: 'c' } },
    { why: 'an action API payload', event: { action: 'pod_status', cluster_name: 'prod' }, expected: { cluster: 'prod' } },
    { why: 'garbage is ignored, not thrown on', event: 'not an object', expected: {} },
    { why: 'wrong types are left out', event: { executionId: 5, trial: 'two', incident: [] }, expected: {} },
  ];
  it.each(cases)('$why', ({ event, expected }) => expect(incidentKeys(event)).toEqual(expected));
});
