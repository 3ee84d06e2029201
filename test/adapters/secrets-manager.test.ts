import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerReader } from '../../functions/adapters/aws/secrets-manager';
import { loadAlertSecrets } from '../../functions/app/alerts/ingest';
import { SecretUnavailable } from '../../functions/ports/secrets';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server';

/** The real SecretsManagerClient against a local server speaking its JSON 1.1 protocol. */
describe('SecretsManagerReader', () => {
  let server: SecretsManagerServer;
  let now = 0;
  const clock = { now: () => new Date(now) };
  const client = () =>
    new SecretsManagerClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: new NodeHttpHandler(),
      maxAttempts: 1,
    });

  beforeAll(async () => {
    server = await startSecretsManagerServer({ 'eks-reflexion/alerts': JSON.stringify({ pagerduty: 'pd-secret', datadog: 'dd-secret' }), broken: 'not json' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reads the secret with a signed GetSecretValue request and caches it for the TTL', async () => {
    const reader = new SecretsManagerReader(client(), clock, 60);
    const before = server.requests.length;
    expect(await reader.readSecretString('eks-reflexion/alerts')).toContain('pd-secret');
    expect(await reader.readSecretString('eks-reflexion/alerts')).toContain('pd-secret');
    expect(server.requests.length - before).toBe(1);
    const request = server.requests.at(-1)!;
    expect(request.target).toBe('secretsmanager.GetSecretValue');
    expect(request.body).toEqual({ SecretId: 'eks-reflexion/alerts' });
    expect(String(request.headers['authorization'])).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/secretsmanager\/aws4_request/);

    // A rotation is seen once the TTL has passed.
    server.secrets.set('eks-reflexion/alerts', JSON.stringify({ pagerduty: 'rotated' }));
    now += 61_000;
    expect(await reader.readSecretString('eks-reflexion/alerts')).toContain('rotated');
  });

  it.each([
    // The service's own error type reaches the message (and never a value).
    { id: 'missing', message: /secret missing could not be read: ResourceNotFoundException/ },
  ])('$id → $message', async ({ id, message }) => {
    const reader = new SecretsManagerReader(client(), clock);
    await expect(reader.readSecretString(id)).rejects.toBeInstanceOf(SecretUnavailable);
    await expect(reader.readSecretString(id)).rejects.toThrow(message);
  });

  it('the alert secrets document is validated: per-system strings, JSON', async () => {
    const reader = new SecretsManagerReader(client(), clock);
    now += 1_000_000;
    server.secrets.set('eks-reflexion/alerts', JSON.stringify({ pagerduty: 'pd-secret', datadog: 'dd-secret' }));
    expect(await loadAlertSecrets(reader, 'eks-reflexion/alerts')).toEqual({ pagerduty: 'pd-secret', datadog: 'dd-secret' });
    await expect(loadAlertSecrets(reader, 'broken')).rejects.toThrow(/not JSON/);
    server.secrets.set('typo', JSON.stringify({ pagerdutty: 'x' }));
    await expect(loadAlertSecrets(reader, 'typo')).rejects.toThrow(/pagerdutty/);
  });
});
