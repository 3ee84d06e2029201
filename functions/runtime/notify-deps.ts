import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerReader } from '../adapters/aws/secrets-manager';
import { isAllowedOutboundUrl, type NotifierConfig } from '../app/notify/notify-step';
import { EnvSchemas } from '../config/env';
import { ValidationError } from '../domain/errors';
import { systemClock } from '../ports/clock';
import type { SecretReader } from '../ports/secrets';
import type { TraceClient } from './powertools';

/**
 * Composition root for the notifier's own settings (the AppDeps come from
 * buildAwsDeps): the channels from the environment, and one cached Secrets
 * Manager reader, its client traced like the others (values live 5 minutes in memory, never in env or logs).
 */
export function buildNotifier(env: NodeJS.ProcessEnv, traced: TraceClient = (client) => client): { config: NotifierConfig; secrets: SecretReader } {
  const e = EnvSchemas.notify.parse(env);
  for (const [name, url] of [['NOTIFY_PAGERDUTY_URL', e.NOTIFY_PAGERDUTY_URL], ['NOTIFY_WEBHOOK_URL', e.NOTIFY_WEBHOOK_URL]] as const) {
    if (url !== undefined && !isAllowedOutboundUrl(url)) throw new ValidationError(`notify: ${name} must be https`, name);
  }
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  const secrets = new SecretsManagerReader(traced(new SecretsManagerClient({ ...(region ? { region } : {}) })), systemClock);
  return {
    config: {
      ...(e.NOTIFY_PAGERDUTY_SECRET_ARN ? { pagerDuty: { url: e.NOTIFY_PAGERDUTY_URL, routingKeySecretId: e.NOTIFY_PAGERDUTY_SECRET_ARN } } : {}),
      ...(e.NOTIFY_SLACK_SECRET_ARN ? { slack: { urlSecretId: e.NOTIFY_SLACK_SECRET_ARN } } : {}),
      ...(e.NOTIFY_WEBHOOK_URL && e.NOTIFY_WEBHOOK_SECRET_ARN ? { webhook: { url: e.NOTIFY_WEBHOOK_URL, hmacSecretId: e.NOTIFY_WEBHOOK_SECRET_ARN } } : {}),
      dedupSeconds: e.NOTIFY_DEDUP_SECONDS,
    },
    secrets,
  };
}
