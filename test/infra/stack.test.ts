import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../functions/adapters/dynamodb/tables';
import { EnvSchemas, FUNCTION_ROLES, type FunctionRole } from '../../functions/config/env';
import { EKS_ACTOR_ROLES, EKS_READER_ROLES, EksReflexionStack } from '../../lib/eks-reflexion-stack';
import { READER_GROUP, WRITER_GROUP } from '../../functions/adapters/kubernetes/rbac';
import { TABLE_LOGICAL_IDS } from '../../lib/memory-tables';
import { addNagChecks } from '../../lib/nag';
import { ROLE_METADATA_KEY } from '../../lib/reflexion-function';
import { actionsOf, resourcesOf, statementsOfRole, synth, type Synthesized } from './synth';

/**
 * The default deployment (two clusters, no opt-in namespaces, no Bedrock
 * model) plus a Slack notifier, so the optional notify role goes through
 * every per-role check below (test/infra/notifier.test.ts covers its options).
 */
let s: Synthesized;
beforeAll(() => {
  s = synth({ clusterNames: ['prod-eks', 'staging-eks'], notify: { slack: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:eks-reflexion/slack-AbCdEf' } } });
}, 120_000);

const functionsByRole = () => {
  const out = {} as Record<FunctionRole, { logicalId: string; props: Record<string, unknown>; roleLogicalId: string }>;
  for (const [logicalId, r] of Object.entries(resourcesOf(s.template, 'AWS::Lambda::Function'))) {
    const role = r.Metadata?.[ROLE_METADATA_KEY] as FunctionRole;
    const roleRef = r.Properties['Role'] as { 'Fn::GetAtt': [string, string] };
    out[role] = { logicalId, props: r.Properties, roleLogicalId: roleRef['Fn::GetAtt'][0] };
  }
  return out;
};

/** The newest nodejsNN.x runtime aws-cdk-lib knows, found by reflection rather than written down. */
const newestNodeRuntime = (): string => {
  const names = Object.values(lambda.Runtime)
    .filter((r): r is lambda.Runtime => r instanceof lambda.Runtime && /^nodejs\d+\.x$/.test(r.name))
    .map((r) => r.name);
  return names.sort((a, b) => Number(/\d+/.exec(b)![0]) - Number(/\d+/.exec(a)![0]))[0]!;
};

describe('memory tables', () => {
  it('creates exactly one table per TABLES entry, keys and indexes from TABLES', () => {
    const tables = resourcesOf(s.template, 'AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(Object.keys(TABLES).length);
    for (const def of Object.values(TABLES)) {
      const [, table] = Object.entries(tables).find(([id]) => id.toLowerCase().startsWith(def.role))!;
      expect(table.Properties['KeySchema']).toEqual([
        { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: def.sortKey.name, KeyType: 'RANGE' },
      ]);
      const gsis = (table.Properties['GlobalSecondaryIndexes'] ?? []) as { IndexName: string; KeySchema: unknown }[];
      expect(gsis.map((g) => [g.IndexName, g.KeySchema])).toEqual(
        def.globalIndexes.map((g) => [
          g.indexName,
          [
            { AttributeName: g.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: g.sortKey.name, KeyType: 'RANGE' },
          ],
        ]),
      );
      // TTL exactly where TABLES says (locks), nowhere else.
      expect(table.Properties['TimeToLiveSpecification']).toEqual(
        def.ttlAttribute ? { AttributeName: def.ttlAttribute, Enabled: true } : undefined,
      );
    }
  });

  it('the tables keep the logical ids they were first deployed with (a new id would orphan the learned memory)', () => {
    const ids = Object.keys(resourcesOf(s.template, 'AWS::DynamoDB::Table')).sort();
    expect(ids).toEqual(Object.values(TABLE_LOGICAL_IDS).sort());
    expect(TABLE_LOGICAL_IDS).toEqual({ episodes: 'EpisodesTable1EB783DF', strategies: 'StrategiesTable4573A895', locks: 'LocksTable0C14848D' });
  });

  it('every table is on-demand, point-in-time recoverable, encrypted, deletion-protected and retained', () => {
    for (const table of Object.values(resourcesOf(s.template, 'AWS::DynamoDB::Table'))) {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      });
      // Learned memory must survive a stack delete or a replacement.
      expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    }
  });
});

describe('functions', () => {
  it('has one function per role, and nothing else', () => {
    expect(Object.keys(functionsByRole()).sort()).toEqual([...FUNCTION_ROLES].sort());
    expect(Object.keys(resourcesOf(s.template, 'AWS::Lambda::Function'))).toHaveLength(FUNCTION_ROLES.length);
  });

  it('every function runs on the newest Node.js runtime, arm64, with active tracing and its own log group', () => {
    const newest = newestNodeRuntime();
    expect(newest).toBe('nodejs24.x');
    for (const f of Object.values(functionsByRole())) {
      expect(f.props).toMatchObject({
        Runtime: newest,
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/Logs/) } },
      });
    }
    s.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
  });

  it.each(FUNCTION_ROLES)("%s's environment passes the schema its handler parses at cold start", (role) => {
    const env = (functionsByRole()[role].props['Environment'] as { Variables: Record<string, unknown> }).Variables;
    // Deploy-time references (table names, ARNs) become placeholder strings.
    const asStrings = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : `token-${k}`]));
    const parsed = EnvSchemas[role].safeParse(asStrings);
    expect(parsed.success, parsed.success ? '' : parsed.error.message).toBe(true);
    expect(JSON.parse(asStrings['CLUSTER_NAMES']!)).toEqual(['prod-eks', 'staging-eks']);
    expect(JSON.parse(asStrings['POLICY']!)).toMatchObject({ mode: 'dry-run' });
    expect(env['BEDROCK_MODEL_ID']).toBeUndefined();
  });

  it('each function has its own execution role with no managed policy', () => {
    const fns = Object.values(functionsByRole());
    expect(new Set(fns.map((f) => f.roleLogicalId)).size).toBe(fns.length);
    const roles = resourcesOf(s.template, 'AWS::IAM::Role');
    for (const f of fns) expect(roles[f.roleLogicalId]!.Properties['ManagedPolicyArns']).toBeUndefined();
  });
});

describe('least privilege', () => {
  // Actions AWS offers no resource-level permissions for; nothing else may have Resource '*'.
  const LOG_DELIVERY = ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'];
  it('no statement anywhere grants a wildcard action; Resource * only for X-Ray, and log delivery on the state machine', () => {
    const smRole = Object.keys(resourcesOf(s.template, 'AWS::IAM::Role')).find((id) => id.startsWith('IncidentStateMachineRole'))!;
    for (const policy of Object.values(resourcesOf(s.template, 'AWS::IAM::Policy'))) {
      const onStateMachine = JSON.stringify(policy.Properties['Roles']).includes(smRole);
      for (const st of (policy.Properties['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement) {
        const actions = [st.Action].flat();
        for (const action of actions) expect(action, `wildcard action ${action}`).not.toContain('*');
        if ([st.Resource].flat().includes('*')) {
          const allowed = actions.filter((a) => a.startsWith('xray:') || (onStateMachine && LOG_DELIVERY.includes(a)));
          expect(allowed, `Resource * for ${actions.join(',')}`).toEqual(actions);
        }
      }
    }
  });

  // What each role may do, by action; a new grant must be added here on purpose.
  const expected: Record<FunctionRole, { dynamodbTables: string[]; extra: string[] }> = {
    // Locks: the start claim of each incident it starts; Episodes and Strategies: recurrence (a failure back soon
    // after a resolved trial revises that trial's strategy).
    detect: { dynamodbTables: ['Episodes', 'Locks', 'Strategies'], extra: ['states:StartExecution', 'events:PutEvents', 'eks:DescribeCluster'] },
    // AcquireLock reads a pod incident's top controller (its lock key): a reader of the cluster.
    lock: { dynamodbTables: ['Locks'], extra: ['ssm:GetParameter', 'eks:DescribeCluster'] },
    // RequestApproval: the pending approval beside the locks, ApprovalRequested on the bus; no cluster access.
    approval: { dynamodbTables: ['Locks'], extra: ['events:PutEvents'] },
    analyse: { dynamodbTables: ['Episodes'], extra: ['eks:DescribeCluster'] },
    // Episodes and Locks (read only): a candidate rollback is planned before it is chosen, excluding revisions known failing.
    'select-strategy': { dynamodbTables: ['Episodes', 'Locks', 'Strategies'], extra: ['eks:DescribeCluster'] },
    // Episodes: rollback_deployment's target excludes revisions past incidents blame (read only).
    remediate: { dynamodbTables: ['Episodes', 'Locks'], extra: ['eks:DescribeCluster', 'ssm:GetParameter'] },
    verify: { dynamodbTables: [], extra: ['eks:DescribeCluster'] },
    reflect: { dynamodbTables: ['Episodes', 'Locks', 'Strategies'], extra: ['eks:DescribeCluster', 'ssm:GetParameter'] },
    actions: { dynamodbTables: ['Episodes', 'Locks', 'Strategies'], extra: ['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'eks:DescribeCluster', 'ssm:GetParameter'] },
    // Locks: the start claim of each confirmed incident it starts; Episodes and Strategies: recurrence, as in detect.
    alerts: { dynamodbTables: ['Episodes', 'Locks', 'Strategies'], extra: ['states:StartExecution', 'events:PutEvents', 'eks:DescribeCluster'] },
    // Escalations out: its dedup markers beside the locks and the configured secrets; no cluster, no bus writes.
    notify: { dynamodbTables: ['Locks'], extra: ['secretsmanager:GetSecretValue'] },
  };
  it.each(FUNCTION_ROLES)('%s gets only what its step does', (role) => {
    const statements = statementsOfRole(s.template, functionsByRole()[role].roleLogicalId);
    const nonBaseline = [...new Set(actionsOf(statements))].filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:') && !a.startsWith('dynamodb:'));
    expect(nonBaseline.sort()).toEqual([...expected[role].extra].sort());
    const tables = statements
      .filter((st) => actionsOf([st]).some((a) => a.startsWith('dynamodb:')))
      .flatMap((st) => [st.Resource].flat())
      .map((r) => JSON.stringify(r).match(/"(Episodes|Strategies|Locks)Table/)?.[1])
      .filter((t): t is string => t !== undefined);
    expect([...new Set(tables)].sort()).toEqual(expected[role].dynamodbTables);
  });

  it('write access to memory only where the step writes (analyse reads episodes, never writes)', () => {
    const analyse = statementsOfRole(s.template, functionsByRole().analyse.roleLogicalId);
    expect(actionsOf(analyse).filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(
      ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'].sort(),
    );
  });

  // Why each role: recurrence only marks the episode (UpdateItem) and revises the strategy (a transaction: outcome
  // marker put, record updated). The alert webhook has a public URL; the detector runs every minute unattended.
  // Neither may delete or batch-write memory.
  it.each(['alerts', 'detect'] as const)('%s writes episodes and strategies only in place: no delete, no batch write', (role) => {
    const statements = statementsOfRole(s.template, functionsByRole()[role].roleLogicalId);
    const writesOn = (table: string) =>
      actionsOf(statements.filter((st) => JSON.stringify(st.Resource).includes(`${table}Table`)))
        .filter((a) => /Put|Update|Delete|BatchWrite/.test(a))
        .sort();
    expect(writesOn('Episodes')).toEqual(['dynamodb:UpdateItem']);
    expect(writesOn('Strategies')).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  it('logs go only to the function’s own log group', () => {
    for (const f of Object.values(functionsByRole())) {
      const logStatements = statementsOfRole(s.template, f.roleLogicalId).filter((st) => actionsOf([st]).some((a) => a.startsWith('logs:')));
      const logGroupRef = (f.props['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref;
      for (const st of logStatements) expect(JSON.stringify(st.Resource)).toContain(logGroupRef);
    }
  });

  it('eks:DescribeCluster only on the configured clusters', () => {
    const st = statementsOfRole(s.template, functionsByRole().detect.roleLogicalId).find((x) => actionsOf([x]).includes('eks:DescribeCluster'))!;
    const resources = JSON.stringify(st.Resource);
    expect(resources).toContain(':cluster/prod-eks');
    expect(resources).toContain(':cluster/staging-eks');
    expect([st.Resource].flat()).toHaveLength(2);
  });

  it('grants no Bedrock access when no model is configured', () => {
    for (const policy of Object.values(resourcesOf(s.template, 'AWS::IAM::Policy'))) {
      expect(JSON.stringify(policy.Properties)).not.toContain('bedrock:');
    }
  });
});

describe('EKS access entries', () => {
  const entries = () => Object.values(resourcesOf(s.template, 'AWS::EKS::AccessEntry')).map((e) => e.Properties);
  const roleOfPrincipal = (principal: unknown) => {
    const id = (principal as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return (Object.entries(functionsByRole()) as [FunctionRole, { roleLogicalId: string }][]).find(([, f]) => f.roleLogicalId === id)![0];
  };

  it('one entry per cluster per function that talks to the cluster', () => {
    const pairs = entries().map((e) => `${String(e['ClusterName'])}/${roleOfPrincipal(e['PrincipalArn'])}`);
    const roles = [...EKS_READER_ROLES, ...EKS_ACTOR_ROLES];
    expect(pairs.sort()).toEqual(['prod-eks', 'staging-eks'].flatMap((c) => roles.map((r) => `${c}/${r}`)).sort());
    // The lock function reads (a pod incident's top controller keys its lock), never writes.
    expect(pairs.filter((p) => p.endsWith('/lock'))).toEqual(['prod-eks/lock', 'staging-eks/lock']);
  });

  it("a cluster's entries keep their logical ids when the cluster list is reordered or shortened", () => {
    const idsFor = (clusterNames: string[]) => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
      const stack = new EksReflexionStack(app, 'EksReflexion', { clusterNames });
      const resources = stack.resolve((app.synth().getStackByName('EksReflexion').template as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }).Resources) as Record<string, { Type: string; Properties: Record<string, unknown> }>;
      return Object.entries(resources)
        .filter(([, r]) => r.Type === 'AWS::EKS::AccessEntry')
        .map(([id, r]) => `${String(r.Properties['ClusterName'])}=${id}`)
        .sort();
    };
    const both = idsFor(['prod-eks', 'staging-eks']);
    expect(idsFor(['staging-eks', 'prod-eks'])).toEqual(both);
    // Dropping the first cluster must not rename (and so replace) the second one's entries.
    expect(idsFor(['staging-eks'])).toEqual(both.filter((e) => e.startsWith('staging-eks=')));
  });

  it('entries map roles to our Kubernetes groups, never to an AWS access policy (edit would read Secrets and exec)', () => {
    for (const e of entries()) {
      expect(e['AccessPolicies']).toBeUndefined();
      const role = roleOfPrincipal(e['PrincipalArn']);
      // Readers (detect first) only in the reader group; the writer group's Role exists only where rbac --namespace put it.
      expect(e['KubernetesGroups'], role).toEqual((EKS_READER_ROLES as readonly string[]).includes(role) ? [READER_GROUP] : [READER_GROUP, WRITER_GROUP]);
    }
  });

  it('says so in an output and a synth warning', () => {
    s.template.hasOutput('ClusterWriteAccess', { Value: Match.stringLikeRegexp('^none') });
    s.template.hasOutput('RbacCommand', { Value: 'npx eks-reflexion rbac | kubectl apply -f -' });
    const warnings = s.app.synth().getStackByName(s.stack.stackName).messages.filter((m) => m.level === 'warning');
    expect(warnings.map((w) => String(w.entry.data))).toEqual(expect.arrayContaining([expect.stringContaining('No optInNamespaces configured')]));
  });
});

describe('schedule, bus and state machine wiring', () => {
  it('an EventBridge schedule invokes detect every minute, without retries', () => {
    const detect = functionsByRole().detect.logicalId;
    s.template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: { Arn: { 'Fn::GetAtt': [detect, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } },
    });
  });

  it('a failed or stale scan is dropped, not retried by Lambda', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionsByRole().detect.logicalId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 120,
    });
  });

  it('the bus has a name of its own stack (two stacks per account must not collide); detect may put events on it', () => {
    const names = ['EksReflexionA', 'EksReflexionB'].map((id) => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
      const stack = new EksReflexionStack(app, id, { clusterNames: ['prod-eks'] });
      const [bus] = Object.values(resourcesOf(Template.fromStack(stack), 'AWS::Events::EventBus'));
      return bus!.Properties['Name'];
    });
    // Both generated from the stack's own name, so they differ.
    expect(typeof names[0]).toBe('string');
    expect(names[0]).not.toEqual(names[1]);
    const detectEnv = (functionsByRole().detect.props['Environment'] as { Variables: Record<string, unknown> }).Variables;
    const [busId] = Object.keys(resourcesOf(s.template, 'AWS::Events::EventBus'));
    expect(detectEnv['EVENT_BUS_NAME']).toEqual({ Ref: busId });
    const detectActions = actionsOf(statementsOfRole(s.template, functionsByRole().detect.roleLogicalId));
    expect(detectActions).toContain('events:PutEvents');
  });

  it('detect and actions know the state machine; it is Standard, traced, logged without execution data', () => {
    const [smId, sm] = Object.entries(resourcesOf(s.template, 'AWS::StepFunctions::StateMachine'))[0]!;
    expect(sm.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    for (const role of ['detect', 'actions'] as const) {
      const env = (functionsByRole()[role].props['Environment'] as { Variables: Record<string, unknown> }).Variables;
      expect(env['STATE_MACHINE_ARN']).toEqual({ Ref: smId });
    }
  });
});

describe('dashboard', () => {
  it('shows incidents by outcome and every function', () => {
    const [dashboard] = Object.values(resourcesOf(s.template, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties['DashboardBody']);
    for (const metric of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut']) expect(body).toContain(metric);
    for (const role of FUNCTION_ROLES) expect(body).toContain(`\\"label\\":\\"${role}\\"`);
  });
});

describe('policy parameter, metrics and alarms', () => {
  it('the mode lives in an SSM parameter; exactly the roles that check it at a write read it, and only it', () => {
    const [paramId, param] = Object.entries(resourcesOf(s.template, 'AWS::SSM::Parameter'))[0]!;
    expect(param.Properties).toMatchObject({ Type: 'String', Value: 'dry-run' });
    s.template.hasOutput('PolicyParameterName', { Value: { Ref: paramId } });
    for (const role of FUNCTION_ROLES) {
      const env = (functionsByRole()[role].props['Environment'] as { Variables: Record<string, unknown> }).Variables;
      const reads = ['lock', 'remediate', 'reflect', 'actions'].includes(role);
      expect(env['POLICY_PARAMETER'], role).toEqual(reads ? { Ref: paramId } : undefined);
      const ssm = statementsOfRole(s.template, functionsByRole()[role].roleLogicalId).filter((st) => actionsOf([st]).some((a) => a.startsWith('ssm:')));
      for (const st of ssm) expect(JSON.stringify(st.Resource)).toContain(paramId);
    }
  });

  it('functions emit metrics in the configured namespace (default EksReflexion)', () => {
    for (const role of ['detect', 'remediate', 'reflect'] as const) {
      const env = (functionsByRole()[role].props['Environment'] as { Variables: Record<string, unknown> }).Variables;
      expect(env['POWERTOOLS_METRICS_NAMESPACE']).toBe('EksReflexion');
    }
  });

  it('alarms on escalations, failed and timed-out executions, throttles and every function’s errors; no topic unless asked', () => {
    const alarms = Object.values(resourcesOf(s.template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const byMetric = (name: string) => alarms.filter((a) => a['MetricName'] === name);
    const escalations = alarms.filter((a) => JSON.stringify(a).includes('"MetricName":"IncidentsEscalated"'));
    expect(escalations).toHaveLength(1);
    expect(JSON.stringify(escalations[0])).toContain('"Dimensions":[{"Name":"service","Value":"eks-reflexion"}],"MetricName":"IncidentsEscalated","Namespace":"EksReflexion"');
    expect(byMetric('ExecutionsFailed')).toHaveLength(1);
    expect(byMetric('ExecutionsTimedOut')).toHaveLength(1);
    expect(byMetric('Errors')).toHaveLength(FUNCTION_ROLES.length);
    expect(alarms.filter((a) => JSON.stringify(a['Metrics'] ?? '').includes('Throttles'))).toHaveLength(1);
    for (const a of alarms) expect(a['AlarmActions']).toBeUndefined();
    s.template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('the dashboard graphs the SRE metrics', () => {
    const [dashboard] = Object.values(resourcesOf(s.template, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties['DashboardBody']);
    for (const metric of ['IncidentsDetected', 'Remediations', 'IncidentsResolved', 'TimeToRecover', 'TrialsPerIncident', 'ReasonerCostMicroUsd', 'PodsScanned', 'ScanDuration', 'VerificationFailures']) {
      expect(body, metric).toContain(metric);
    }
  });
});

describe('cdk-nag', () => {
  it('AwsSolutions finds no unacknowledged error or warning', () => {
    const findings = s.nag.violations.map((v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`);
    expect(findings).toEqual([]);
  });

  it('is live: a wildcard policy added to the same stack is reported', () => {
    // Guards against a check that silently passes everything (e.g. acknowledged stack-wide).
    const { app, stack } = synthFresh();
    new iam.Policy(stack, 'TooBroad', {
      statements: [new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] })],
      roles: [stack.functions.verify.executionRole],
    });
    const report = addNagChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-IAM5[Action::s3:*]']));
  });
});

/** A fresh app: the shared one is already synthesized and cannot take new constructs. */
function synthFresh() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new EksReflexionStack(app, 'EksReflexion', { clusterNames: ['prod-eks'] });
  return { app, stack };
}
