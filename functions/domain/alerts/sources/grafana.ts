import { z } from 'zod';
import { isObject, jsonOf, parseAs } from '../parse';
import { MAX_ALERTS_PER_DELIVERY, type ParsedBody, type SourceAdapter } from '../types';
import { AlertmanagerAlertSchema, normalizeAlertmanagerAlert } from './alertmanager';

const stringMap = z.record(z.string(), z.string());

/**
 * Grafana unified alerting, webhook contact point: Alertmanager-like groups
 * plus `orgId`, `state`, `title`, `message` and per-alert Grafana links;
 * payload `version` "1".
 */
export const GrafanaPayloadSchema = z.object({
  receiver: z.string().max(500).default(''),
  status: z.enum(['firing', 'resolved']),
  orgId: z.number().int(),
  alerts: z
    .array(
      AlertmanagerAlertSchema.extend({
        silenceURL: z.string().optional(),
        dashboardURL: z.string().optional(),
        panelURL: z.string().optional(),
        values: z.record(z.string(), z.unknown()).nullable().optional(),
        valueString: z.string().optional(),
      }),
    )
    .max(MAX_ALERTS_PER_DELIVERY),
  groupLabels: stringMap.default({}),
  commonLabels: stringMap.default({}),
  commonAnnotations: stringMap.default({}),
  externalURL: z.string().default(''),
  version: z.string(),
  groupKey: z.string().max(5000),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  title: z.string().optional(),
  state: z.string().optional(),
  message: z.string().optional(),
});

export const grafanaAdapter: SourceAdapter = {
  system: 'grafana',
  detect(body) {
    return body.kind === 'json' && isObject(body.value) && typeof body.value['orgId'] === 'number' && Array.isArray(body.value['alerts']);
  },
  normalize(body: ParsedBody) {
    const payload = parseAs(GrafanaPayloadSchema, jsonOf(body, 'grafana'), 'grafana');
    return payload.alerts.map((a) => normalizeAlertmanagerAlert('grafana', a, payload.commonLabels));
  },
  truncated(body) {
    return body.kind === 'json' && isObject(body.value) && typeof body.value['truncatedAlerts'] === 'number' ? body.value['truncatedAlerts'] : 0;
  },
};
