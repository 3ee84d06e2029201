import { z } from 'zod';
import { boundedLabels, clipText, isObject, jsonOf, parseAs } from '../parse';
import { MAX_ALERTS_PER_DELIVERY, type NormalizedAlert, type ParsedBody, type SourceAdapter } from '../types';

const stringMap = z.record(z.string(), z.string());

/**
 * Prometheus Alertmanager webhook receiver, payload version 4: one delivery is
 * one alert group (`groupKey`), each alert with its own `fingerprint`;
 * `truncatedAlerts` counts alerts left out by `max_alerts`.
 */
export const AlertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: stringMap,
  annotations: stringMap.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).max(100),
});

export const AlertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string().max(5000),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(500),
  groupLabels: stringMap.default({}),
  commonLabels: stringMap.default({}),
  commonAnnotations: stringMap.default({}),
  externalURL: z.string().max(2000).default(''),
  alerts: z.array(AlertmanagerAlertSchema).max(MAX_ALERTS_PER_DELIVERY),
});

/** Shared by Grafana, whose contact point sends the same alert objects. */
export function normalizeAlertmanagerAlert(
  system: 'alertmanager' | 'grafana',
  alert: z.infer<typeof AlertmanagerAlertSchema> & { silenceURL?: string | undefined; dashboardURL?: string | undefined },
  common: Record<string, string>,
): Omit<NormalizedAlert, 'target'> {
  const title = alert.annotations['summary'] ?? alert.labels['alertname'] ?? 'alert';
  const link = alert.generatorURL || alert.dashboardURL || undefined;
  return {
    system,
    id: alert.fingerprint,
    status: alert.status,
    vendorStatus: alert.status,
    title: clipText(title),
    ...(link ? { link: clipText(link, 2000) } : {}),
    labels: boundedLabels(common, alert.labels),
  };
}

export const alertmanagerAdapter: SourceAdapter = {
  system: 'alertmanager',
  detect(body) {
    return body.kind === 'json' && isObject(body.value) && body.value['version'] === '4' && 'groupKey' in body.value && Array.isArray(body.value['alerts']);
  },
  normalize(body: ParsedBody) {
    const payload = parseAs(AlertmanagerPayloadSchema, jsonOf(body, 'alertmanager'), 'alertmanager');
    return payload.alerts.map((a) => normalizeAlertmanagerAlert('alertmanager', a, payload.commonLabels));
  },
  truncated(body) {
    return body.kind === 'json' && isObject(body.value) && typeof body.value['truncatedAlerts'] === 'number' ? body.value['truncatedAlerts'] : 0;
  },
};
