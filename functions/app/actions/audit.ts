import { createHash } from 'node:crypto';
import type { ActionName } from '../../domain/actions';
import { KubeConflict, KubeThrottled, KubeTimeout, KubeUnavailable } from '../../domain/errors';
import { EVENT_REASON, type LastAction, type PreImage } from './common';
import type { ActionContext, ExecuteDeps } from './context';

/** The audit trail of a write: the last-action marker and the Kubernetes Event. */

export const bounded = (text: string, max = 2000): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The marker carries a compact pre-image (never the whole template) so a retried step can still undo. */
export function markerFor(action: ActionName, actionId: string, at: Date, pre: PreImage | undefined, undo?: boolean, by?: string): LastAction {
  const compact = pre ? { ...pre } : undefined;
  if (compact) delete compact.template;
  return { action: undo ? `undo:${action}` : action, actionId, at: at.toISOString(), ...(by ? { by } : {}), ...(compact ? { pre: compact } : {}) };
}

/** The audit Event's name: derived from the action id, so a retry finds (and cannot duplicate) it. */
export function eventNameFor(objectName: string, actionId: string): string {
  return `${objectName.slice(0, 200)}.${createHash('sha256').update(actionId).digest('hex').slice(0, 16)}`;
}

/** A core/v1 Event on the object; failure to record it never undoes or fails the action. */
export async function recordEvent(
  deps: ExecuteDeps,
  object: { kind: string; namespace: string; name: string; uid?: string | undefined },
  context: ActionContext,
  summary: string,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.cluster.createEvent({
        metadata: { name: eventNameFor(object.name, context.actionId), namespace: object.namespace },
        involvedObject: { kind: object.kind, name: object.name, namespace: object.namespace, ...(object.uid ? { uid: object.uid } : {}) },
        reason: EVENT_REASON,
        type: 'Normal',
        message: bounded(`${summary}. Why: ${context.reason} (action ${context.actionId}${context.requestedBy ? `, requested by ${context.requestedBy}` : ''})`, 1000),
      });
      return true;
    } catch (error) {
      // A retried step (or a create whose answer was lost) finds its event already there (409): it is recorded.
      if (error instanceof KubeConflict) return true;
      // The name is the action's own, so creating again is safe: a transient failure must not lose the audit record.
      if (attempt < EVENT_ATTEMPTS && (error instanceof KubeThrottled || error instanceof KubeUnavailable || error instanceof KubeTimeout)) continue;
      deps.logger.warn('could not record the Kubernetes event', { error: (error as Error).message, object });
      return false;
    }
  }
}

/** Attempts at the audit Event (found by the chaos bench: one 500 or timeout on its create lost it). */
const EVENT_ATTEMPTS = 3;
