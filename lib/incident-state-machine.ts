import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RETRYABLE_ERROR_NAMES } from '../functions/domain/errors';
import { EVENT_SCHEMA_VERSION } from '../functions/domain/escalation';
import type { FunctionRole } from '../functions/config/env';
import { EVENT_SOURCE } from '../functions/config/names';

/** Lambda service errors worth retrying; listed explicitly instead of retryOnServiceExceptions. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** Every Lambda task retries exactly these, and nothing else. */
export const TASK_RETRY_ERRORS: readonly string[] = [...RETRYABLE_ERROR_NAMES, ...LAMBDA_SERVICE_ERRORS];

/** Roles whose functions the state machine invokes. */
export type StateMachineRole = Extract<FunctionRole, 'lock' | 'analyse' | 'select-strategy' | 'remediate' | 'verify' | 'reflect' | 'approval'>;

/** Errors that resume RequestApproval with "the object changed since the digest": re-plan and ask again. */
export const APPROVAL_STALE_ERROR = 'ApprovalStale';

export interface IncidentStateMachineProps {
  readonly functions: Readonly<Record<StateMachineRole, lambda.IFunction>>;
  readonly eventBus: events.IEventBus;
  /** Seconds between verification checks (the Wait state). */
  readonly verifyIntervalSeconds: number;
  /** How long RequestApproval waits for approve_action / deny_action before it escalates. */
  readonly approvalTimeoutSeconds: number;
  /** Hard stop for one execution; the lock TTL is the backstop after it. */
  readonly timeout: Duration;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The incident's story as a Standard state machine (JSONPath: the local ASL
 * interpreter ignores JSONata). Every handler takes and returns the whole
 * WorkflowState document. State names are a contract: the local runner, the
 * tests and operators reading executions rely on them.
 *
 * Lock safety: every Choice guards its path with IsPresent (a Choice on a
 * missing path is a runtime error with no Catch), every task after AcquireLock
 * is caught, and every path from there reaches a ReleaseLock* state.
 */
export class IncidentStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: IncidentStateMachineProps) {
    super(scope, id);
    const fn = props.functions;

    const invoke = (name: string, role: StateMachineRole, comment: string) => {
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: fn[role],
        comment,
        payloadResponseOnly: true,
        // No ResultPath: the default ($) replaces the document with the handler's answer. An explicit
        // "$" means the same to Step Functions, but aws-local-stepfunctions 3 nests it under a "$" key.
        retryOnServiceExceptions: false,
      });
      addTaskRetry(task);
      return task;
    };
    const lockTask = (name: string, op: 'acquire' | 'release', resultPath: string | undefined) => {
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: fn.lock,
        comment: op === 'acquire' ? 'One active remediation per workload' : 'Release the workload lock (its TTL is the backstop)',
        payloadResponseOnly: true,
        payload: sfn.TaskInput.fromObject({ op, state: sfn.JsonPath.entirePayload }),
        ...(resultPath ? { resultPath } : {}),
        retryOnServiceExceptions: false,
      });
      addTaskRetry(task);
      return task;
    };
    const publish = (name: string, detailType: 'RemediationResolved' | 'RemediationEscalated', outcome: string) =>
      new tasks.EventBridgePutEvents(this, name, {
        comment: `${detailType} on the ${EVENT_SOURCE} bus`,
        entries: [
          {
            eventBus: props.eventBus,
            source: EVENT_SOURCE,
            detailType,
            // A missing path here is States.Runtime, which no Catch catches: these paths exist in every
            // document after AcquireLock (it validated the document; every handler returns it whole).
            detail: sfn.TaskInput.fromObject({
              // docs/events.md: a new field keeps v1; a removed or retyped one makes v2.
              schemaVersion: EVENT_SCHEMA_VERSION,
              executionId: sfn.JsonPath.stringAt('$$.Execution.Id'),
              fingerprint: sfn.JsonPath.stringAt('$.incident.fingerprint'),
              signature: sfn.JsonPath.stringAt('$.incident.signature'),
              cluster: sfn.JsonPath.stringAt('$.incident.cluster'),
              target: sfn.JsonPath.objectAt('$.incident.target'),
              trial: sfn.JsonPath.numberAt('$.trial'),
              outcome,
            }),
          },
        ],
        // The event is a side effect; the document stays the incident's story.
        resultPath: sfn.JsonPath.DISCARD,
      });

    // Terminal states.
    const alreadyInProgress = new sfn.Succeed(this, 'AlreadyInProgress', { comment: 'Another execution holds this workload' });
    const lockFailed = new sfn.Fail(this, 'LockFailed', { error: 'LockFailed', cause: 'could not acquire the workload lock' });
    const resolved = new sfn.Succeed(this, 'Resolved');
    const escalated = new sfn.Fail(this, 'Escalated', { error: 'Escalated', cause: 'remediation escalated to an operator' });
    const done = new sfn.Succeed(this, 'Done');

    // Lock release on every way out; a failed release still moves on (the lock TTL expires it).
    const releaseResolved = lockTask('ReleaseLockResolved', 'release', '$.lockRelease');
    const releaseEscalated = lockTask('ReleaseLockEscalated', 'release', '$.lockRelease');
    const releaseDone = lockTask('ReleaseLockDone', 'release', '$.lockRelease');
    const publishResolved = publish('PublishResolved', 'RemediationResolved', 'resolved');
    const publishEscalated = publish('PublishEscalated', 'RemediationEscalated', 'escalated');
    publishResolved.addCatch(resolved, { errors: [sfn.Errors.ALL], resultPath: '$.publishError' });
    publishEscalated.addCatch(escalated, { errors: [sfn.Errors.ALL], resultPath: '$.publishError' });
    for (const [release, next] of [
      [releaseResolved, publishResolved],
      [releaseEscalated, publishEscalated],
      [releaseDone, done],
    ] as const) {
      release.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 3 });
      release.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: '$.lockReleaseError' });
      release.next(next);
    }
    publishResolved.next(resolved);
    publishEscalated.next(escalated);

    // Acquire answers the whole document with `lock` set (default ResultPath, see invoke()).
    const acquire = lockTask('AcquireLock', 'acquire', undefined);
    acquire.addCatch(lockFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    const analyse = invoke('Analyse', 'analyse', 'What failed and why, with lessons from similar incidents');
    const select = invoke('SelectStrategy', 'select-strategy', 'Pick an action: learned strategies, seeded defaults, the reasoner');
    const remediations = {
      Restart: 'Restart the pod or roll the deployment',
      Rollback: 'Roll back to the last healthy revision',
      Scale: 'Scale the deployment or its HPA',
      Patch: 'Patch resources, image or probe',
    } as const;
    const [restart, rollback, scale, patch] = (Object.keys(remediations) as (keyof typeof remediations)[]).map((name) =>
      invoke(name, 'remediate', remediations[name]),
    ) as [tasks.LambdaInvoke, tasks.LambdaInvoke, tasks.LambdaInvoke, tasks.LambdaInvoke];
    const wait = new sfn.Wait(this, 'WaitForConvergence', {
      time: sfn.WaitTime.duration(Duration.seconds(props.verifyIntervalSeconds)),
    });
    const verify = invoke('Verify', 'verify', 'Healthy, still converging, or failed (with a stability window)');
    const reflect = invoke('Reflect', 'reflect', 'Write the reflection and lessons, record the outcome, decide the next step');

    // Malformed input fails fast to Escalate; anything else gets reflected on.
    for (const task of [analyse, select, restart, rollback, scale, patch, verify]) {
      task.addCatch(releaseEscalated, { errors: ['ValidationError'], resultPath: '$.error' });
      task.addCatch(reflect, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    }
    reflect.addCatch(releaseEscalated, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const present = (path: string) => sfn.Condition.isPresent(path);
    const actionIs = (...names: string[]) =>
      sfn.Condition.and(
        present('$.decision.action.action'),
        names.length === 1
          ? sfn.Condition.stringEquals('$.decision.action.action', names[0]!)
          : sfn.Condition.or(...names.map((n) => sfn.Condition.stringEquals('$.decision.action.action', n))),
      );

    // The approval gate: Remediate wrote nothing and asks; the execution waits for an operator's answer on
    // its task token (stored by the approval function, never published). Approved → route to Remediate again,
    // which writes only the approved digest. Stale → Remediate re-plans and asks again. Denied, timed out or
    // anything else → Reflect, which escalates with nothing written. No heartbeat: the waiting party is a person.
    const requestApproval = new tasks.LambdaInvoke(this, 'RequestApproval', {
      lambdaFunction: fn.approval,
      comment: "Wait for an operator's approval of the exact change (approve_action / deny_action with the digest)",
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ taskToken: sfn.JsonPath.taskToken, state: sfn.JsonPath.entirePayload }),
      taskTimeout: sfn.Timeout.duration(Duration.seconds(props.approvalTimeoutSeconds)),
      resultPath: '$.approval.grant',
      retryOnServiceExceptions: false,
    });
    addTaskRetry(requestApproval);
    const approvalRequested = sfn.Condition.and(
      present('$.approval.status'),
      sfn.Condition.stringEquals('$.approval.status', 'requested'),
      // Not(IsPresent) rather than IsPresent: false, which aws-local-stepfunctions 3 evaluates as always false.
      sfn.Condition.not(present('$.approval.grant')),
    );

    const applied = new sfn.Choice(this, 'Applied?')
      .when(approvalRequested, requestApproval)
      .when(sfn.Condition.and(present('$.remediation.applied'), sfn.Condition.booleanEquals('$.remediation.applied', true)), wait)
      .otherwise(reflect);
    for (const task of [restart, rollback, scale, patch]) task.next(applied);

    const converged = new sfn.Choice(this, 'Converged?')
      .when(sfn.Condition.and(present('$.verification.status'), sfn.Condition.stringEquals('$.verification.status', 'converging')), wait)
      .otherwise(reflect);
    wait.next(verify);
    verify.next(converged);

    const nextIs = (value: string) => sfn.Condition.and(present('$.next'), sfn.Condition.stringEquals('$.next', value));
    const nextStep = new sfn.Choice(this, 'NextStep?')
      .when(nextIs('resolved'), releaseResolved)
      .when(nextIs('retry'), select)
      .when(nextIs('escalate'), releaseEscalated)
      .otherwise(releaseDone);
    reflect.next(nextStep);

    const route = new sfn.Choice(this, 'RouteAction')
      .when(actionIs('restart_pod', 'rollout_restart'), restart)
      .when(actionIs('rollback_deployment'), rollback)
      .when(actionIs('scale_deployment', 'patch_hpa'), scale)
      .when(actionIs('patch_resources', 'patch_image', 'patch_probe'), patch)
      // escalate, and anything unknown, is decided on by Reflect.
      .otherwise(reflect);
    select.next(route);
    requestApproval.addCatch(route, { errors: [APPROVAL_STALE_ERROR], resultPath: '$.approval.stale' });
    requestApproval.addCatch(reflect, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    requestApproval.next(route);

    analyse.next(select);

    const lockAcquired = new sfn.Choice(this, 'LockAcquired?')
      .when(sfn.Condition.and(present('$.lock.acquired'), sfn.Condition.booleanEquals('$.lock.acquired', true)), analyse)
      .otherwise(alreadyInProgress);
    acquire.next(lockAcquired);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'eks-reflexion: one incident, from lock to resolved or escalated',
      definitionBody: sfn.DefinitionBody.fromChainable(acquire),
      tracingEnabled: true,
      timeout: props.timeout,
      // Execution data stays out of the logs: payloads carry cluster text (logs, events, messages).
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}

function addTaskRetry(task: tasks.LambdaInvoke): void {
  task.addRetry({ errors: [...TASK_RETRY_ERRORS], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 3 });
}
