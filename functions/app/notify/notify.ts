import { cloudEvent, pagerDutyEvent, signWebhook, slackMessage, type EscalationFacts } from '../../domain/escalation';
import type { Clock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import type { LockStore } from '../../ports/memory';

/** Where escalations go; each channel optional. Secrets come from Secrets Manager in AWS (resolved by the caller). */
export interface NotifyChannels {
  pagerDuty?: { url: string; routingKey: string };
  slack?: { url: string };
  webhook?: { url: string; secret: string };
}

export interface NotifyDeps {
  channels: NotifyChannels;
  /** The dedup marker: one message per channel and fingerprint within `dedupSeconds`. */
  locks: LockStore;
  clock: Clock;
  logger: Logger;
  fetch: typeof fetch;
  dedupSeconds?: number;
}

export interface NotifyResult {
  channel: 'pagerduty' | 'slack' | 'webhook';
  sent: boolean;
  status?: number;
  reason?: string;
}

/**
 * Sends one escalation (or resolution) to every configured channel. Slack
 * and the webhook send once per fingerprint per window (the first execution
 * to claim the marker sends; a repeat of the same incident does not page
 * people again); PagerDuty always gets the event, its dedup_key (the
 * fingerprint) collapses repeats into one alert. A failing channel does not
 * stop the others; it is reported in the result.
 */
export async function notify(deps: NotifyDeps, facts: EscalationFacts): Promise<NotifyResult[]> {
  const results: NotifyResult[] = [];
  const window = deps.dedupSeconds ?? 3600;
  const post = async (channel: NotifyResult['channel'], url: string, body: string, headers: Record<string, string>) => {
    try {
      const response = await deps.fetch(url, { method: 'POST', headers, body });
      results.push({ channel, sent: response.ok, status: response.status, ...(response.ok ? {} : { reason: `HTTP ${response.status}` }) });
    } catch (error) {
      deps.logger.warn('notify failed', { channel, error: (error as Error).message });
      results.push({ channel, sent: false, reason: (error as Error).message });
    }
  };
  const firstFor = async (channel: string) =>
    deps.locks.acquire(`notify#${channel}#${facts.kind}#${facts.fingerprint}`, facts.executionId, window, deps.clock.now());

  const { pagerDuty, slack, webhook } = deps.channels;
  if (pagerDuty) {
    await post('pagerduty', pagerDuty.url, JSON.stringify(pagerDutyEvent(facts, pagerDuty.routingKey)), { 'content-type': 'application/json' });
  }
  if (slack) {
    if (await firstFor('slack')) await post('slack', slack.url, JSON.stringify(slackMessage(facts)), { 'content-type': 'application/json' });
    else results.push({ channel: 'slack', sent: false, reason: `duplicate of fingerprint ${facts.fingerprint}` });
  }
  if (webhook) {
    if (await firstFor('webhook')) {
      const body = JSON.stringify(cloudEvent(facts));
      await post('webhook', webhook.url, body, signWebhook(body, webhook.secret, String(Math.floor(deps.clock.now().getTime() / 1000))));
    } else results.push({ channel: 'webhook', sent: false, reason: `duplicate of fingerprint ${facts.fingerprint}` });
  }
  return results;
}
