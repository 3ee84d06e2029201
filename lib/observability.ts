import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC, SERVICE_NAME } from '../functions/config/telemetry';

export interface ObservabilityProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Role name → function. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Table role → table. */
  readonly tables: Readonly<Record<string, dynamodb.ITable>>;
  /** Namespace the functions emit their EMF metrics in. */
  readonly metricsNamespace: string;
  /** Create an SNS topic every alarm notifies. @default false */
  readonly alarmTopic?: boolean;
}

/**
 * What an SRE looks at first, and what wakes them: incidents by kind and
 * outcome, remediations by action and outcome, time to recover, trials,
 * reasoner tokens and cost, scan size and duration (the functions' EMF
 * metrics, functions/runtime/step-metrics.ts), executions, function errors
 * and throttles. Alarms on escalations, failed or timed-out executions,
 * function errors and throttles, optionally into an SNS topic.
 */
export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly alarmTopic?: sns.Topic;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const sm = props.stateMachine;
    const fns = Object.entries(props.functions);
    const ns = props.metricsNamespace;
    // Powertools adds the service as a dimension to every metric.
    const custom = (metricName: string, label: string, statistic = 'Sum') =>
      new cloudwatch.Metric({ namespace: ns, metricName, dimensionsMap: { service: SERVICE_NAME }, period, statistic, label });
    // Metrics with their own dimensions (kind, action/outcome, model): one line per value found.
    const search = (metricName: string, dims: string[], label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${ns},service,${dims.join(',')}} MetricName="${metricName}"', 'Sum', ${period.toSeconds()})`,
        label,
        period,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(24) });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Incidents (executions)',
        left: [
          sm.metricStarted({ period, label: 'started' }),
          sm.metricSucceeded({ period, label: 'resolved / done' }),
          sm.metricFailed({ period, label: 'escalated or failed' }),
          sm.metricTimedOut({ period, label: 'timed out' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Time per incident',
        left: [sm.metricTime({ period, statistic: 'p50', label: 'p50' }), sm.metricTime({ period, statistic: 'p90', label: 'p90' })],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Incidents detected by kind', left: [search(METRIC.incidentsDetected, ['Kind'], '')], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Remediations by action and outcome', left: [search(METRIC.remediations, ['Action', 'Outcome'], '')], width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'Outcomes',
        left: [
          custom(METRIC.resolved, 'resolved'),
          custom(METRIC.escalated, 'escalated'),
          search(METRIC.undone, ['Action'], 'undone'),
          custom(METRIC.verificationFailures, 'verification failures'),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Time to recover (s) and trials per incident',
        left: [custom(METRIC.timeToRecover, 'TTR p50', 'p50'), custom(METRIC.timeToRecover, 'TTR p90', 'p90')],
        right: [custom(METRIC.trialsPerIncident, 'trials (avg)', 'Average')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Reasoner tokens and cost (micro-USD)',
        left: [search(METRIC.reasonerInputTokens, ['Model'], 'in'), search(METRIC.reasonerOutputTokens, ['Model'], 'out')],
        right: [search(METRIC.reasonerCost, ['Model'], 'cost')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Detection scans',
        left: [custom(METRIC.scanDuration, 'scan ms p90', 'p90')],
        right: [custom(METRIC.podsScanned, 'pods scanned (max)', 'Maximum')],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Function errors', left: fns.map(([role, f]) => f.metricErrors({ period, label: role })), width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Function duration p90', left: fns.map(([role, f]) => f.metricDuration({ period, statistic: 'p90', label: role })), width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'Throttles (functions and tables)',
        left: [
          ...fns.map(([role, f]) => f.metricThrottles({ period, label: role })),
          ...Object.entries(props.tables).flatMap(([name, t]) => [
            t.metric('ReadThrottleEvents', { period, statistic: 'Sum', label: `${name} table reads` }),
            t.metric('WriteThrottleEvents', { period, statistic: 'Sum', label: `${name} table writes` }),
          ]),
        ],
        width: 8,
      }),
    );

    // Alarms: each one a thing an on-call engineer acts on; missing data is "nothing happened".
    const alarm = (id: string, metric: cloudwatch.IMetric, description: string) =>
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
    // The notifier is invoked asynchronously, so Lambda itself retries a throttled invocation (up to 6 h);
    // leaving it out also keeps the expression within CloudWatch's 10 metrics per alarm.
    const throttled = fns.filter(([role]) => role !== 'notify');
    const throttles = new cloudwatch.MathExpression({
      expression: throttled.map((_, i) => `t${i}`).join(' + '),
      usingMetrics: Object.fromEntries(throttled.map(([, f], i) => [`t${i}`, f.metricThrottles({ period, statistic: 'Sum' })])),
      period,
      label: 'throttles, all functions',
    });
    const alarms = [
      alarm('EscalationsAlarm', custom(METRIC.escalated, 'escalated'), 'An incident was escalated to a human: read its execution and episode.'),
      alarm('ExecutionsFailedAlarm', sm.metricFailed({ period, statistic: 'Sum' }), 'An incident execution failed (escalated, or an error no Catch handled).'),
      alarm('ExecutionsTimedOutAlarm', sm.metricTimedOut({ period, statistic: 'Sum' }), 'An incident execution hit its timeout; its lock expires by TTL.'),
      alarm('ThrottlesAlarm', throttles, 'A function was throttled (concurrency): scans or steps are being dropped or delayed.'),
      ...fns.map(([role, f]) =>
        alarm(`${role.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}ErrorsAlarm`, f.metricErrors({ period, statistic: 'Sum' }), `The ${role} function failed an invocation.`),
      ),
    ];
    this.alarms = alarms;
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 }));

    if (props.alarmTopic) {
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
        displayName: 'eks-reflexion alarms',
        // AWS managed key for SNS: encrypted at rest with no key policy to maintain.
        masterKey: undefined,
        enforceSSL: true,
      });
      const action = new cwActions.SnsAction(this.alarmTopic);
      for (const a of alarms) a.addAlarmAction(action);
    }
  }
}
