import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors';
import { buildAwsDeps } from '../../functions/runtime/aws-deps';
import { FUNCTION_ROLES, type FunctionRole } from '../../functions/config/env';
import { COMPLETE_LAMBDA_ENV } from '../support/lambda-env';

/**
 * The Lambda composition root: each role validates its environment at cold
 * start and names the variable that is wrong; a valid one builds the adapters
 * without touching AWS (clients resolve credentials on first use only).
 */
const base = COMPLETE_LAMBDA_ENV;

describe('buildAwsDeps', () => {
  it.each(FUNCTION_ROLES)('%s: a complete environment builds the dependencies', (role) => {
    const deps = buildAwsDeps(role, { ...base });
    expect(deps.clusterNames).toEqual(['prod-eks']);
    expect(deps.policy.mode).toBe('enforce');
    expect(deps.memory.namespace).toBe('prod');
    // No model configured: the deterministic reasoner is the default.
    expect(deps.reasoner.name).toBe('deterministic');
  });

  it('a configured Bedrock model id selects the Bedrock reasoner', () => {
    expect(buildAwsDeps('analyse', { ...base, BEDROCK_MODEL_ID: 'anthropic.claude-3-5-sonnet-20240620-v1:0' }).reasoner.name).not.toBe('deterministic');
  });

  it('roles that start executions get a workflow starter; the others do not', () => {
    expect(buildAwsDeps('detect', { ...base }).workflow).toBeDefined();
    expect(buildAwsDeps('actions', { ...base }).workflow).toBeDefined();
    expect(buildAwsDeps('verify', { ...base }).workflow).toBeUndefined();
  });

  const bad: { why: string; role: FunctionRole; env: Record<string, string | undefined>; field: string }[] = [
    // Each case is one operator mistake; the error must name the variable, not crash later.
    { why: 'policy that is not JSON', role: 'remediate', env: { POLICY: '{mode: enforce' }, field: 'POLICY' },
    { why: 'policy with an unknown mode', role: 'remediate', env: { POLICY: JSON.stringify({ mode: 'yolo' }) }, field: 'POLICY.mode' },
    { why: 'a verify interval not below its timeout (the rule lives in the policy schema, not only the CDK context)', role: 'verify', env: { POLICY: JSON.stringify({ verify: { intervalSeconds: 120, timeoutSeconds: 60 } }) }, field: 'POLICY.verify.intervalSeconds' },
    { why: 'no cluster configured', role: 'detect', env: { CLUSTER_NAMES: '[]' }, field: 'CLUSTER_NAMES' },
    { why: 'a memory namespace with capitals', role: 'reflect', env: { MEMORY_NAMESPACE: 'Prod' }, field: 'MEMORY_NAMESPACE' },
    { why: 'detect without the state machine to start', role: 'detect', env: { STATE_MACHINE_ARN: undefined }, field: 'STATE_MACHINE_ARN' },
    { why: 'a step role without its table', role: 'analyse', env: { EPISODES_TABLE: undefined }, field: 'EPISODES_TABLE' },
    { why: 'no region', role: 'lock', env: { AWS_REGION: undefined }, field: 'AWS_REGION' },
  ];
  it.each(bad)('$why → ValidationError naming $field', ({ role, env, field }) => {
    const merged: Record<string, string | undefined> = { ...base, ...env };
    for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
    let error: unknown;
    try {
      buildAwsDeps(role, merged);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as Error).message).toContain(field);
  });
});
