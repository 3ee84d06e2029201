import { CfnElement, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { FunctionRole } from '../functions/config/env';
import { profileFoundationModel } from '../functions/domain/pricing';
import { ActionsInvoker } from './actions-invoker';
import { AlertWebhook } from './alert-webhook';
import { ClusterAccess } from './cluster-access';
import { EntryFunctions, WorkflowFunctions } from './functions';
import { IncidentStateMachine } from './incident-state-machine';
import { MemoryTables, type TableRole } from './memory-tables';
import { Notifier } from './notifier';
import { Observability } from './observability';
import type { ReflexionFunction } from './reflexion-function';
import { executionTimeout, resolveStackSettings, type EksReflexionStackProps, type ResolvedStackSettings } from './stack-settings';

/** The roles every deployment has (the notifier exists only when a channel is configured). */
export type CoreRole = Exclude<FunctionRole, 'notify'>;

export { EKS_ACTOR_ROLES, EKS_READER_ROLES } from './cluster-access';
export { bedrockResourceArns } from './functions';
export { tableStatement, type TableAccess } from './memory-tables';
export { executionTimeout, resolveStackSettings, type EksReflexionStackProps, type ResolvedStackSettings } from './stack-settings';

/**
 * eks-reflexion for one account and region: memory tables, one function per
 * role, the incident state machine, the detection schedule, the event bus,
 * EKS access entries for each configured cluster, and the dashboard. Each
 * part is its own construct; this class only wires them together.
 *
 * No resource has a fixed physical name (the bus, the tables and the
 * functions are named by CloudFormation), so two stacks can share an account.
 */
export class EksReflexionStack extends Stack {
  readonly settings: ResolvedStackSettings;
  readonly tables: Readonly<Record<TableRole, dynamodb.Table>>;
  /** One function per role; the notifier is optional and is `notifier` below. */
  readonly functions: { readonly [R in CoreRole]: ReflexionFunction<R> };
  /** Present when `notify` configures at least one channel. */
  readonly notifier?: Notifier;
  readonly eventBus: events.EventBus;
  readonly incidentStateMachine: IncidentStateMachine;

  constructor(scope: Construct, id: string, props: EksReflexionStackProps) {
    super(scope, id, props);
    const settings = resolveStackSettings(props);
    this.settings = settings;
    const { policy } = settings;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    const memory = new MemoryTables(this, 'Memory');
    this.tables = memory.tables;
    this.eventBus = new events.EventBus(this, 'EventBus');

    // The configured mode, switchable without a redeploy (functions cache it for at most 60 s).
    const policyParameter = new ssm.StringParameter(this, 'PolicyParameter', {
      stringValue: policy.mode,
      description: 'eks-reflexion configured mode: observe | dry-run | enforce (or a JSON object of policy fields); read at every write, cached <= 60 s',
    });
    const workflow = new WorkflowFunctions(this, 'Workflow', { settings, memory, policyParameter, logRetention, eventBus: this.eventBus });
    this.incidentStateMachine = new IncidentStateMachine(this, 'Incident', {
      functions: workflow.lambdas,
      eventBus: this.eventBus,
      verifyIntervalSeconds: policy.verify.intervalSeconds,
      approvalTimeoutSeconds: policy.approvalTimeoutSeconds,
      timeout: executionTimeout(policy),
      logRetention,
    });
    const stateMachine = this.incidentStateMachine.stateMachine;
    const entry = new EntryFunctions(this, 'Entry', { settings, memory, policyParameter, logRetention, stateMachine, eventBus: this.eventBus });
    const alerts = new AlertWebhook(this, 'Alerts', {
      settings,
      memory,
      stateMachine,
      eventBus: this.eventBus,
      logRetention,
      ...(props.alertSources ? { sources: props.alertSources } : {}),
      ...(props.alertLabelMapping ? { labelMapping: props.alertLabelMapping } : {}),
    });
    this.functions = { ...workflow.functions, detect: entry.detect, actions: entry.actions, alerts: alerts.function };
    const fns = this.functions;
    if (settings.notify) {
      this.notifier = new Notifier(this, 'Notifier', { settings, notify: settings.notify, memory, eventBus: this.eventBus, logRetention });
    }
    const deployed: ReflexionFunction<FunctionRole>[] = [...Object.values(fns), ...(this.notifier ? [this.notifier.function] : [])];

    const access = new ClusterAccess(this, 'ClusterAccess', {
      clusterNames: settings.clusterNames,
      optInNamespaces: policy.optInNamespaces,
      readers: [fns.lock, fns.detect, fns.analyse, fns['select-strategy'], fns.verify, fns.alerts],
      actors: [fns.remediate, fns.reflect, fns.actions],
    });

    const observability = new Observability(this, 'Observability', {
      stateMachine,
      functions: Object.fromEntries(deployed.map((f) => [f.role, f.function])),
      tables: this.tables,
      metricsNamespace: settings.metricsNamespace,
      alarmTopic: settings.alarmTopic,
    });

    this.acknowledgeNagFindings(deployed, entry.scheduleRole, settings.bedrockModelId);

    new CfnOutput(this, 'ClusterWriteAccess', { value: access.writeAccess, description: 'What the actor functions may change in the configured clusters' });
    new CfnOutput(this, 'RbacCommand', { value: access.rbacCommand, description: 'Run once per cluster: the Kubernetes RBAC the access entries\' groups need' });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'ActionsFunctionName', { value: fns.actions.function.functionName, description: 'The direct action API (snake_case payloads)' });
    const invoker = new ActionsInvoker(this, 'ActionsInvoker', { actions: fns.actions.function });
    new CfnOutput(this, 'ActionsInvokerRoleArn', { value: invoker.role.roleArn, description: 'Assume this role to call the action API (the only principal allowed to invoke it)' });
    new CfnOutput(this, 'EpisodesTableName', { value: this.tables.episodes.tableName });
    new CfnOutput(this, 'StrategiesTableName', { value: this.tables.strategies.tableName });
    new CfnOutput(this, 'LocksTableName', { value: this.tables.locks.tableName });
    new CfnOutput(this, 'DetectScheduleName', { value: entry.schedule.scheduleName });
    new CfnOutput(this, 'Mode', { value: policy.mode, description: 'The deployed mode; PolicyParameterName switches it without a redeploy' });
    new CfnOutput(this, 'PolicyParameterName', { value: policyParameter.parameterName, description: 'aws ssm put-parameter --overwrite --name <this> --value observe: writes stop within 60 s' });
    if (observability.alarmTopic) new CfnOutput(this, 'AlarmTopicArn', { value: observability.alarmTopic.topicArn, description: 'Subscribe to receive the alarms' });
  }

  /**
   * cdk-nag AwsSolutions findings this design accepts, each acknowledged on
   * the construct it concerns (never stack-wide) with its reason.
   */
  private acknowledgeNagFindings(deployed: readonly ReflexionFunction<FunctionRole>[], scheduleRole: iam.IRole, bedrockModelId: string | undefined): void {
    const xray = {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) do not support resource-level permissions.',
    };
    const qualified = (f: ReflexionFunction<FunctionRole>) => ({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(f.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: `Invoke on the ${f.role} function's own versions and aliases (ARN:*), granted by CDK next to the unqualified ARN; no other function.`,
    });
    for (const f of deployed) Validations.of(f.executionRole).acknowledge(xray);

    const sm = this.incidentStateMachine.stateMachine;
    Validations.of(sm.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing and the CloudWatch Logs vended-log delivery actions (CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) that Step Functions logging needs do not support resource-level permissions.',
      },
      ...(['lock', 'analyse', 'select-strategy', 'remediate', 'verify', 'reflect', 'approval'] as const).map((r) => qualified(this.functions[r])),
    );
    Validations.of(scheduleRole).acknowledge(qualified(this.functions.detect));

    const profile = bedrockModelId ? profileFoundationModel(bedrockModelId) : undefined;
    if (profile) {
      for (const r of ['analyse', 'select-strategy', 'reflect', 'actions'] as const) {
        Validations.of(this.functions[r].executionRole).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/${profile}]`,
          reason: 'A cross-region inference profile routes to this one model in the regions of its geography; only the region is open.',
        });
      }
    }
  }
}
