import { randomUUID } from 'node:crypto';
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
  /** Per request. @default 10 s */
  timeoutMs?: number;
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
 * stop the others; it is reported in the result, and its marker is given
 * back, so a retry of the same event sends what failed and nothing else
 * (each call claims markers under its own owner id: a redelivered event is a
 * duplicate too).
 */
export async function notify(deps: NotifyDeps, facts: EscalationFacts): Promise<NotifyResult[]> {
  const results: NotifyResult[] = [];
  const window = deps.dedupSeconds ?? 3600;
  const owner = `${facts.executionId}#${randomUUID()}`;
  const markerOf = (channel: string) => `notify#${channel}#${facts.kind}#${facts.fingerprint}`;
  const post = async (channel: NotifyResult['channel'], url: string, body: string, headers: Record<string, string>): Promise<boolean> => {
    try {
      const response = await deps.fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000) });
      results.push({ channel, sent: response.ok, status: response.status, ...(response.ok ? {} : { reason: `HTTP ${response.status}` }) });
      return response.ok;
    } catch (error) {
      // fetch's messages can quote the URL (a Slack URL is a credential): the reason is the error's kind only.
      const reason = failureReason(error);
      deps.logger.warn('notify failed', { channel, reason });
      results.push({ channel, sent: false, reason });
      return false;
    }
  };
  const firstFor = async (channel: string) => deps.locks.acquire(markerOf(channel), owner, window, deps.clock.now());
  const giveBack = async (channel: string) => deps.locks.release(markerOf(channel), owner).catch(() => undefined);

  const { pagerDuty, slack, webhook } = deps.channels;
  if (pagerDuty) {
    await post('pagerduty', pagerDuty.url, JSON.stringify(pagerDutyEvent(facts, pagerDuty.routingKey)), { 'content-type': 'application/json' });
  }
  if (slack) {
    if (await firstFor('slack')) {
      if (!(await post('slack', slack.url, JSON.stringify(slackMessage(facts)), { 'content-type': 'application/json' }))) await giveBack('slack');
    } else results.push({ channel: 'slack', sent: false, reason: `duplicate of fingerprint ${facts.fingerprint}` });
  }
  if (webhook) {
    if (await firstFor('webhook')) {
      const body = JSON.stringify(cloudEvent(facts));
      const signed = signWebhook(body, webhook.secret, String(Math.floor(deps.clock.now().getTime() / 1000)));
      if (!(await post('webhook', webhook.url, body, signed))) await giveBack('webhook');
    } else results.push({ channel: 'webhook', sent: false, reason: `duplicate of fingerprint ${facts.fingerprint}` });
  }
  return results;
}

/** What went wrong in words that never carry the URL or a header: the error's name and its cause's code. */
function failureReason(error: unknown): string {
  const e = error as { name?: string; cause?: { code?: unknown } };
  const code = typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  return `request failed: ${e.name ?? 'Error'}${code ? ` (${code})` : ''}`;
}
