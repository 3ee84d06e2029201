import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '../functions/config/telemetry';
import type { LabelMappingOverrides } from '../functions/domain/alerts/labels';
import type { AlertSystem } from '../functions/domain/alerts/types';
import type { MemoryTables } from './memory-tables';
import { ReflexionFunction } from './reflexion-function';
import type { ResolvedStackSettings } from './stack-settings';

export interface AlertWebhookProps {
  readonly settings: ResolvedStackSettings;
  readonly memory: MemoryTables;
  readonly stateMachine: sfn.IStateMachine;
  readonly eventBus: events.IEventBus;
  /** Sources to accept. @default none: the function exists, but has no URL and no secret */
  readonly sources?: readonly AlertSystem[];
  /** Per-system label mapping overrides. @default the documented defaults */
  readonly labelMapping?: LabelMappingOverrides;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The alert webhook: a function behind a Function URL (auth NONE at the URL:
 * the senders cannot sign AWS requests; every delivery is authenticated in
 * code by the source's signature or the shared secret from Secrets Manager).
 * It reads the cluster like the detector, starts executions, reads episodes
 * (resolved alerts), notes recurrences as the detector does (marks the
 * episode, revises its strategy) and puts events; nothing else. The secret is generated
 * with a random `shared` value; vendor-issued secrets (PagerDuty, Splunk
 * On-Call, Grafana HMAC) are added under the system's name after deploy.
 */
export class AlertWebhook extends Construct {
  readonly function: ReflexionFunction<'alerts'>;
  readonly url?: lambda.FunctionUrl;
  readonly secret?: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: AlertWebhookProps) {
    super(scope, id);
    const { settings, memory, stateMachine, eventBus } = props;
    const sources = props.sources ?? [];
    if (sources.length > 0) {
      this.secret = new secretsmanager.Secret(this, 'Secret', {
        description: 'eks-reflexion alert webhook secrets: {"shared": "...", "<system>": "..."}',
        generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'shared', excludePunctuation: true, passwordLength: 40 },
      });
      Validations.of(this.secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'Webhook secrets are issued or configured at each alerting system (PagerDuty, Splunk On-Call, Grafana...); a Lambda rotation here could not update the sender, so rotation is the documented manual step.',
      });
    }
    this.function = new ReflexionFunction(this, 'Function', {
      role: 'alerts',
      environment: {
        MEMORY_NAMESPACE: settings.memoryNamespace,
        POLICY: JSON.stringify(settings.policy),
        CLUSTER_NAMES: JSON.stringify(settings.clusterNames),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        EPISODES_TABLE: memory.tables.episodes.tableName,
        LOCKS_TABLE: memory.tables.locks.tableName,
        STRATEGIES_TABLE: memory.tables.strategies.tableName,
        STATE_MACHINE_ARN: stateMachine.stateMachineArn,
        EVENT_BUS_NAME: eventBus.eventBusName,
        ALERT_SOURCES: JSON.stringify(sources),
        ALERT_LABEL_MAPPING: JSON.stringify(props.labelMapping ?? {}),
        ...(this.secret ? { ALERT_SECRET_ARN: this.secret.secretArn } : {}),
      },
      // Senders time out around 10-15 s; one namespace snapshot fits well within.
      timeout: Duration.seconds(30),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });
    // Recurrence (app/recurrence): marks the resolved episode in place (UpdateItem) and revises its strategy's
    // statistics (a transaction that puts the outcome marker and updates the record); never deletes.
    memory.grant(this.function.executionRole, 'episodes', { writes: ['UpdateItem'] });
    memory.grant(this.function.executionRole, 'strategies', { writes: ['PutItem', 'UpdateItem'] });
    // The start claim of each confirmed incident (startIncidentExecution) lives in the locks table.
    memory.grant(this.function.executionRole, 'locks', 'read-write');
    stateMachine.grantStartExecution(this.function.executionRole);
    eventBus.grantPutEventsTo(this.function.executionRole);
    if (this.secret) {
      this.secret.grantRead(this.function.executionRole);
      this.url = this.function.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
      new CfnOutput(this, 'Url', { value: this.url.url, description: 'Alert webhook base URL: POST to <url>alerts/<system> (or <url>alerts to auto-detect)' });
      new CfnOutput(this, 'SecretArn', { value: this.secret.secretArn, description: 'Webhook secrets ({"shared": ..., "<system>": ...})' });
    }
  }
}
