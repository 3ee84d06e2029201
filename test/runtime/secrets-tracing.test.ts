import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { describe, expect, it, vi } from 'vitest';
import { buildAlertIngest } from '../../functions/runtime/alert-deps';
import { buildNotifier } from '../../functions/runtime/notify-deps';
import { traceClient, type TraceClient } from '../../functions/runtime/powertools';
import { COMPLETE_LAMBDA_ENV } from '../support/lambda-env';

/**
 * The notifier's and the alert webhook's Secrets Manager clients go through
 * the function's Tracer like every other SDK client (buildAwsDeps): the
 * composition root hands its client to the wrapper, and the wrapper is the
 * real Powertools Tracer, which adds the X-Ray SDK's middleware.
 */
const base = COMPLETE_LAMBDA_ENV;
// The Tracer instruments only inside Lambda (it reads AWS_EXECUTION_ENV when constructed).
vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs20.x');
const tracer = new Tracer({ serviceName: 'eks-reflexion' });
vi.unstubAllEnvs();

function recording(): { traced: TraceClient; seen: unknown[] } {
  const seen: unknown[] = [];
  const real = traceClient(tracer);
  return { seen, traced: (client) => (seen.push(client), real(client)) };
}

const xrayMiddleware = (client: unknown): boolean =>
  (client as SecretsManagerClient).middlewareStack.identify().some((m) => /xray/i.test(m));

describe('Secrets Manager client tracing', () => {
  it.each([
    ['notify', () => {
      const r = recording();
      buildNotifier({ ...base, NOTIFY_SLACK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:slack' }, r.traced);
      return r.seen;
    }],
    ['alerts', () => {
      const r = recording();
      buildAlertIngest({ ...base, ALERT_SOURCES: '["alertmanager"]', ALERT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:alerts' }, r.traced);
      return r.seen;
    }],
  ] as const)('%s: its Secrets Manager client is traced', (_role, build) => {
    const seen = build();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(SecretsManagerClient);
    expect(xrayMiddleware(seen[0])).toBe(true);
  });

  it('an untraced client has no X-Ray middleware (the check can fail)', () => {
    expect(xrayMiddleware(new SecretsManagerClient({ region: 'eu-west-1' }))).toBe(false);
  });
});
