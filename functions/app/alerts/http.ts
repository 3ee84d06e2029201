import { HTTP_STATUS, isAlertError } from '../../domain/alerts/errors';
import type { Delivery } from '../../domain/alerts/types';
import type { AppDeps } from '../deps';
import { ingestDelivery, type AlertIngestConfig, type AlertSecrets } from './ingest';

export interface HttpAnswer {
  statusCode: number;
  body: string;
}

const json = (statusCode: number, value: unknown): HttpAnswer => ({ statusCode, body: JSON.stringify(value) });

/**
 * One HTTP delivery → one HTTP answer, the same for the Lambda Function URL
 * and `webhook serve`: 200 with the report; 400/401/404/413 with
 * `{ok:false, error:{code, message}}` naming the problem (senders do not
 * retry 4xx); 405 for anything but POST/PUT; 500 without internals.
 */
export async function answerDelivery(
  deps: AppDeps,
  config: AlertIngestConfig,
  secrets: () => Promise<AlertSecrets>,
  method: string,
  delivery: Delivery,
): Promise<HttpAnswer> {
  if (method !== 'POST' && method !== 'PUT') return json(405, { ok: false, error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not accepted; POST the alert` } });
  try {
    return json(200, await ingestDelivery(deps, config, secrets, delivery));
  } catch (error) {
    if (isAlertError(error)) {
      deps.logger.warn('alert delivery refused', { code: error.code, message: error.message });
      return json(HTTP_STATUS[error.code], { ok: false, error: { code: error.code, message: error.message } });
    }
    const e = error as Error;
    deps.logger.error('alert delivery failed', { error: e.name, message: e.message });
    // 5xx: Alertmanager, Datadog and PagerDuty retry these, and the retry is safe (idempotent names).
    return json(500, { ok: false, error: { code: 'INTERNAL', message: `${e.name}: the delivery could not be processed; it is safe to retry` } });
  }
}

/** Lower-cased header names; multi-valued headers joined as Node joins them. */
export function lowerHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
