import { AlertPayloadInvalid, AlertSourceUnknown } from './errors';
import { alertmanagerAdapter } from './sources/alertmanager';
import { datadogAdapter } from './sources/datadog';
import { grafanaAdapter } from './sources/grafana';
import { newRelicAdapter } from './sources/newrelic';
import { opsgenieAdapter } from './sources/opsgenie';
import { pagerDutyAdapter } from './sources/pagerduty';
import { victorOpsAdapter } from './sources/victorops';
import { ALERT_SYSTEMS, type AlertSystem, type Delivery, type ParsedBody, type SourceAdapter } from './types';

/**
 * One adapter per system. Auto-detection tries them in this order: Grafana
 * before Alertmanager (a Grafana group also looks like an Alertmanager one,
 * but only Grafana sends `orgId`), signed sources by their header first.
 */
export const ADAPTERS: readonly SourceAdapter[] = [
  pagerDutyAdapter,
  victorOpsAdapter,
  grafanaAdapter,
  alertmanagerAdapter,
  datadogAdapter,
  opsgenieAdapter,
  newRelicAdapter,
];

export function adapterFor(system: AlertSystem): SourceAdapter {
  const adapter = ADAPTERS.find((a) => a.system === system);
  if (!adapter) throw new AlertSourceUnknown(`no adapter for ${system}`);
  return adapter;
}

export function isAlertSystem(name: string): name is AlertSystem {
  return (ALERT_SYSTEMS as readonly string[]).includes(name);
}

/** `/alerts/<system>` → that system; `/alerts` or `/` → auto; anything else is an unknown source. */
export function routeOf(path: string): AlertSystem | 'auto' {
  const clean = path.replace(/\/+$/, '') || '/';
  if (clean === '/' || clean === '/alerts' || clean === '/alerts/auto') return 'auto';
  const match = /^\/alerts\/([a-z0-9-]{1,40})$/.exec(clean);
  if (match?.[1] && isAlertSystem(match[1])) return match[1];
  throw new AlertSourceUnknown(`unknown alert source route '${path.slice(0, 100)}' (routes: /alerts, ${ALERT_SYSTEMS.map((s) => `/alerts/${s}`).join(', ')})`);
}

export function detectSystem(body: ParsedBody, headers: Delivery['headers']): AlertSystem {
  const adapter = ADAPTERS.find((a) => a.detect(body, headers));
  if (!adapter) throw new AlertSourceUnknown(`could not tell which alerting system sent this payload (known: ${ALERT_SYSTEMS.join(', ')}); post to /alerts/<system>`);
  return adapter.system;
}

/** JSON, or form fields when the content type says so (Splunk On-Call escalation webhooks). */
export function parseBody(rawBody: string, contentType: string | undefined): ParsedBody {
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const fields: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(rawBody)) fields[key] = value;
    return { kind: 'form', fields };
  }
  try {
    return { kind: 'json', value: JSON.parse(rawBody) as unknown };
  } catch (error) {
    throw new AlertPayloadInvalid(`body is not JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}
