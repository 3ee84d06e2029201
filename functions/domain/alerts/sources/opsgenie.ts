import { z } from 'zod';
import { boundedLabels, clipText, isObject, jsonOf, labelsFromTags, parseAs } from '../parse';
import type { AlertStatus, ParsedBody, SourceAdapter } from '../types';

/**
 * Opsgenie Webhook integration (alert action data): `{ action, alert: {
 * alertId, message, tags, entity, alias, details, ... }, source,
 * integrationName }`. `details` is sent only for Create (when "send alert
 * details" is ticked), so the tags carry the mapping in the README's setup.
 */
export const OpsgeniePayloadSchema = z.object({
  action: z.string().min(1).max(100),
  alert: z.object({
    alertId: z.string().min(1).max(200),
    message: z.string().max(2000).default(''),
    tags: z.array(z.string().max(500)).max(200).default([]),
    tinyId: z.string().max(50).optional(),
    entity: z.string().max(1000).optional(),
    alias: z.string().max(1000).optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    description: z.string().max(20000).optional(),
    priority: z.string().max(10).optional(),
    source: z.string().max(500).optional(),
  }).passthrough(),
  source: z.object({ name: z.string().optional(), type: z.string().optional() }).passthrough().optional(),
  integrationName: z.string().max(500).optional(),
  integrationId: z.string().max(200).optional(),
});

const STATUS: Record<string, AlertStatus> = { Create: 'firing', Close: 'resolved', Delete: 'resolved' };

export const opsgenieAdapter: SourceAdapter = {
  system: 'opsgenie',
  detect(body) {
    return body.kind === 'json' && isObject(body.value) && typeof body.value['action'] === 'string' && isObject(body.value['alert']) && 'alertId' in body.value['alert'];
  },
  normalize(body: ParsedBody) {
    const payload = parseAs(OpsgeniePayloadSchema, jsonOf(body, 'opsgenie'), 'opsgenie');
    const alert = payload.alert;
    return [
      {
        system: 'opsgenie' as const,
        id: alert.alertId,
        status: STATUS[payload.action] ?? 'other',
        vendorStatus: payload.action,
        title: clipText(alert.message || alert.alertId),
        labels: boundedLabels(labelsFromTags(alert.tags), alert.details, alert.entity ? { entity: alert.entity } : {}),
      },
    ];
  },
};
