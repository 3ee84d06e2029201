import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../functions/config/names';
import { SERVICE_NAME } from '../functions/config/telemetry';
import type { MemoryTables } from './memory-tables';
import { ReflexionFunction } from './reflexion-function';
import type { NotifySettings, ResolvedStackSettings } from './stack-settings';

export interface NotifierProps {
  readonly settings: ResolvedStackSettings;
  readonly notify: NotifySettings;
  readonly memory: MemoryTables;
  readonly eventBus: events.IEventBus;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Escalation out: a rule on the project's bus sends RemediationEscalated
 * (and RemediationResolved when `resolutions` is on) to a small notifier
 * function, which posts PagerDuty Events v2, Slack and the signed webhook.
 * The function reads exactly the configured secrets (GetSecretValue on those
 * ARNs, nothing else in Secrets Manager), the locks table (its dedup
 * markers), and nothing in any cluster.
 */
export class Notifier extends Construct {
  readonly function: ReflexionFunction<'notify'>;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: NotifierProps) {
    super(scope, id);
    const { settings, notify, memory, eventBus } = props;
    this.function = new ReflexionFunction(this, 'Function', {
      role: 'notify',
      environment: {
        MEMORY_NAMESPACE: settings.memoryNamespace,
        POLICY: JSON.stringify(settings.policy),
        CLUSTER_NAMES: JSON.stringify(settings.clusterNames),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
        LOCKS_TABLE: memory.tables.locks.tableName,
        NOTIFY_DEDUP_SECONDS: String(notify.dedupSeconds),
        ...(notify.pagerDuty ? { NOTIFY_PAGERDUTY_URL: notify.pagerDuty.url, NOTIFY_PAGERDUTY_SECRET_ARN: notify.pagerDuty.secretArn } : {}),
        ...(notify.slack ? { NOTIFY_SLACK_SECRET_ARN: notify.slack.secretArn } : {}),
        ...(notify.webhook ? { NOTIFY_WEBHOOK_URL: notify.webhook.url, NOTIFY_WEBHOOK_SECRET_ARN: notify.webhook.secretArn } : {}),
      },
      memorySize: 256,
      // Three channels, each bounded by a 10 s request timeout.
      timeout: Duration.seconds(40),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });
    const role = this.function.executionRole;
    memory.grant(role, 'locks', 'read-write');
    const secretArns = [notify.pagerDuty?.secretArn, notify.slack?.secretArn, notify.webhook?.secretArn].filter((a): a is string => a !== undefined);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [...new Set(secretArns)] }));

    // A failed channel throws after the others sent (their markers hold): Lambda's async retries resend only what failed.
    this.function.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });
    this.rule = new events.Rule(this, 'Rule', {
      eventBus,
      description: 'eks-reflexion escalations (and resolutions) to the notifier',
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: notify.resolutions ? ['RemediationEscalated', 'RemediationResolved'] : ['RemediationEscalated'],
      },
      targets: [new targets.LambdaFunction(this.function.function, { retryAttempts: 8, maxEventAge: Duration.hours(2) })],
    });
    new CfnOutput(this, 'FunctionName', { value: this.function.function.functionName, description: 'The notifier (escalations → PagerDuty / Slack / webhook)' });
  }
}
