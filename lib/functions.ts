import { Aws, Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EnvInput, FunctionRole } from '../functions/config/env';
import { SERVICE_NAME } from '../functions/config/telemetry';
import { profileFoundationModel } from '../functions/domain/pricing';
import type { StateMachineRole } from './incident-state-machine';
import type { MemoryTables } from './memory-tables';
import { ReflexionFunction } from './reflexion-function';
import type { ResolvedStackSettings } from './stack-settings';

export interface FunctionsProps {
  readonly settings: ResolvedStackSettings;
  readonly memory: MemoryTables;
  /** The SSM parameter holding the configured mode; the roles that write read it at every write. */
  readonly policyParameter: ssm.IStringParameter;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/** What every function gets, and what the table and Bedrock users get on top. */
function environments(settings: ResolvedStackSettings, memory: MemoryTables) {
  const common = {
    MEMORY_NAMESPACE: settings.memoryNamespace,
    POLICY: JSON.stringify(settings.policy),
    CLUSTER_NAMES: JSON.stringify(settings.clusterNames),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
  };
  const { tables } = memory;
  const tableEnv = {
    EPISODES_TABLE: tables.episodes.tableName,
    STRATEGIES_TABLE: tables.strategies.tableName,
    LOCKS_TABLE: tables.locks.tableName,
  };
  const bedrockEnv = settings.bedrockModelId ? { BEDROCK_MODEL_ID: settings.bedrockModelId } : {};
  return { common, tableEnv, bedrockEnv };
}

/**
 * The roles that check the configured policy at every write (AcquireLock,
 * Remediate, Reflect's undo, the action API) read it from the parameter:
 * its name in their environment, ssm:GetParameter on it and nothing else.
 */
function readsPolicyParameter(parameter: ssm.IStringParameter, fns: readonly ReflexionFunction<FunctionRole>[]): { POLICY_PARAMETER: string } {
  const read = new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameter.parameterArn] });
  for (const f of fns) f.executionRole.addToPrincipalPolicy(read);
  return { POLICY_PARAMETER: parameter.parameterName };
}

/**
 * The seven functions the incident state machine invokes, each with exactly
 * the memory access its step needs.
 */
export interface WorkflowFunctionsProps extends FunctionsProps {
  /** RequestApproval announces ApprovalRequested here. */
  readonly eventBus: events.IEventBus;
}

export class WorkflowFunctions extends Construct {
  readonly functions: { readonly [R in StateMachineRole]: ReflexionFunction<R> };
  /** The same functions as the state machine takes them. */
  readonly lambdas: Readonly<Record<StateMachineRole, lambda.IFunction>>;

  constructor(scope: Construct, id: string, props: WorkflowFunctionsProps) {
    super(scope, id);
    const { settings, memory, logRetention, eventBus } = props;
    const { common, tableEnv, bedrockEnv } = environments(settings, memory);
    const policyEnv = { POLICY_PARAMETER: props.policyParameter.parameterName };
    const make = <R extends FunctionRole>(id: string, role: R, environment: EnvInput<R>, extra?: { memorySize?: number; timeout?: Duration }) =>
      new ReflexionFunction(this, id, { role, environment, ...(logRetention ? { logRetention } : {}), ...extra });

    const lock = make('Lock', 'lock', { ...common, ...policyEnv, LOCKS_TABLE: tableEnv.LOCKS_TABLE }, { memorySize: 256, timeout: Duration.seconds(20) });
    const analyse = make('Analyse', 'analyse', { ...common, ...tableEnv, ...bedrockEnv }, { timeout: Duration.seconds(120) });
    const selectStrategy = make('SelectStrategy', 'select-strategy', { ...common, ...tableEnv, ...bedrockEnv }, { timeout: Duration.seconds(120) });
    const remediate = make('Remediate', 'remediate', { ...common, ...policyEnv, ...tableEnv });
    const verify = make('Verify', 'verify', { ...common, ...tableEnv });
    const reflect = make('Reflect', 'reflect', { ...common, ...policyEnv, ...tableEnv, ...bedrockEnv }, { timeout: Duration.seconds(120) });
    const approval = make('Approval', 'approval', { ...common, LOCKS_TABLE: tableEnv.LOCKS_TABLE, EVENT_BUS_NAME: eventBus.eventBusName }, { memorySize: 256, timeout: Duration.seconds(20) });
    this.functions = { lock, analyse, 'select-strategy': selectStrategy, remediate, verify, reflect, approval };
    this.lambdas = {
      lock: lock.function,
      approval: approval.function,
      analyse: analyse.function,
      'select-strategy': selectStrategy.function,
      remediate: remediate.function,
      verify: verify.function,
      reflect: reflect.function,
    };

    // Table access, narrowed to what each step does with memory; verify touches no table.
    memory.grant(lock.executionRole, 'locks', 'read-write');
    memory.grant(approval.executionRole, 'locks', 'read-write'); // the pending approval and its task token
    eventBus.grantPutEventsTo(approval.executionRole);
    memory.grant(analyse.executionRole, 'episodes', 'read');
    memory.grant(selectStrategy.executionRole, 'episodes', 'read');
    memory.grant(selectStrategy.executionRole, 'strategies', 'read-write');
    memory.grant(selectStrategy.executionRole, 'locks', 'read'); // a candidate rollback's plan excludes revisions action records left failing
    memory.grant(remediate.executionRole, 'locks', 'read-write'); // cooldown and hourly cap
    memory.grant(remediate.executionRole, 'episodes', 'read'); // a rollback excludes revisions past episodes blame
    memory.grant(reflect.executionRole, 'episodes', 'read-write');
    memory.grant(reflect.executionRole, 'strategies', 'read-write');
    memory.grant(reflect.executionRole, 'locks', 'read-write'); // an undo is an action too
    grantInvokeModel(settings.bedrockModelId, [analyse, selectStrategy, reflect]);
    readsPolicyParameter(props.policyParameter, [lock, remediate, reflect]);
  }
}

export interface EntryFunctionsProps extends FunctionsProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly eventBus: events.IEventBus;
}

/**
 * The ways in: the detect function on its EventBridge schedule (starts
 * executions, puts events) and the direct action API.
 */
export class EntryFunctions extends Construct {
  readonly detect: ReflexionFunction<'detect'>;
  readonly actions: ReflexionFunction<'actions'>;
  readonly schedule: scheduler.Schedule;
  readonly scheduleRole: iam.Role;

  constructor(scope: Construct, id: string, props: EntryFunctionsProps) {
    super(scope, id);
    const { settings, memory, logRetention, stateMachine, eventBus } = props;
    const { common, tableEnv, bedrockEnv } = environments(settings, memory);
    const retention = logRetention ? { logRetention } : {};

    // Scanning a large cluster takes longer and more memory than one step.
    this.detect = new ReflexionFunction(this, 'Detect', {
      role: 'detect',
      // Episodes and strategies: a failure seen again soon after a resolved trial counts as that trial's failure (app/recurrence).
      environment: {
        ...common,
        LOCKS_TABLE: tableEnv.LOCKS_TABLE,
        EPISODES_TABLE: tableEnv.EPISODES_TABLE,
        STRATEGIES_TABLE: tableEnv.STRATEGIES_TABLE,
        STATE_MACHINE_ARN: stateMachine.stateMachineArn,
        EVENT_BUS_NAME: eventBus.eventBusName,
      },
      memorySize: 1024,
      timeout: Duration.seconds(300),
      ...retention,
    });
    // Scans are idempotent and the next one is a minute away: a failed or stale scan is dropped, not retried.
    this.detect.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(2) });
    this.actions = new ReflexionFunction(this, 'Actions', {
      role: 'actions',
      environment: { ...common, ...tableEnv, ...bedrockEnv, STATE_MACHINE_ARN: stateMachine.stateMachineArn, POLICY_PARAMETER: props.policyParameter.parameterName },
      ...retention,
    });
    for (const role of ['episodes', 'strategies', 'locks'] as const) memory.grant(this.actions.executionRole, role, 'read-write');
    grantInvokeModel(settings.bedrockModelId, [this.actions]);
    readsPolicyParameter(props.policyParameter, [this.actions]);
    stateMachine.grantStartExecution(this.detect.executionRole);
    // The start claim (one execution per failure at a time) lives in the locks table (startIncidentExecution).
    memory.grant(this.detect.executionRole, 'locks', 'read-write');
    // Recurrence: finds the resolved episode of the fingerprint, marks it in place, revises its strategy's statistics
    // (a transaction: the outcome marker put, the record updated). No delete, no batch write.
    memory.grant(this.detect.executionRole, 'episodes', { writes: ['UpdateItem'] });
    memory.grant(this.detect.executionRole, 'strategies', { writes: ['PutItem', 'UpdateItem'] });
    stateMachine.grantStartExecution(this.actions.executionRole);
    // approve_action / deny_action resume an execution waiting on its task token; nothing else may.
    this.actions.executionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [stateMachine.stateMachineArn] }),
    );
    eventBus.grantPutEventsTo(this.detect.executionRole);

    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'EventBridge Scheduler: invoke the eks-reflexion detect function',
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'eks-reflexion detection scan',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(settings.scheduleRateMinutes)),
      target: new schedulerTargets.LambdaInvoke(this.detect.function, {
        role: this.scheduleRole,
        // The next scan is the retry; a stale scan is worthless.
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      }),
    });
  }
}

/** bedrock:InvokeModel on the configured model only; nothing without a model. */
function grantInvokeModel(modelId: string | undefined, fns: readonly ReflexionFunction<FunctionRole>[]): void {
  if (!modelId) return;
  const invokeModel = new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: bedrockResourceArns(modelId) });
  for (const f of fns) f.executionRole.addToPrincipalPolicy(invokeModel);
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
