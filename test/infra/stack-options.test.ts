import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FunctionRole } from '../../functions/config/env';
import { ValidationError } from '../../functions/domain/errors';
import { bedrockResourceArns, EksReflexionStack, executionTimeout } from '../../lib/eks-reflexion-stack';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { ROLE_METADATA_KEY } from '../../lib/reflexion-function';
import { READER_GROUP, WRITER_GROUP } from '../../functions/adapters/kubernetes/rbac';
import { actionsOf, resourcesOf, statementsOfRole, synth, type Synthesized } from './synth';

/** A configured deployment: one cluster, opt-in namespaces, a Bedrock model, a slower schedule. */
let s: Synthesized;
beforeAll(() => {
  s = synth({
    clusterNames: ['prod-eks'],
    policy: { mode: 'enforce', optInNamespaces: ['shop', 'payments'] },
    bedrockModelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    scheduleRateMinutes: 5,
    memoryNamespace: 'team-a',
    metricsNamespace: 'Team/EksReflexion',
    alarmTopic: true,
  });
}, 120_000);

const roleIdOf = (role: FunctionRole): string => {
  const [, fn] = Object.entries(resourcesOf(s.template, 'AWS::Lambda::Function')).find(([, r]) => r.Metadata?.[ROLE_METADATA_KEY] === role)!;
  return (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
};

describe('with opt-in namespaces', () => {
  it('actors are in the writer group, readers (detect first) only in the reader group; the output names the rbac step', () => {
    const entries = Object.values(resourcesOf(s.template, 'AWS::EKS::AccessEntry')).map((e) => e.Properties);
    const groupsOf = (role: FunctionRole) => entries.find((e) => JSON.stringify(e['PrincipalArn']).includes(roleIdOf(role)))!['KubernetesGroups'];
    // lock reads a pod incident's top controller (AcquireLock keys on it).
    for (const role of ['lock', 'detect', 'analyse', 'select-strategy', 'verify'] as const) expect(groupsOf(role), role).toEqual([READER_GROUP]);
    for (const role of ['remediate', 'reflect', 'actions'] as const) expect(groupsOf(role), role).toEqual([READER_GROUP, WRITER_GROUP]);
    s.template.hasOutput('ClusterWriteAccess', { Value: Match.stringLikeRegexp('shop, payments') });
    s.template.hasOutput('RbacCommand', { Value: 'npx eks-reflexion rbac --namespace shop --namespace payments | kubectl apply -f -' });
  });
});

describe('with a Bedrock model', () => {
  it('only the reasoning roles may invoke it, and only that model', () => {
    const reasoning: FunctionRole[] = ['analyse', 'select-strategy', 'reflect', 'actions'];
    for (const role of ['detect', 'lock', 'analyse', 'select-strategy', 'remediate', 'verify', 'reflect', 'actions'] as FunctionRole[]) {
      const statements = statementsOfRole(s.template, roleIdOf(role)).filter((st) => actionsOf([st]).some((a) => a.startsWith('bedrock:')));
      if (!reasoning.includes(role)) {
        expect(statements, role).toEqual([]);
        continue;
      }
      expect(statements.map((st) => st.Action)).toEqual(['bedrock:InvokeModel']);
      expect(JSON.stringify(statements[0]!.Resource)).toMatch(/:bedrock:",\{"Ref":"AWS::Region"\},"::foundation-model\/anthropic\.claude-3-5-haiku-20241022-v1:0"/);
    }
  });

  it('passes the model id to the reasoning functions', () => {
    const env = (role: FunctionRole) => {
      const [, fn] = Object.entries(resourcesOf(s.template, 'AWS::Lambda::Function')).find(([, r]) => r.Metadata?.[ROLE_METADATA_KEY] === role)!;
      return (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    };
    expect(env('reflect')['BEDROCK_MODEL_ID']).toBe('anthropic.claude-3-5-haiku-20241022-v1:0');
    expect(env('verify')['BEDROCK_MODEL_ID']).toBeUndefined();
    expect(env('verify')['MEMORY_NAMESPACE']).toBe('team-a');
    expect(JSON.parse(String(env('verify')['POLICY']))).toMatchObject({ mode: 'enforce' });
  });

  it('cdk-nag stays clean', () => {
    expect(s.nag.violations.map((v) => v.ruleName)).toEqual([]);
  });

  // Cross-region inference profiles route to the model in other regions; an ARN is taken as given.
  it.each([
    ['a model id', 'anthropic.claude-3-haiku-20240307-v1:0', [/::foundation-model\/anthropic\.claude-3-haiku-20240307-v1:0$/]],
    ['an inference profile', 'us.anthropic.claude-3-5-haiku-20241022-v1:0', [/:inference-profile\/us\.anthropic/, /:bedrock:\*::foundation-model\/anthropic\.claude-3-5-haiku/]],
    ['an ARN', 'arn:aws:bedrock:eu-west-1::foundation-model/x', [/^arn:aws:bedrock:eu-west-1::foundation-model\/x$/]],
  ])('scopes %s', (_why, id, patterns) => {
    const arns = bedrockResourceArns(id);
    expect(arns).toHaveLength(patterns.length);
    arns.forEach((arn, i) => expect(resolveForTest(arn)).toMatch(patterns[i]!));
  });
});

describe('schedule and timeouts', () => {
  it('scans at the configured rate', () => {
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  // The execution must outlive every trial's approval wait and verify window; never less than two hours.
  it.each([
    [{}, 3 * (300 + 600 + 3600)],
    [{ maxTrials: 10, verify: { timeoutSeconds: 3600 } }, 10 * (3600 + 600 + 3600)],
    // A short approval wait on one trial stays under the two-hour floor.
    [{ maxTrials: 1, approvalTimeoutSeconds: 60 }, 7200],
  ])('execution timeout for %j is %i s', (policy, seconds) => {
    expect(executionTimeout(PolicyConfigSchema.parse(policy)).toSeconds()).toBe(seconds);
  });
});

describe('bad props', () => {
  // The construct validates its own props: a caller that skips bin/app.ts still gets a named error.
  it.each([
    ['no clusters', { clusterNames: [] }, 'clusterNames'],
    ['a repeated cluster', { clusterNames: ['a', 'a'] }, 'clusterNames'],
    ['an unknown mode', { clusterNames: ['a'], policy: { mode: 'yolo' } }, 'policy.mode'],
    ['a bad namespace key', { clusterNames: ['a'], memoryNamespace: 'A B' }, 'memoryNamespace'],
  ])('%s → ValidationError naming %s', (_why, props, field) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    let error: unknown;
    try {
      new EksReflexionStack(app, 'Bad', props as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as Error).message).toContain(field);
  });
});

/** A plain-string ARN with its pseudo-parameter tokens shown as <AWS::Region> etc. */
function resolveForTest(arn: string): string {
  const resolved = new Stack(new App(), 'Resolver').resolve(arn) as unknown;
  if (typeof resolved === 'string') return resolved;
  const parts = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join('');
}

describe('with an alarm topic and a metrics namespace', () => {
  it('every alarm notifies the topic (TLS enforced), metrics go to the namespace', () => {
    const [topicId] = Object.keys(resourcesOf(s.template, 'AWS::SNS::Topic'));
    expect(topicId).toBeDefined();
    s.template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
    for (const a of Object.values(resourcesOf(s.template, 'AWS::CloudWatch::Alarm'))) expect(a.Properties['AlarmActions']).toEqual([{ Ref: topicId }]);
    const escalations = Object.values(resourcesOf(s.template, 'AWS::CloudWatch::Alarm')).find((a) => JSON.stringify(a.Properties).includes('IncidentsEscalated'))!;
    expect(JSON.stringify(escalations.Properties)).toContain('"Namespace":"Team/EksReflexion"');
    expect(JSON.stringify(resourcesOf(s.template, 'AWS::SNS::TopicPolicy'))).toContain('aws:SecureTransport');
  });

  it('a namespace AWS reserves is refused, naming the field', () => {
    expect(() => new EksReflexionStack(new App(), 'X', { clusterNames: ['a'], metricsNamespace: 'AWS/Lambda' })).toThrow(/metricsNamespace/);
  });
});
