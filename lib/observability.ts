import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface ObservabilityProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Role name → function. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Table role → table. */
  readonly tables: Readonly<Record<string, dynamodb.ITable>>;
}

/**
 * What an SRE looks at first: how many incidents started, ended resolved
 * (Succeeded) or escalated (Failed: the Escalated state is a Fail), how long
 * they took, and whether any function or table is erroring or throttled.
 */
export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const sm = props.stateMachine;
    const fns = Object.entries(props.functions);

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
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: fns.map(([role, f]) => f.metricErrors({ period, label: role })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration p90',
        left: fns.map(([role, f]) => f.metricDuration({ period, statistic: 'p90', label: role })),
        width: 8,
      }),
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
  }
}
