import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../../ports/clock';
import { SecretUnavailable, type SecretReader } from '../../ports/secrets';

/**
 * Secrets Manager behind the SecretReader port. Values are cached for a short
 * TTL (a rotated secret is picked up within it) and never logged; an error
 * names the secret and the service's error, never the value.
 */
export class SecretsManagerReader implements SecretReader {
  private readonly cache = new Map<string, { value: string; until: number }>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly clock: Clock,
    private readonly ttlSeconds = 300,
  ) {}

  async readSecretString(secretId: string): Promise<string> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(secretId);
    if (cached && cached.until > now) return cached.value;
    let value: string | undefined;
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      value = out.SecretString;
    } catch (error) {
      const e = error as Error;
      throw new SecretUnavailable(`secret ${secretId} could not be read: ${e.name}: ${e.message.slice(0, 200)}`, { cause: error });
    }
    if (value === undefined) throw new SecretUnavailable(`secret ${secretId} has no string value (binary secrets are not supported)`);
    this.cache.set(secretId, { value, until: now + this.ttlSeconds * 1000 });
    return value;
  }
}
