import { PolicyViolation, ValidationError } from '../domain/errors';
import { effectiveMode, namespaceRefusal } from '../domain/policy';
import type { Mode, PolicyConfig } from '../domain/policy-config';
import type { AppDeps } from './deps';

/**
 * The configured policy, read where it matters: at every write. The mode an
 * execution or a payload carries can only tighten it, so an operator's
 * switch to `observe` stops writes already in flight. The runtime backs
 * `currentPolicy` with a parameter store; without it the policy the function
 * started with is the configured one.
 */
export type PolicySource = () => Promise<PolicyConfig>;

export async function configuredPolicy(deps: Pick<AppDeps, 'policy' | 'currentPolicy'>): Promise<PolicyConfig> {
  return deps.currentPolicy ? deps.currentPolicy() : deps.policy;
}

/** The policy a write runs under: the configured one, its mode the stricter of configured and requested. */
export async function policyForWrite(deps: Pick<AppDeps, 'policy' | 'currentPolicy'>, requested?: Mode): Promise<PolicyConfig> {
  const configured = await configuredPolicy(deps);
  return { ...configured, mode: effectiveMode(configured.mode, requested) };
}

/**
 * The checks that need no read of the cluster: a configured cluster, a
 * namespace that is neither protected nor outside the opt-in list. Done
 * first, so nothing in a refused namespace is ever read.
 */
export function refuseOutOfScope(deps: Pick<AppDeps, 'clusterNames'>, policy: PolicyConfig, target: { cluster: string; namespace: string }): void {
  if (!deps.clusterNames.includes(target.cluster)) {
    throw new ValidationError(`cluster '${target.cluster}' is not one of the configured clusters (${deps.clusterNames.join(', ')})`, 'incident.cluster');
  }
  const refusal = namespaceRefusal(policy, target.namespace);
  if (refusal) throw new PolicyViolation(refusal.message, refusal.rule);
}
