import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { FunctionRole } from '../config/env';
import { METRIC } from '../config/telemetry';
import { ACTION_NAMES } from '../domain/actions';
import { FAILURE_KINDS } from '../domain/incident';

export { METRIC } from '../config/telemetry';

export interface MetricPoint {
  readonly name: (typeof METRIC)[keyof typeof METRIC];
  readonly unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  readonly value: number;
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** What a remediation ended as: the Outcome dimension of Remediations. */
export type RemediationOutcome = 'applied' | 'dry-run' | 'refused' | 'noop' | 'not-applied';

const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
/** Bounded dimension values: a member of the known set, else `other` (never a name from the cluster). */
const oneOf =
  (known: readonly string[]) =>
  (v: unknown): string =>
    typeof v === 'string' && known.includes(v) ? v : 'other';
const kindDim = oneOf(FAILURE_KINDS);
const actionDim = oneOf(ACTION_NAMES);
/** The model is one configured id per deployment; anything id-shaped passes. */
const modelDim = (v: unknown): string => (typeof v === 'string' && /^[A-Za-z][A-Za-z0-9_.:/-]{0,127}$/.test(v) ? v : 'other');

export function remediationOutcome(result: Record<string, unknown>): RemediationOutcome {
  if (record(result['details'])['refused'] !== undefined) return 'refused';
  if (result['noop'] === true) return 'noop';
  if (result['applied'] === true) return 'applied';
  if (result['dryRun'] === true) return 'dry-run';
  return 'not-applied';
}

/** Reasoner tokens and cost this step added (usage is cumulative in the workflow state). */
function usageDelta(event: Record<string, unknown>, response: Record<string, unknown>): MetricPoint[] {
  const before = record(event['usage']);
  const after = record(response['usage']);
  const input = num(after['inputTokens']) - num(before['inputTokens']);
  const output = num(after['outputTokens']) - num(before['outputTokens']);
  const cost = num(after['costUsd']) - num(before['costUsd']);
  const model = { Model: modelDim(after['model']) };
  const points: MetricPoint[] = [];
  if (input > 0) points.push({ name: METRIC.reasonerInputTokens, unit: MetricUnit.Count, value: input, dimensions: model });
  if (output > 0) points.push({ name: METRIC.reasonerOutputTokens, unit: MetricUnit.Count, value: output, dimensions: model });
  // Micro-dollars: CloudWatch statistics on tiny fractions read badly.
  if (cost > 0) points.push({ name: METRIC.reasonerCost, unit: MetricUnit.Count, value: Math.round(cost * 1e6), dimensions: model });
  return points;
}

/** The metric points of one invocation of `role` (pure: tested without CloudWatch). */
export function stepMetricsOf(role: FunctionRole, event: unknown, response: unknown, now: Date): MetricPoint[] {
  const e = record(event);
  const r = record(response);
  switch (role) {
    case 'detect': {
      const summaries = Array.isArray(response) ? response.map(record) : [];
      const points: MetricPoint[] = [];
      for (const s of summaries) {
        points.push({ name: METRIC.podsScanned, unit: MetricUnit.Count, value: num(s['podsScanned']) });
        points.push({ name: METRIC.scanDuration, unit: MetricUnit.Milliseconds, value: num(s['scanMs']) });
        const started = Array.isArray(s['started']) ? s['started'].map(record) : [];
        for (const incident of started) points.push({ name: METRIC.incidentsDetected, unit: MetricUnit.Count, value: 1, dimensions: { Kind: kindDim(incident['kind']) } });
      }
      return points;
    }
    case 'remediate': {
      const result = record(r['remediation']);
      if (Object.keys(result).length === 0) return [];
      return [{ name: METRIC.remediations, unit: MetricUnit.Count, value: 1, dimensions: { Action: actionDim(result['action']), Outcome: remediationOutcome(result) } }];
    }
    case 'verify':
      return record(r['verification'])['status'] === 'failed' ? [{ name: METRIC.verificationFailures, unit: MetricUnit.Count, value: 1 }] : [];
    case 'reflect': {
      const points = usageDelta(e, r);
      const undo = record(r['undo']);
      if (undo['applied'] === true && record(e['undo'])['at'] !== undo['at']) points.push({ name: METRIC.undone, unit: MetricUnit.Count, value: 1, dimensions: { Action: actionDim(undo['action']) } });
      const next = r['next'];
      if (next === 'resolved') {
        points.push({ name: METRIC.resolved, unit: MetricUnit.Count, value: 1 });
        const startedAt = Date.parse(String(r['startedAt']));
        if (Number.isFinite(startedAt)) points.push({ name: METRIC.timeToRecover, unit: MetricUnit.Seconds, value: Math.max(0, (now.getTime() - startedAt) / 1000) });
      }
      if (next === 'escalate') points.push({ name: METRIC.escalated, unit: MetricUnit.Count, value: 1 });
      if (next === 'resolved' || next === 'escalate' || next === 'done') points.push({ name: METRIC.trialsPerIncident, unit: MetricUnit.Count, value: num(r['trial']) });
      return points;
    }
    case 'analyse':
    case 'select-strategy':
      return usageDelta(e, r);
    case 'actions': {
      const action = r['action'] ?? e['action'];
      if (r['ok'] !== true || !record(r['result'])['action']) return [];
      return [{ name: METRIC.remediations, unit: MetricUnit.Count, value: 1, dimensions: { Action: actionDim(action), Outcome: remediationOutcome(record(r['result'])) } }];
    }
    case 'lock':
    case 'approval':
    case 'notify':
      return [];
    case 'alerts': {
      // The Function URL answer: incidents the alert's targeted detection started, by kind.
      let body: Record<string, unknown> = {};
      try {
        body = record(JSON.parse(String(r['body'] ?? '{}')));
      } catch {
        return [];
      }
      const incidents = Array.isArray(body['incidents']) ? body['incidents'].map(record) : [];
      return incidents
        .filter((i) => i['started'] === true)
        .map((i) => ({ name: METRIC.incidentsDetected, unit: MetricUnit.Count, value: 1, dimensions: { Kind: kindDim(String(i['signature'] ?? '').split(':')[0]) } }));
    }
  }
}

/** Publishes stepMetricsOf after a successful invocation; logMetrics flushes them. */
export function stepMetrics(role: FunctionRole, metrics: Metrics, now: () => Date = () => new Date()): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    after: (request) => {
      for (const point of stepMetricsOf(role, request.event, request.response, now())) {
        if (point.dimensions && Object.keys(point.dimensions).length > 0) {
          // A metric with its own dimensions is its own EMF document.
          const single = metrics.singleMetric();
          single.addDimensions({ ...point.dimensions });
          single.addMetric(point.name, point.unit, point.value);
        } else {
          metrics.addMetric(point.name, point.unit, point.value);
        }
      }
    },
  };
}
