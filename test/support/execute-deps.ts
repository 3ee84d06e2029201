import type { ExecuteDeps } from '../../functions/app/execute-action';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { systemClock } from '../../functions/ports/clock';
import type { Cluster } from '../../functions/ports/cluster';
import { silentLogger } from '../../functions/ports/logger';
import type { LockStore } from '../../functions/ports/memory';

/**
 * The action pipeline's dependencies for tests about one write path, not
 * about rate limits: enforce, no cooldown, a cap no test reaches, real time.
 */
export function enforceDeps(cluster: Cluster, locks: LockStore): ExecuteDeps {
  return {
    cluster,
    policy: PolicyConfigSchema.parse({ mode: 'enforce', cooldownSeconds: 0, maxActionsPerHour: 50 }),
    clock: systemClock,
    logger: silentLogger,
    locks,
  };
}
