import { z } from 'zod';
import { boundedLabels, clipText, isObject, jsonOf, parseAs } from '../parse';
import type { AlertStatus, ParsedBody, SourceAdapter } from '../types';

/**
 * New Relic workflow webhook destination. The fields of New Relic's default
 * payload template (`id`, `issueUrl`, `title`, `priority`, `state`, ...)
 * plus, in the README's template, `"tags": {{json accumulations.tag}}`: the
 * entity tags of the issue's incidents, each an array of values
 * (`k8s.namespaceName`, `k8s.deploymentName`, `k8s.podName`, `k8s.clusterName`).
 */
export const NewRelicPayloadSchema = z.object({
  id: z.string().min(1).max(200),
  issueUrl: z.string().max(2000).optional(),
  title: z.string().max(2000).default(''),
  priority: z.string().max(50).optional(),
  state: z.string().min(1).max(50),
  trigger: z.string().max(100).optional(),
  impactedEntities: z.array(z.string().max(500)).max(100).optional(),
  totalIncidents: z.number().int().optional(),
  isCorrelated: z.boolean().optional(),
  createdAt: z.number().optional(),
  updatedAt: z.number().optional(),
  sources: z.array(z.string()).optional(),
  alertPolicyNames: z.array(z.string()).optional(),
  alertConditionNames: z.array(z.string()).optional(),
  workflowName: z.string().optional(),
  tags: z.record(z.string(), z.union([z.array(z.string().max(500)).max(50), z.string().max(500)])).optional(),
});

/** Issue states: CREATED precedes ACTIVATED for one issue; only ACTIVATED fires (dedup would hold anyway). */
const STATUS: Record<string, AlertStatus> = { ACTIVATED: 'firing', CLOSED: 'resolved' };

export const newRelicAdapter: SourceAdapter = {
  system: 'newrelic',
  detect(body) {
    return body.kind === 'json' && isObject(body.value) && typeof body.value['issueUrl'] === 'string' && typeof body.value['state'] === 'string';
  },
  normalize(body: ParsedBody) {
    const payload = parseAs(NewRelicPayloadSchema, jsonOf(body, 'newrelic'), 'newrelic');
    return [
      {
        system: 'newrelic' as const,
        id: payload.id,
        status: STATUS[payload.state.toUpperCase()] ?? 'other',
        vendorStatus: payload.state,
        title: clipText(payload.title || payload.id),
        ...(payload.issueUrl ? { link: payload.issueUrl } : {}),
        labels: boundedLabels(payload.tags),
      },
    ];
  },
};
