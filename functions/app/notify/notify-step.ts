import { ReflexionError, ValidationError } from '../../domain/errors';
import { factsFromBusEvent, RemediationBusEventSchema, type EscalationFacts } from '../../domain/escalation';
import { describeZodIssue } from '../../domain/zod-issue';
import { SecretUnavailable, type SecretReader } from '../../ports/secrets';
import type { AppDeps } from '../deps';
import { notify, type NotifyChannels, type NotifyResult } from './notify';

/**
 * Where escalations go, as deployed: URLs that are not secret, and the
 * Secrets Manager ids of what is (the PagerDuty routing key, the Slack
 * incoming-webhook URL — its path is the credential — and the webhook's HMAC
 * secret). Values are read at send time through the cached SecretReader and
 * never logged.
 */
export interface NotifierConfig {
  pagerDuty?: { url: string; routingKeySecretId: string };
  slack?: { urlSecretId: string };
  webhook?: { url: string; hmacSecretId: string };
  /** One Slack/webhook message per fingerprint within this window. @default 3600 */
  dedupSeconds?: number;
}

/** A channel failed to deliver: the Lambda's async retry (or the rule's DLQ) gets the event again; sent channels are not repeated. */
export class NotifyFailed extends ReflexionError {
  override readonly name = 'NotifyFailed' as const;
  override readonly retryable = true;
}

export interface NotifyAnswer {
  kind: EscalationFacts['kind'];
  fingerprint: string;
  results: NotifyResult[];
}

/** `http:` only to this machine (tests, a local relay); anything else must be https. */
export function isAllowedOutboundUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** A secret holds the value itself, or a JSON object with the value under `key` (the console's key/value form). */
async function secretValue(secrets: SecretReader, secretId: string, key: string, check: (v: string) => string | undefined): Promise<string> {
  const raw = (await secrets.readSecretString(secretId)).trim();
  let value = raw;
  if (raw.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new SecretUnavailable(`secret ${secretId} starts like JSON but is not JSON`);
    }
    const field = (parsed as Record<string, unknown>)[key];
    if (typeof field !== 'string') throw new SecretUnavailable(`secret ${secretId}: a JSON secret needs a string under '${key}'`);
    value = field.trim();
  }
  const problem = check(value);
  if (problem) throw new SecretUnavailable(`secret ${secretId}: ${problem}`);
  return value;
}

const routingKey = (v: string) => (/^[A-Za-z0-9_-]{8,128}$/.test(v) ? undefined : 'must be a PagerDuty integration (routing) key');
const slackUrl = (v: string) => (isAllowedOutboundUrl(v) ? undefined : 'must be the Slack incoming webhook URL (https)');
const hmacSecret = (v: string) => (v.length >= 16 && v.length <= 1024 ? undefined : 'the HMAC secret must be 16-1024 characters');

/**
 * Reads each configured channel's secret. A channel whose secret cannot be
 * read is left out and reported (the others still send); the values are
 * returned only inside the channels.
 */
export async function resolveChannels(config: NotifierConfig, secrets: SecretReader): Promise<{ channels: NotifyChannels; failed: NotifyResult[] }> {
  const channels: NotifyChannels = {};
  const failed: NotifyResult[] = [];
  const attempt = async (channel: NotifyResult['channel'], read: () => Promise<void>) => {
    try {
      await read();
    } catch (error) {
      if (!(error instanceof SecretUnavailable)) throw error;
      failed.push({ channel, sent: false, reason: error.message });
    }
  };
  const { pagerDuty, slack, webhook } = config;
  if (pagerDuty) {
    await attempt('pagerduty', async () => {
      channels.pagerDuty = { url: pagerDuty.url, routingKey: await secretValue(secrets, pagerDuty.routingKeySecretId, 'routingKey', routingKey) };
    });
  }
  if (slack) {
    await attempt('slack', async () => {
      channels.slack = { url: await secretValue(secrets, slack.urlSecretId, 'url', slackUrl) };
    });
  }
  if (webhook) {
    await attempt('webhook', async () => {
      channels.webhook = { url: webhook.url, secret: await secretValue(secrets, webhook.hmacSecretId, 'secret', hmacSecret) };
    });
  }
  return { channels, failed };
}

/**
 * The notifier function's step: one RemediationEscalated / RemediationResolved
 * bus event (docs/events.md, v1) → PagerDuty, Slack, the signed webhook.
 * A malformed event is a ValidationError (not retried); a channel that did
 * not deliver makes the invocation fail with NotifyFailed after the others
 * sent, so the retry sends only what is missing.
 */
export function notifyStep(settings: () => { config: NotifierConfig; secrets: SecretReader }) {
  let built: ReturnType<typeof settings> | undefined;
  return async (deps: AppDeps, event: unknown): Promise<NotifyAnswer> => {
    built ??= settings();
    const parsed = RemediationBusEventSchema.safeParse(event);
    if (!parsed.success) {
      const { field, message } = describeZodIssue(parsed.error);
      throw new ValidationError(`notify: not a RemediationEscalated/RemediationResolved event: ${message}`, field);
    }
    const facts = factsFromBusEvent(parsed.data);
    const { channels, failed } = await resolveChannels(built.config, built.secrets);
    const sent = await notify(
      { channels, locks: deps.memory.locks, clock: deps.clock, logger: deps.logger, fetch, ...(built.config.dedupSeconds ? { dedupSeconds: built.config.dedupSeconds } : {}) },
      facts,
    );
    const results = [...sent, ...failed];
    deps.logger.info('notify', { kind: facts.kind, fingerprint: facts.fingerprint, results });
    const undelivered = results.filter((r) => !r.sent && !r.reason?.startsWith('duplicate'));
    if (undelivered.length > 0) {
      throw new NotifyFailed(`not delivered to ${undelivered.map((r) => `${r.channel} (${r.reason ?? 'unknown'})`).join(', ')}`);
    }
    return { kind: facts.kind, fingerprint: facts.fingerprint, results };
  };
}
