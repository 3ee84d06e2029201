import type { z } from 'zod';
import type { ActionResult, EscalateSchema } from '../../domain/actions';

/**
 * escalate: writes nothing to the cluster. The result carries the reason and
 * the change the system would have made, for the operator (and the outbound
 * RemediationEscalated event).
 */
export function escalationResult(request: z.infer<typeof EscalateSchema>, now: Date): ActionResult {
  const namespace = request.namespace ?? '';
  return {
    action: 'escalate',
    target: { kind: 'Namespace', namespace, name: namespace },
    applied: false,
    dryRun: false,
    noop: false,
    message: request.reason.slice(0, 2000),
    details: { reason: request.reason, ...(request.proposed !== undefined ? { proposed: request.proposed } : {}) },
    at: now.toISOString(),
  };
}
