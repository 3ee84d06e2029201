import { ValidationError } from '../../domain/errors';

/**
 * Payload forms other tools already send, mapped onto the canonical fields
 * (docs/actions.md "Aliases"); the canonical form stays and wins nothing by
 * default: giving both with different values is an error naming both.
 *
 * - `pod_name` → `pod` (restart_pod, analyze_pod, pod_status)
 * - `deployment_name` → `deployment` (rollout_restart, rollback_deployment,
 *   scale_deployment, patch_resources, patch_image, patch_probe), or
 *   `target_name` with `target_kind: Deployment` (start_remediation, execute_strategy)
 * - `namespace` defaults to `default` for reads only (pod_status, recent_events,
 *   analyze_pod), as those tools did; a write never guesses a namespace
 * - `cluster_name` has no default: the published schema requires it, and a
 *   payload without it is refused as before
 */
const POD_FIELD = new Set(['restart_pod', 'analyze_pod', 'pod_status']);
const DEPLOYMENT_FIELD = new Set(['rollout_restart', 'rollback_deployment', 'scale_deployment', 'patch_resources', 'patch_image', 'patch_probe']);
const TARGET_FIELD = new Set(['start_remediation', 'execute_strategy']);
const READS_WITH_DEFAULT_NAMESPACE = new Set(['pod_status', 'recent_events', 'analyze_pod']);
export const DEFAULT_READ_NAMESPACE = 'default';

function rename(p: Record<string, unknown>, alias: string, canonical: string): void {
  if (!(alias in p)) return;
  if (canonical in p && p[canonical] !== p[alias]) {
    throw new ValidationError(`${alias}: is an alias of ${canonical}, and both are given with different values`, alias);
  }
  p[canonical] = p[alias];
  delete p[alias];
}

/** A copy of the payload in canonical form. */
export function canonicalPayload(payload: Record<string, unknown>): Record<string, unknown> {
  const p = { ...payload };
  const action = typeof p['action'] === 'string' ? p['action'] : '';
  if (POD_FIELD.has(action)) rename(p, 'pod_name', 'pod');
  if (DEPLOYMENT_FIELD.has(action)) rename(p, 'deployment_name', 'deployment');
  if (TARGET_FIELD.has(action) && 'deployment_name' in p) {
    if (p['target_kind'] !== undefined && p['target_kind'] !== 'Deployment') {
      throw new ValidationError(`deployment_name: names a Deployment, but target_kind is '${String(p['target_kind'])}'`, 'deployment_name');
    }
    rename(p, 'deployment_name', 'target_name');
    p['target_kind'] = 'Deployment';
  }
  if (READS_WITH_DEFAULT_NAMESPACE.has(action) && p['namespace'] === undefined) p['namespace'] = DEFAULT_READ_NAMESPACE;
  return p;
}
