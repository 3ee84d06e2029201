/**
 * GitOps ownership markers. A workload reconciled from Git must not be patched
 * live: the controller would revert the change (or fight it), and the fix
 * belongs in the repository. The policy refuses such writes (rule
 * `gitops-managed`) so the caller escalates with the proposed change instead.
 */

export interface GitOpsManager {
  tool: 'argocd' | 'flux';
  /** The label or annotation that gave it away, `key=value`. */
  marker: string;
}

interface Marked {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const ARGO_TRACKING_ID = 'argocd.argoproj.io/tracking-id';
const ARGO_INSTANCE_LABEL = 'argocd.argoproj.io/instance';
const ARGO_DEFAULT_LABEL = 'app.kubernetes.io/instance';
const FLUX_LABELS = ['kustomize.toolkit.fluxcd.io/name', 'helm.toolkit.fluxcd.io/name'] as const;

/**
 * The GitOps tool managing the object, if any. `app.kubernetes.io/instance`
 * alone is not taken as Argo CD's mark: Helm charts set it on almost every
 * workload, and refusing all of those would make the system useless; it counts
 * when Argo CD's tracking-id annotation accompanies it.
 */
export function gitOpsManager(object: Marked): GitOpsManager | undefined {
  const labels = object.labels ?? {};
  const annotations = object.annotations ?? {};
  const trackingId = annotations[ARGO_TRACKING_ID];
  if (trackingId !== undefined) {
    const instance = labels[ARGO_DEFAULT_LABEL];
    return {
      tool: 'argocd',
      marker: instance !== undefined ? `${ARGO_DEFAULT_LABEL}=${instance}` : `${ARGO_TRACKING_ID}=${trackingId}`,
    };
  }
  const argoInstance = labels[ARGO_INSTANCE_LABEL];
  if (argoInstance !== undefined) return { tool: 'argocd', marker: `${ARGO_INSTANCE_LABEL}=${argoInstance}` };
  for (const key of FLUX_LABELS) {
    const value = labels[key];
    if (value !== undefined) return { tool: 'flux', marker: `${key}=${value}` };
  }
  return undefined;
}
