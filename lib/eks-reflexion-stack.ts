import { Annotations, Aws, CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { TABLES, type TableDefinition } from '../functions/adapters/dynamodb/tables';
import type { EnvInput, FunctionRole } from '../functions/config/env';
import { ValidationError } from '../functions/domain/errors';
import { profileFoundationModel } from '../functions/domain/pricing';
import { longestRunSeconds, PolicyConfigSchema, type PolicyConfig, type PolicyConfigInput } from '../functions/domain/policy-config';
import { EksReflexionDashboard } from './eks-reflexion-dashboard';
import { IncidentStateMachine } from './incident-state-machine';
import { ReflexionFunction } from './reflexion-function';

export const EVENT_BUS_NAME = 'eks-reflexion';

/** Roles that only read the cluster: their access entries get AmazonEKSViewPolicy, cluster-wide. */
export const EKS_READER_ROLES = ['detect', 'analyse', 'select-strategy', 'verify'] as const satisfies readonly FunctionRole[];
/** Roles that may write (remediate; reflect may undo; the action API): view cluster-wide, edit only in opt-in namespaces. */
export const EKS_ACTOR_ROLES = ['remediate', 'reflect', 'actions'] as const satisfies readonly FunctionRole[];

export interface EksReflexionStackProps extends StackProps {
  /** EKS clusters this deployment watches and may act on (same account and region as the stack). */
  clusterNames: string[];
  /** The safety policy and trial loop settings. @default PolicyConfigSchema defaults (mode dry-run) */
  policy?: PolicyConfigInput;
  /** Minutes between detection scans. @default 1 */
  scheduleRateMinutes?: number;
  /** Bedrock model or inference profile id. @default none: the deterministic reasoner, no Bedrock permission */
  bedrockModelId?: string;
  /** Prefix of every memory key; benchmarks use their own. @default 'default' */
  memoryNamespace?: string;
  /** @default one month */
  logRetention?: logs.RetentionDays;
}

const ClusterNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[0-9A-Za-z][A-Za-z0-9_-]*$/, 'must be an EKS cluster name (letters, digits, - and _)');

const StackPropsSchema = z.object({
  clusterNames: z
    .array(ClusterNameSchema)
    .min(1, 'needs at least one cluster')
    .refine((names) => new Set(names).size === names.length, 'must not repeat a cluster'),
  policy: PolicyConfigSchema.prefault({}),
  scheduleRateMinutes: z.number().int().min(1).max(1440).default(1),
  bedrockModelId: z
    .string()
    .regex(/^[A-Za-z0-9:._/-]{1,2048}$/, 'must be a Bedrock model id, inference profile id or ARN')
    .optional(),
  memoryNamespace: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/, 'must be 1-40 chars of a-z, 0-9, -')
    .default('default'),
});
export type ResolvedStackSettings = z.infer<typeof StackPropsSchema>;

/** Validates the props at the construct boundary; the error names the offending field. */
export function resolveStackSettings(props: EksReflexionStackProps): ResolvedStackSettings {
  const parsed = StackPropsSchema.safeParse({
    clusterNames: props.clusterNames,
    policy: props.policy,
    scheduleRateMinutes: props.scheduleRateMinutes,
    bedrockModelId: props.bedrockModelId === '' ? undefined : props.bedrockModelId,
    memoryNamespace: props.memoryNamespace,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new ValidationError(`EksReflexionStack: ${field || 'props'}: ${issue.message}`, field);
  }
  return parsed.data;
}

/**
 * The state machine's hard stop: long enough for every trial to use its whole
 * verify window plus the steps around it, and never under two hours.
 */
export function executionTimeout(policy: PolicyConfig): Duration {
  return Duration.seconds(Math.max(2 * 3600, longestRunSeconds(policy)));
}

/**
 * eks-reflexion for one account and region: memory tables, one function per
 * role, the incident state machine, the detection schedule, the event bus,
 * and EKS access entries for each configured cluster.
 */
export class EksReflexionStack extends Stack {
  readonly settings: ResolvedStackSettings;
  readonly tables: Record<TableDefinition['role'], dynamodb.Table>;
  readonly functions: { [R in FunctionRole]: ReflexionFunction<R> };
  readonly eventBus: events.EventBus;
  readonly incidentStateMachine: IncidentStateMachine;

  constructor(scope: Construct, id: string, props: EksReflexionStackProps) {
    super(scope, id, props);
    const settings = resolveStackSettings(props);
    this.settings = settings;
    const { policy } = settings;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.tables = {
      episodes: this.table('EpisodesTable', TABLES.episodes),
      strategies: this.table('StrategiesTable', TABLES.strategies),
      locks: this.table('LocksTable', TABLES.locks),
    };
    this.eventBus = new events.EventBus(this, 'EventBus', { eventBusName: EVENT_BUS_NAME });

    const common = {
      MEMORY_NAMESPACE: settings.memoryNamespace,
      POLICY: JSON.stringify(policy),
      CLUSTER_NAMES: JSON.stringify(settings.clusterNames),
      POWERTOOLS_SERVICE_NAME: 'eks-reflexion',
    };
    const tableEnv = {
      EPISODES_TABLE: this.tables.episodes.tableName,
      STRATEGIES_TABLE: this.tables.strategies.tableName,
      LOCKS_TABLE: this.tables.locks.tableName,
    };
    const bedrockEnv = settings.bedrockModelId ? { BEDROCK_MODEL_ID: settings.bedrockModelId } : {};
    const make = <R extends FunctionRole>(id: string, role: R, environment: EnvInput<R>, extra?: { memorySize?: number; timeout?: Duration }) =>
      new ReflexionFunction(this, id, { role, environment, logRetention, ...extra });

    const lock = make('LockFunction', 'lock', { ...common, LOCKS_TABLE: tableEnv.LOCKS_TABLE }, { memorySize: 256, timeout: Duration.seconds(20) });
    const analyse = make('AnalyseFunction', 'analyse', { ...common, ...tableEnv, ...bedrockEnv }, { timeout: Duration.seconds(120) });
    const selectStrategy = make('SelectStrategyFunction', 'select-strategy', { ...common, ...tableEnv, ...bedrockEnv }, { timeout: Duration.seconds(120) });
    const remediate = make('RemediateFunction', 'remediate', { ...common, ...tableEnv });
    const verify = make('VerifyFunction', 'verify', { ...common, ...tableEnv });
    const reflect = make('ReflectFunction', 'reflect', { ...common, ...tableEnv, ...bedrockEnv }, { timeout: Duration.seconds(120) });

    this.incidentStateMachine = new IncidentStateMachine(this, 'Incident', {
      functions: {
        lock: lock.function,
        analyse: analyse.function,
        'select-strategy': selectStrategy.function,
        remediate: remediate.function,
        verify: verify.function,
        reflect: reflect.function,
      },
      eventBus: this.eventBus,
      verifyIntervalSeconds: policy.verify.intervalSeconds,
      timeout: executionTimeout(policy),
      logRetention,
    });
    const stateMachine = this.incidentStateMachine.stateMachine;

    // Scanning a large cluster takes longer and more memory than one step.
    const detect = make(
      'DetectFunction',
      'detect',
      { ...common, LOCKS_TABLE: tableEnv.LOCKS_TABLE, STATE_MACHINE_ARN: stateMachine.stateMachineArn, EVENT_BUS_NAME: this.eventBus.eventBusName },
      { memorySize: 1024, timeout: Duration.seconds(300) },
    );
    // Scans are idempotent and the next one is a minute away: a failed or stale scan is dropped, not retried.
    detect.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(2) });
    const actions = make('ActionsFunction', 'actions', {
      ...common,
      ...tableEnv,
      ...bedrockEnv,
      STATE_MACHINE_ARN: stateMachine.stateMachineArn,
    });
    this.functions = { detect, lock, analyse, 'select-strategy': selectStrategy, remediate, verify, reflect, actions };

    // Table access, narrowed to what each step does with memory; detect and verify touch no table.
    const grant = (f: ReflexionFunction<FunctionRole>, role: TableDefinition['role'], access: TableAccess) =>
      f.executionRole.addToPrincipalPolicy(tableStatement(this.tables[role], TABLES[role], access));
    grant(lock, 'locks', 'read-write');
    grant(analyse, 'episodes', 'read');
    grant(selectStrategy, 'episodes', 'read');
    grant(selectStrategy, 'strategies', 'read-write');
    grant(remediate, 'locks', 'read-write'); // cooldown and hourly cap
    grant(reflect, 'episodes', 'read-write');
    grant(reflect, 'strategies', 'read-write');
    grant(reflect, 'locks', 'read-write'); // an undo is an action too
    for (const role of ['episodes', 'strategies', 'locks'] as const) grant(actions, role, 'read-write');

    stateMachine.grantStartExecution(detect.executionRole);
    stateMachine.grantStartExecution(actions.executionRole);
    this.eventBus.grantPutEventsTo(detect.executionRole);

    if (settings.bedrockModelId) {
      const invokeModel = new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        resources: bedrockResourceArns(settings.bedrockModelId),
      });
      for (const f of [analyse, selectStrategy, reflect, actions]) f.executionRole.addToPrincipalPolicy(invokeModel);
    }

    this.grantClusterAccess(settings, [detect, analyse, selectStrategy, verify], [remediate, reflect, actions]);

    const scheduleRole = new iam.Role(this, 'DetectScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'EventBridge Scheduler: invoke the eks-reflexion detect function',
    });
    const schedule = new scheduler.Schedule(this, 'DetectSchedule', {
      description: 'eks-reflexion detection scan',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(settings.scheduleRateMinutes)),
      target: new schedulerTargets.LambdaInvoke(detect.function, {
        role: scheduleRole,
        // The next scan is the retry; a stale scan is worthless.
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      }),
    });

    new EksReflexionDashboard(this, 'Dashboard', {
      stateMachine,
      functions: Object.fromEntries(Object.values(this.functions).map((f) => [f.role, f.function])),
      tables: this.tables,
    });

    this.acknowledgeNagFindings(scheduleRole, settings.bedrockModelId);

    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'ActionsFunctionName', { value: actions.function.functionName, description: 'The direct action API (snake_case payloads)' });
    new CfnOutput(this, 'EpisodesTableName', { value: this.tables.episodes.tableName });
    new CfnOutput(this, 'StrategiesTableName', { value: this.tables.strategies.tableName });
    new CfnOutput(this, 'LocksTableName', { value: this.tables.locks.tableName });
    new CfnOutput(this, 'DetectScheduleName', { value: schedule.scheduleName });
    new CfnOutput(this, 'Mode', { value: policy.mode });
  }

  private table(id: string, def: TableDefinition): dynamodb.Table {
    const table = new dynamodb.Table(this, id, {
      partitionKey: { name: def.partitionKey.name, type: dynamodb.AttributeType.STRING },
      sortKey: { name: def.sortKey.name, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // KMS key managed by AWS: key use shows in CloudTrail, no key policy to maintain.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Episodes and learned strategies are what the system has learned: they outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
      ...(def.ttlAttribute ? { timeToLiveAttribute: def.ttlAttribute } : {}),
    });
    for (const gsi of def.globalIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: { name: gsi.partitionKey.name, type: dynamodb.AttributeType.STRING },
        sortKey: { name: gsi.sortKey.name, type: dynamodb.AttributeType.STRING },
      });
    }
    return table;
  }

  /**
   * EKS API access by IAM role, per cluster. Each function keeps its own
   * execution role (so table and Bedrock grants stay per function), and its
   * access entry says what it may do in Kubernetes: readers view cluster-wide,
   * actors additionally edit in the opt-in namespaces only. Without opt-in
   * namespaces no write access is granted at all: cluster-wide edit would
   * include kube-system.
   */
  private grantClusterAccess(settings: ResolvedStackSettings, readers: ReflexionFunction<FunctionRole>[], actors: ReflexionFunction<FunctionRole>[]): void {
    const policyArn = (name: string) => `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${name}`;
    const clusterArns = settings.clusterNames.map((name) =>
      this.formatArn({ service: 'eks', resource: 'cluster', resourceName: name }),
    );
    const describe = new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: clusterArns });
    const optIn = settings.policy.optInNamespaces;
    const view = { policyArn: policyArn('AmazonEKSViewPolicy'), accessScope: { type: 'cluster' } };
    const edit = optIn.length > 0 ? { policyArn: policyArn('AmazonEKSEditPolicy'), accessScope: { type: 'namespace', namespaces: optIn } } : undefined;

    for (const f of [...readers, ...actors]) f.executionRole.addToPrincipalPolicy(describe);
    settings.clusterNames.forEach((clusterName, index) => {
      for (const f of readers) {
        new eks.CfnAccessEntry(this, `AccessEntry${index}${pascal(f.role)}`, {
          clusterName,
          principalArn: f.executionRole.roleArn,
          type: 'STANDARD',
          accessPolicies: [view],
        });
      }
      for (const f of actors) {
        new eks.CfnAccessEntry(this, `AccessEntry${index}${pascal(f.role)}`, {
          clusterName,
          principalArn: f.executionRole.roleArn,
          type: 'STANDARD',
          accessPolicies: edit ? [view, edit] : [view],
        });
      }
    });

    const writeAccess = edit
      ? `edit in namespaces ${optIn.join(', ')} (remediate, reflect, actions)`
      : 'none: no opt-in namespaces configured, so no function may write to the clusters';
    new CfnOutput(this, 'ClusterWriteAccess', { value: writeAccess, description: 'What the actor functions may change in the configured clusters' });
    if (!edit) {
      Annotations.of(this).addWarningV2(
        'eks-reflexion:no-write-access',
        'No optInNamespaces configured: the functions get read-only EKS access entries. Remediation will be refused by the API server until optInNamespaces is set (or an operator grants namespace access).',
      );
    }
  }

  /**
   * cdk-nag AwsSolutions findings this design accepts, each acknowledged on
   * the construct it concerns (never stack-wide) with its reason.
   */
  private acknowledgeNagFindings(scheduleRole: iam.IRole, bedrockModelId: string | undefined): void {
    const xray = {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) do not support resource-level permissions.',
    };
    const qualified = (f: ReflexionFunction<FunctionRole>) => ({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(f.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: `Invoke on the ${f.role} function's own versions and aliases (ARN:*), granted by CDK next to the unqualified ARN; no other function.`,
    });
    for (const f of Object.values(this.functions) as ReflexionFunction<FunctionRole>[]) Validations.of(f.executionRole).acknowledge(xray);

    const sm = this.incidentStateMachine.stateMachine;
    Validations.of(sm.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing and the CloudWatch Logs vended-log delivery actions (CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) that Step Functions logging needs do not support resource-level permissions.',
      },
      ...(['lock', 'analyse', 'select-strategy', 'remediate', 'verify', 'reflect'] as const).map((r) => qualified(this.functions[r])),
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

/** Converse needs bedrock:InvokeModel on the model, or on the inference profile and the models it routes to. */
export function bedrockResourceArns(modelId: string): string[] {
  if (modelId.startsWith('arn:')) return [modelId];
  const model = profileFoundationModel(modelId);
  if (model) {
    return [
      `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:inference-profile/${modelId}`,
      // A cross-region profile routes to the same model in other regions of its geography.
      `arn:${Aws.PARTITION}:bedrock:*::foundation-model/${model}`,
    ];
  }
  return [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${modelId}`];
}

export type TableAccess = 'read' | 'read-write';
const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'];
const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/**
 * One table's data-plane access: the table and exactly its named indexes
 * (from TABLES), no `index/*` wildcard and no control-plane actions.
 */
export function tableStatement(table: dynamodb.ITable, def: TableDefinition, access: TableAccess): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: access === 'read' ? TABLE_READ_ACTIONS : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS],
    resources: [table.tableArn, ...def.globalIndexes.map((gsi) => `${table.tableArn}/index/${gsi.indexName}`)],
  });
}

function pascal(role: string): string {
  return role
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
