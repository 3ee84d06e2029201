import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadAlertSecrets, type AlertIngestConfig, type AlertSecrets } from '../app/alerts/ingest';
import { EnvSchemas } from '../config/env';
import { SecretsManagerReader } from '../adapters/aws/secrets-manager';
import { systemClock } from '../ports/clock';
import type { TraceClient } from './powertools';

/**
 * Composition root for the alert webhook's own settings (the AppDeps come
 * from buildAwsDeps): enabled sources, label mapping, public URL, and the
 * Secrets Manager reader (its client traced like the others). Without a secret ARN every delivery is refused.
 */
export function buildAlertIngest(env: NodeJS.ProcessEnv, traced: TraceClient = (client) => client): { config: AlertIngestConfig; secrets: () => Promise<AlertSecrets> } {
  const e = EnvSchemas.alerts.parse(env);
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  const reader = e.ALERT_SECRET_ARN ? new SecretsManagerReader(traced(new SecretsManagerClient({ ...(region ? { region } : {}) })), systemClock) : undefined;
  const secretId = e.ALERT_SECRET_ARN;
  return {
    config: {
      enabled: e.ALERT_SOURCES,
      labelMapping: e.ALERT_LABEL_MAPPING,
      verify: true,
      ...(secretId ? { secretId } : {}),
      auth: e.WEBHOOK_PUBLIC_URL ? { publicBaseUrl: e.WEBHOOK_PUBLIC_URL } : {},
    },
    secrets: async () => (reader && secretId ? loadAlertSecrets(reader, secretId) : {}),
  };
}
