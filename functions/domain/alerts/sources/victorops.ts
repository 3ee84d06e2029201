import { z } from 'zod';
import { boundedLabels, clipText, isObject, parseAs } from '../parse';
import type { AlertStatus, ParsedBody, SourceAdapter } from '../types';

/**
 * VictorOps / Splunk On-Call. Escalation webhooks POST form fields
 * (`application/x-www-form-urlencoded`) signed in `X-VictorOps-Signature`;
 * custom outgoing webhooks POST the JSON template the user writes from
 * `${{ALERT.field}}` variables (README). Both carry the incident fields of
 * Splunk On-Call's glossary: `entity_id`, `message_type` (CRITICAL, WARNING,
 * INFO, ACKNOWLEDGEMENT, RECOVERY), `state_message`, `entity_display_name`,
 * plus whatever fields the monitoring tool sent (namespace, deployment...).
 * Field names may carry an `ALERT.` prefix; it is dropped.
 */
export const VictorOpsPayloadSchema = z.object({
  entity_id: z.string().min(1).max(1000),
  message_type: z.string().min(1).max(50),
  state_message: z.string().max(20000).optional(),
  entity_display_name: z.string().max(2000).optional(),
  incident_name: z.string().max(100).optional(),
  incident_url: z.string().max(2000).optional(),
}).passthrough();

const STATUS: Record<string, AlertStatus> = { CRITICAL: 'firing', RECOVERY: 'resolved', OK: 'resolved' };

function fieldsOf(body: ParsedBody): Record<string, unknown> | undefined {
  const raw = body.kind === 'form' ? body.fields : isObject(body.value) ? body.value : undefined;
  if (!raw) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const bare = key.replace(/^(ALERT|INCIDENT)\./i, '');
    out[bare === 'INCIDENT_NAME' ? 'incident_name' : bare] = value;
  }
  return out;
}

export const victorOpsAdapter: SourceAdapter = {
  system: 'victorops',
  detect(body, headers) {
    if (headers['x-victorops-signature'] !== undefined) return true;
    const fields = fieldsOf(body);
    return !!fields && typeof fields['entity_id'] === 'string' && typeof fields['message_type'] === 'string';
  },
  normalize(body: ParsedBody) {
    const payload = parseAs(VictorOpsPayloadSchema, fieldsOf(body) ?? {}, 'victorops');
    const title = payload.entity_display_name || payload.state_message || payload.entity_id;
    const { entity_id: _id, message_type: _type, state_message: _state, entity_display_name: _name, ...rest } = payload;
    return [
      {
        system: 'victorops' as const,
        id: payload.entity_id,
        status: STATUS[payload.message_type.toUpperCase()] ?? 'other',
        vendorStatus: payload.message_type,
        title: clipText(title),
        ...(payload.incident_url ? { link: payload.incident_url } : {}),
        labels: boundedLabels(rest),
      },
    ];
  },
};
