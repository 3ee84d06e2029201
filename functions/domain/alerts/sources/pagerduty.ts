import { z } from 'zod';
import { boundedLabels, clipText, isObject, jsonOf, labelsFromText, parseAs } from '../parse';
import type { AlertStatus, ParsedBody, SourceAdapter } from '../types';

/**
 * PagerDuty generic webhooks (v3): `{ event: { id, event_type, resource_type,
 * occurred_at, data } }`, where `data` is the incident for `incident.*` types.
 * Signed with HMAC-SHA256 in `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>]`.
 * A v3 incident carries no labels: the mapping reads `key=value` pairs in the
 * title and incident key (the form Alertmanager-forwarded incidents have) and
 * `custom_fields` when the account has them.
 */
export const PagerDutyPayloadSchema = z.object({
  event: z.object({
    id: z.string().min(1).max(200),
    event_type: z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'must be like incident.triggered'),
    resource_type: z.string().max(100),
    occurred_at: z.string().max(100),
    data: z.object({
      id: z.string().min(1).max(100),
      type: z.string().max(100),
      self: z.string().max(2000).optional(),
      html_url: z.string().max(2000).optional(),
      number: z.number().int().optional(),
      status: z.string().max(100).optional(),
      incident_key: z.string().max(1000).nullable().optional(),
      title: z.string().max(2000).optional(),
      service: z.object({ id: z.string().optional(), summary: z.string().max(500).optional() }).passthrough().nullable().optional(),
      urgency: z.string().max(50).optional(),
      custom_fields: z.array(z.object({ name: z.string().max(200), value: z.unknown() }).passthrough()).max(100).optional(),
    }).passthrough(),
  }).passthrough(),
});

const STATUS: Record<string, AlertStatus> = { 'incident.triggered': 'firing', 'incident.reopened': 'firing', 'incident.resolved': 'resolved' };

export const pagerDutyAdapter: SourceAdapter = {
  system: 'pagerduty',
  detect(body, headers) {
    if (headers['x-pagerduty-signature'] !== undefined) return true;
    return body.kind === 'json' && isObject(body.value) && isObject(body.value['event']) && typeof body.value['event']['event_type'] === 'string';
  },
  normalize(body: ParsedBody) {
    const { event } = parseAs(PagerDutyPayloadSchema, jsonOf(body, 'pagerduty'), 'pagerduty');
    if (event.resource_type !== 'incident') return [];
    const data = event.data;
    const custom: Record<string, unknown> = {};
    for (const field of data.custom_fields ?? []) custom[field.name] = field.value;
    return [
      {
        system: 'pagerduty' as const,
        id: data.id,
        status: STATUS[event.event_type] ?? 'other',
        vendorStatus: event.event_type,
        title: clipText(data.title ?? data.id),
        ...(data.html_url ? { link: data.html_url } : {}),
        labels: boundedLabels(
          labelsFromText(`${data.incident_key ?? ''} ${data.title ?? ''}`),
          custom,
          data.service?.summary ? { service: data.service.summary } : {},
        ),
      },
    ];
  },
};
