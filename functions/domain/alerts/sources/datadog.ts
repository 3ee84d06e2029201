import { z } from 'zod';
import { boundedLabels, clipText, isObject, jsonOf, labelsFromTags, parseAs } from '../parse';
import type { AlertStatus, ParsedBody, SourceAdapter } from '../types';

/**
 * Datadog Webhooks integration. Its payload is a template the user writes
 * from Datadog's `$VARIABLES`; the README gives the one to use (Datadog's
 * default fields plus `$ALERT_ID`, `$ALERT_TRANSITION`, `$TAGS`, `$LINK`).
 * `$TAGS` arrives as one comma-separated string of `key:value` tags
 * (`kube_namespace:shop,kube_deployment:web`); an array is accepted too.
 */
export const DatadogPayloadSchema = z.object({
  id: z.string().min(1).max(200),
  alert_id: z.string().max(200).optional(),
  title: z.string().max(2000).default(''),
  body: z.string().max(20000).optional(),
  event_type: z.string().max(100).optional(),
  alert_transition: z.string().max(100),
  alert_status: z.string().max(2000).optional(),
  aggreg_key: z.string().max(200).optional(),
  tags: z.union([z.string().max(20000), z.array(z.string().max(500)).max(200)]).default(''),
  link: z.string().max(2000).optional(),
  date: z.union([z.string(), z.number()]).optional(),
  last_updated: z.union([z.string(), z.number()]).optional(),
  org: z.object({ id: z.union([z.string(), z.number()]).optional(), name: z.string().optional() }).optional(),
});

/** `$ALERT_TRANSITION` words (Datadog monitor states). */
const STATUS: Record<string, AlertStatus> = { triggered: 'firing', 're-triggered': 'firing', 'no data': 'other', warn: 'other', recovered: 'resolved' };

export const datadogAdapter: SourceAdapter = {
  system: 'datadog',
  detect(body) {
    return body.kind === 'json' && isObject(body.value) && typeof body.value['alert_transition'] === 'string';
  },
  normalize(body: ParsedBody) {
    const payload = parseAs(DatadogPayloadSchema, jsonOf(body, 'datadog'), 'datadog');
    const tags = typeof payload.tags === 'string' ? payload.tags.split(',') : payload.tags;
    // One alert per monitor and scope: the aggregation key is stable across a trigger and its recovery.
    const id = payload.aggreg_key || payload.alert_id || payload.id;
    return [
      {
        system: 'datadog' as const,
        id,
        status: STATUS[payload.alert_transition.toLowerCase()] ?? 'other',
        vendorStatus: payload.alert_transition,
        title: clipText(payload.title || id),
        ...(payload.link ? { link: payload.link } : {}),
        labels: boundedLabels(labelsFromTags(tags)),
      },
    ];
  },
};
