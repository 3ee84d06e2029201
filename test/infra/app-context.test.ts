import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../lib/app-context';
import { EnvSchemas, type FunctionRole } from '../../functions/config/env';
import { ROLE_METADATA_KEY } from '../../lib/reflexion-function';
import { resourcesOf, synth, thrownValidationError } from './synth';

/** Every policy knob, as an operator types them (-c strings and cdk.json numbers), and the policy they make. */
const KNOBS = {
  cooldownSeconds: '120',
  maxActionsPerHour: 3,
  maxReplicas: '20',
  maxReplicaStep: '2',
  maxCpu: '2',
  maxMemory: '4Gi',
  maxResourceFactor: '1.5',
  hpaMaxReplicasCeiling: '40',
  approvalRequiredFor: 'scale_deployment,rollback_deployment',
  approvalTimeoutSeconds: '900',
  selectionMethod: 'epsilon-greedy',
  optInLabel: 'eks-reflexion.io/managed=true',
};
const KNOB_POLICY = {
  cooldownSeconds: 120,
  maxActionsPerHour: 3,
  limits: { maxReplicas: 20, maxReplicaStep: 2, maxCpu: '2', maxMemory: '4Gi', maxResourceFactor: 1.5, hpaMaxReplicasCeiling: 40 },
  approvalRequiredFor: ['scale_deployment', 'rollback_deployment'],
  approvalTimeoutSeconds: 900,
  selection: { method: 'epsilon-greedy' },
  optInLabel: 'eks-reflexion.io/managed=true',
};

const fromContext = (context: Record<string, unknown>) => stackPropsFromContext((key) => context[key]);

describe('stackPropsFromContext', () => {
  // cdk.json holds JSON values, `-c` always strings: both must give the same props.
  it.each([
    ['a comma list from -c', { clusterNames: 'prod-eks, staging-eks' }, ['prod-eks', 'staging-eks']],
    ['a JSON array string from -c', { clusterNames: '["prod-eks","staging-eks"]' }, ['prod-eks', 'staging-eks']],
    ['a JSON array from cdk.json', { clusterNames: ['prod-eks'] }, ['prod-eks']],
    ["the singular -c clusterName=prod-eks", { clusterName: 'prod-eks' }, ['prod-eks']],
    ['both keys, deduplicated', { clusterNames: 'a,b', clusterName: 'b' }, ['a', 'b']],
  ])('reads cluster names given as %s', (_why, context, clusters) => {
    expect(fromContext(context).clusterNames).toEqual(clusters);
  });

  it('defaults to dry-run, every minute, the default memory namespace and no Bedrock model', () => {
    const props = fromContext({ clusterNames: 'prod-eks' });
    expect(props).toMatchObject({ scheduleRateMinutes: 1, memoryNamespace: 'default' });
    expect(props.policy).toMatchObject({ mode: 'dry-run', maxTrials: 3, optInNamespaces: [], protectedNamespaces: [] });
    expect(props.bedrockModelId).toBeUndefined();
  });

  it('builds the policy from the context keys, strings or numbers', () => {
    const props = fromContext({
      clusterNames: 'prod-eks',
      mode: 'enforce',
      scheduleRate: '5',
      protectedNamespaces: 'payments',
      optInNamespaces: ['shop', 'web'],
      maxTrials: '4',
      verifyIntervalSeconds: 10,
      verifyTimeoutSeconds: '600',
      bedrockModelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
      memoryNamespace: 'team-a',
    });
    expect(props).toMatchObject({ scheduleRateMinutes: 5, memoryNamespace: 'team-a', bedrockModelId: 'anthropic.claude-3-5-haiku-20241022-v1:0' });
    expect(props.policy).toMatchObject({
      mode: 'enforce',
      protectedNamespaces: ['payments'],
      optInNamespaces: ['shop', 'web'],
      maxTrials: 4,
      verify: { intervalSeconds: 10, timeoutSeconds: 600 },
    });
  });

  it('reads every policy knob from context (-c strings or cdk.json values)', () => {
    const props = fromContext({ clusterNames: 'prod-eks', ...KNOBS });
    expect(props.policy).toMatchObject(KNOB_POLICY);
  });

  // A bad policy knob is reported by the context key the operator typed, not by the policy's inner path.
  it.each([
    ['an action that is not in the catalogue', 'approvalRequiredFor', { approvalRequiredFor: 'delete_everything' }],
    ['an approval wait under a minute', 'approvalTimeoutSeconds', { approvalTimeoutSeconds: '5' }],
    ['an unknown selection method', 'selectionMethod', { selectionMethod: 'random' }],
    ['a replica bound out of range', 'maxReplicas', { maxReplicas: '0' }],
    ['a resource factor that is not a number', 'maxResourceFactor', { maxResourceFactor: 'double' }],
    ['an opt-in label that is not key=value', 'optInLabel', { optInLabel: 'managed' }],
    ['a negative cooldown', 'cooldownSeconds', { cooldownSeconds: '-1' }],
    ['a cooldown over a day', 'cooldownSeconds', { cooldownSeconds: '86401' }],
    ['a cooldown that is not a number', 'cooldownSeconds', { cooldownSeconds: '5m' }],
    ['an hourly cap of zero (would read as "unlimited")', 'maxActionsPerHour', { maxActionsPerHour: '0' }],
    ['an hourly cap over 100', 'maxActionsPerHour', { maxActionsPerHour: 101 }],
    ['a replica bound over 1000', 'maxReplicas', { maxReplicas: '1001' }],
    ['a replica step of zero', 'maxReplicaStep', { maxReplicaStep: '0' }],
    ['a fractional replica step', 'maxReplicaStep', { maxReplicaStep: '1.5' }],
    ['a CPU ceiling that is not a quantity', 'maxCpu', { maxCpu: 'lots' }],
    ['a CPU ceiling of zero', 'maxCpu', { maxCpu: '0' }],
    ['a CPU ceiling under the 10m floor', 'maxCpu', { maxCpu: '5m' }],
    ['a memory ceiling with a unit Kubernetes does not know', 'maxMemory', { maxMemory: '4GB' }],
    ['a memory ceiling under the 32Mi floor', 'maxMemory', { maxMemory: '16Mi' }],
    ['a resource factor under 1 (would only shrink)', 'maxResourceFactor', { maxResourceFactor: '0.5' }],
    ['a resource factor over 4', 'maxResourceFactor', { maxResourceFactor: '8' }],
    ['an HPA ceiling of zero', 'hpaMaxReplicasCeiling', { hpaMaxReplicasCeiling: '0' }],
    ['an approval list that is malformed JSON', 'approvalRequiredFor', { approvalRequiredFor: '["scale_deployment",' }],
    ['an approval wait over a week', 'approvalTimeoutSeconds', { approvalTimeoutSeconds: String(7 * 86_400 + 1) }],
    ['an opt-in label with spaces', 'optInLabel', { optInLabel: 'team = web' }],
  ])('%s → names %s', (_why, key, context) => {
    expect(() => fromContext({ clusterNames: 'a', ...context })).toThrow(new RegExp(`context '${key}'`));
  });

  // Each bad value stops the app with an error that names the context key the operator typed.
  it.each([
    ['an unknown mode', 'mode', { clusterNames: 'a', mode: 'yolo' }],
    ['no cluster at all', 'clusterNames', {}],
    ['a cluster name EKS would refuse', 'clusterNames', { clusterNames: 'bad name!' }],
    ['a malformed JSON list', 'clusterNames', { clusterNames: '["a",' }],
    ['a schedule of zero minutes', 'scheduleRate', { clusterNames: 'a', scheduleRate: '0' }],
    ['a schedule that is not a number', 'scheduleRate', { clusterNames: 'a', scheduleRate: 'often' }],
    ['too many trials', 'maxTrials', { clusterNames: 'a', maxTrials: '11' }],
    ['a verify interval out of range', 'verifyIntervalSeconds', { clusterNames: 'a', verifyIntervalSeconds: '0' }],
    ['an interval not shorter than the timeout', 'verifyIntervalSeconds', { clusterNames: 'a', verifyIntervalSeconds: '120', verifyTimeoutSeconds: '60' }],
    ['a memory namespace with capitals', 'memoryNamespace', { clusterNames: 'a', memoryNamespace: 'Prod' }],
    ['a Bedrock model id with spaces', 'bedrockModelId', { clusterNames: 'a', bedrockModelId: 'claude please' }],
  ])('rejects %s, naming %s', (_why, key, context) => {
    const error = thrownValidationError(() => fromContext(context));
    expect(error.field).toBe(key);
    expect(error.message).toMatch(new RegExp(`^context '${key}'`));
  });
});

describe('context keys reach the functions', () => {
  it('every function parses the knobs from its POLICY variable, as its handler does at cold start', () => {
    const props = fromContext({ clusterNames: 'prod-eks', mode: 'enforce', ...KNOBS });
    const { template } = synth(props);
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const role = fn.Metadata?.[ROLE_METADATA_KEY] as FunctionRole;
      const env = (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
      const policy = EnvSchemas[role].shape.POLICY.parse(env['POLICY']);
      expect(policy, role).toMatchObject({ mode: 'enforce', ...KNOB_POLICY });
    }
    // The approval wait is also the state machine's (RequestApproval's timeout).
    const [sm] = Object.values(resourcesOf(template, 'AWS::StepFunctions::StateMachine'));
    expect(JSON.stringify(sm!.Properties['DefinitionString'])).toContain('\\"TimeoutSeconds\\":900');
  }, 120_000);
});

describe('bin/app.ts', () => {
  it('exits 1 with one clear line naming the bad key, before building anything', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ clusterNames: 'prod-eks', mode: 'yolo' }) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^eks-reflexion: context 'mode': .*"observe".*"dry-run".*"enforce"/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
