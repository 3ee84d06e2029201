import { createHmac } from 'node:crypto';
import { EVENT_SOURCE } from '../config/names';
import { z } from 'zod';

/**
 * Escalation out (docs/events.md; README, "Escalation"), pure: the versioned bus event envelope
 * (CloudEvents 1.0 attributes) and the three outgoing formats — PagerDuty
 * Events API v2 (dedup_key = the incident fingerprint, so repeats collapse
 * into one alert), Slack incoming webhook, and a generic webhook signed with
 * HMAC-SHA256 over `<timestamp>.<body>`.
 */

export const EVENT_SCHEMA_VERSION = 'v1';

export interface EscalationFacts {
  kind: 'escalated' | 'resolved';
  executionId: string;
  fingerprint: string;
  signature: string;
  cluster: string;
  target: { kind?: string; namespace?: string; name?: string };
  trial?: number;
  outcome?: string;
  at: string;
}

/**
 * `detail` of RemediationEscalated / RemediationResolved on the bus (docs/events.md, v1).
 * Unknown fields are kept out, never an error: a newer publisher may add fields without a version change.
 */
export const RemediationEventDetailSchema = z.object({
  /** Absent on events published before the field existed; they are v1 too. */
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION).optional(),
  executionId: z.string().min(1).max(2048),
  fingerprint: z.string().min(1).max(256),
  signature: z.string().min(1).max(300),
  cluster: z.string().min(1).max(100),
  target: z.object({ kind: z.string().max(100).optional(), namespace: z.string().max(253).optional(), name: z.string().max(253).optional() }),
  trial: z.number().int().min(0).optional(),
  outcome: z.string().max(100).optional(),
});

/** The EventBridge event an EventBridge rule delivers to the notifier (only the fields it reads). */
export const RemediationBusEventSchema = z.object({
  source: z.literal(EVENT_SOURCE),
  'detail-type': z.enum(['RemediationEscalated', 'RemediationResolved']),
  time: z.string().min(1),
  detail: RemediationEventDetailSchema,
});
export type RemediationBusEvent = z.infer<typeof RemediationBusEventSchema>;

/** An escalation or resolution as the outgoing formats take it, from its bus event. */
export function factsFromBusEvent(event: RemediationBusEvent): EscalationFacts {
  const d = event.detail;
  return {
    kind: event['detail-type'] === 'RemediationEscalated' ? 'escalated' : 'resolved',
    executionId: d.executionId,
    fingerprint: d.fingerprint,
    signature: d.signature,
    cluster: d.cluster,
    target: {
      ...(d.target.kind !== undefined ? { kind: d.target.kind } : {}),
      ...(d.target.namespace !== undefined ? { namespace: d.target.namespace } : {}),
      ...(d.target.name !== undefined ? { name: d.target.name } : {}),
    },
    ...(d.trial !== undefined ? { trial: d.trial } : {}),
    ...(d.outcome !== undefined ? { outcome: d.outcome } : {}),
    at: event.time,
  };
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  dataschema: string;
  data: EscalationFacts;
}

/** The bus event, as documented in docs/events.md: its type carries the schema version. */
export function cloudEvent(facts: EscalationFacts): CloudEvent {
  return {
    specversion: '1.0',
    id: `${facts.executionId}#${facts.kind}`,
    source: EVENT_SOURCE,
    type: `io.eks-reflexion.remediation.${facts.kind}.${EVENT_SCHEMA_VERSION}`,
    subject: facts.fingerprint,
    time: facts.at,
    datacontenttype: 'application/json',
    dataschema: `https://eks-reflexion.io/schemas/remediation-${facts.kind}-${EVENT_SCHEMA_VERSION}.json`,
    data: facts,
  };
}

const where = (f: EscalationFacts) => `${f.target.kind ?? '?'} ${f.target.namespace ?? '?'}/${f.target.name ?? '?'} on ${f.cluster}`;

/** PagerDuty Events API v2 (POST /v2/enqueue): trigger on escalation, resolve on resolution, one alert per fingerprint. */
export function pagerDutyEvent(facts: EscalationFacts, routingKey: string) {
  return {
    routing_key: routingKey,
    event_action: facts.kind === 'escalated' ? 'trigger' : 'resolve',
    dedup_key: facts.fingerprint,
    ...(facts.kind === 'escalated'
      ? {
          payload: {
            summary: `eks-reflexion escalated ${facts.signature} on ${where(facts)}`.slice(0, 1024),
            source: facts.cluster,
            severity: 'error',
            component: `${facts.target.namespace ?? ''}/${facts.target.name ?? ''}`,
            group: facts.target.namespace ?? '',
            class: facts.signature,
            timestamp: facts.at,
            custom_details: { executionId: facts.executionId, trial: facts.trial, outcome: facts.outcome },
          },
        }
      : {}),
  };
}

/** Slack incoming webhook: one line of text (mrkdwn). */
export function slackMessage(facts: EscalationFacts) {
  const verb = facts.kind === 'escalated' ? ':rotating_light: escalated' : ':white_check_mark: resolved';
  return { text: `eks-reflexion ${verb}: \`${facts.signature}\` on ${where(facts)} (execution ${facts.executionId}, fingerprint ${facts.fingerprint})` };
}

/** Headers of a signed webhook: receivers recompute HMAC-SHA256(secret, `${timestamp}.${body}`) and compare. */
export function signWebhook(body: string, secret: string, timestamp: string): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'content-type': 'application/cloudevents+json', 'x-eks-reflexion-timestamp': timestamp, 'x-eks-reflexion-signature': `sha256=${mac}` };
}
