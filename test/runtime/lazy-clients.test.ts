import { describe, expect, it, vi } from 'vitest';
import { COMPLETE_LAMBDA_ENV } from '../support/lambda-env';

/**
 * Cold start (#11 item 7): building a role's dependencies loads DynamoDB and
 * nothing a role may never use; the EKS/Kubernetes, Bedrock, Step Functions
 * and EventBridge clients load on first use (functions/runtime/lazy.ts). The
 * real SDK modules are used; vi.mock only records when each is first loaded.
 */
const loaded = vi.hoisted(() => new Set<string>());
vi.mock('@aws-sdk/client-eks', async (original) => (loaded.add('eks'), original()));
vi.mock('@aws-sdk/client-bedrock-runtime', async (original) => (loaded.add('bedrock'), original()));
vi.mock('@aws-sdk/client-sfn', async (original) => (loaded.add('sfn'), original()));
vi.mock('@aws-sdk/client-eventbridge', async (original) => (loaded.add('eventbridge'), original()));

describe('lazily loaded clients', () => {
  it('nothing but DynamoDB loads when the dependencies are built; each client loads on first use', async () => {
    // Calls fail fast: fake credentials, every AWS endpoint a closed local port.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
    const { buildAwsDeps } = await import('../../functions/runtime/aws-deps');
    const deps = buildAwsDeps('actions', { ...COMPLETE_LAMBDA_ENV, BEDROCK_MODEL_ID: 'anthropic.claude-3-5-sonnet-20240620-v1:0' });
    expect(deps.reasoner.name).toBe('bedrock:anthropic.claude-3-5-sonnet-20240620-v1:0');
    expect([...loaded]).toEqual([]);

    // First use: each call fails (no AWS here) but has loaded its client.
    await deps.cluster('prod-eks').catch(() => undefined);
    expect(loaded.has('eks')).toBe(true);
    await deps.workflow?.start('x', {}).catch(() => undefined);
    expect(loaded.has('sfn')).toBe(true);
    // The action API publishes nothing; a role with a bus does, on first publish.
    expect(loaded.has('eventbridge')).toBe(false);
    const detect = buildAwsDeps('detect', { ...COMPLETE_LAMBDA_ENV });
    expect(loaded.has('eventbridge')).toBe(false);
    await detect.events.publish('IncidentDetected', {}).catch(() => undefined);
    expect(loaded.has('eventbridge')).toBe(true);
    expect(loaded.has('bedrock')).toBe(false);
    vi.unstubAllEnvs();
  }, 60_000);
});
