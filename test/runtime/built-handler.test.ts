import { beforeAll, describe, expect, it } from 'vitest';
import { buildHandler, invokeBuilt, jsonLines } from '../support/built-handler';
import { useDynamoDbLocal } from '../support/dynamodb';
import { incident } from '../memory/fixtures';

/**
 * The middy pipeline as Lambda runs it: the lock handler is bundled the way
 * the CDK construct bundles it, imported once in a fresh Node process, and
 * invoked with a Lambda context against DynamoDB Local (the SDK finds it
 * through AWS_ENDPOINT_URL_DYNAMODB, as it would any configured endpoint).
 * Everything asserted is read from the process's real stdout/stderr.
 */
const dynamo = useDynamoDbLocal();
let bundle: string;
beforeAll(async () => {
  bundle = await buildHandler('lock');
}, 120_000);

const state = (executionId: string) => ({
  executionId,
  incident: incident(),
  mode: 'dry-run',
  trial: 2,
  maxTrials: 3,
  startedAt: '2026-12-06T04:00:00.000Z',
});

describe('a built handler through the middy pipeline', () => {
  it('logs structured lines with the Lambda context and incident keys, emits EMF, and keeps error names', async () => {
    const namespace = dynamo.namespace('pipeline');
    const env = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'eks-reflexion-lock',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      MEMORY_NAMESPACE: namespace,
      POLICY: JSON.stringify({ mode: 'dry-run' }),
      CLUSTER_NAMES: JSON.stringify(['prod-eks']),
      LOCKS_TABLE: dynamo.tables.locks,
      POWERTOOLS_SERVICE_NAME: 'eks-reflexion',
      POWERTOOLS_METRICS_NAMESPACE: 'EksReflexionTest',
    };
    const first = state('exec-one');
    const { stdout, stderr, results } = await invokeBuilt(
      bundle,
      [
        // Cold start: acquires the lock for real.
        { requestId: 'req-1', event: { op: 'acquire', state: first } },
        // Warm: a malformed document must fail with the name the state machine's Catch matches.
        { requestId: 'req-2', event: { op: 'acquire', state: { ...first, incident: { cluster: 'prod-eks' } } } },
      ],
      env,
    );
    const lines = jsonLines(`${stdout}\n${stderr}`);

    // The step really ran against DynamoDB Local.
    expect(results[0]).toMatchObject({ ok: true, result: { lock: { acquired: true, owner: 'exec-one' } } });
    expect(results[1]).toMatchObject({ ok: false, error: { name: 'ValidationError' } });

    // Logger: the step's own line carries the Lambda context and the incident keys.
    const acquire = lines.find((l) => l['message'] === 'lock acquire');
    expect(acquire).toMatchObject({
      level: 'INFO',
      service: 'eks-reflexion',
      function_request_id: 'req-1',
      cold_start: true,
      function_name: 'eks-reflexion-lock',
      executionId: 'exec-one',
      fingerprint: first.incident.fingerprint,
      cluster: 'prod-eks',
      trial: 2,
    });
    // The error middleware logged the failure once, name intact, on the second (warm) request.
    const failed = lines.filter((l) => l['message'] === 'handler failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 'ERROR', errorName: 'ValidationError', function_request_id: 'req-2', cold_start: false, executionId: 'exec-one' });

    // Metrics: EMF documents in the configured namespace, flushed on success and on error.
    const emf = lines.filter((l) => l['_aws'] !== undefined);
    expect(emf.length).toBeGreaterThanOrEqual(1);
    const directives = emf.flatMap((l) => (l['_aws'] as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] }).CloudWatchMetrics);
    expect(new Set(directives.map((d) => d.Namespace))).toEqual(new Set(['EksReflexionTest']));
    const coldStart = emf.find((l) => l['ColdStart'] === 1);
    expect(coldStart).toMatchObject({ service: 'eks-reflexion', function_name: 'eks-reflexion-lock' });
    // Only one cold start in two invocations.
    expect(emf.filter((l) => l['ColdStart'] !== undefined)).toHaveLength(1);
    // Nothing the handler logged is unstructured.
    expect(stdout.split('\n').filter((l) => l.trim() && !l.startsWith('{'))).toEqual([]);
  }, 120_000);
});
