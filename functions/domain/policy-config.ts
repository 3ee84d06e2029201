import { z } from 'zod';
import { ACTION_NAMES } from './actions';
import { compareQuantities, isQuantity } from './quantity';

/** A positive Kubernetes quantity (`500m`, `2`, `256Mi`, `4Gi`): a bound the policy compares resources with. */
const QuantitySchema = (example: string) =>
  z
    .string()
    .trim()
    .refine((q) => isQuantity(q) && compareQuantities(q, '0') > 0, `must be a positive Kubernetes quantity (e.g. ${example})`);

/** floor < ceiling; a value that is no quantity is reported by its own field, not here. */
const below = (floor: string, ceiling: string): boolean => !isQuantity(floor) || !isQuantity(ceiling) || compareQuantities(floor, ceiling) < 0;

export const ModeSchema = z.enum(['observe', 'dry-run', 'enforce']);
export type Mode = z.infer<typeof ModeSchema>;

export const ALWAYS_PROTECTED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'] as const;

/**
 * A namespace name exactly (RFC 1123 label). No wildcard or pattern: EKS
 * access scopes and these lists compare names literally, so `*` or `team-*`
 * would either match nothing or, in an access entry, everything.
 */
export const NamespaceNameSchema = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name (lowercase letters, digits and -, no wildcards)');

/**
 * Everything the safety policy and the trial loop are configured with. One
 * schema for the CDK props, the Lambda environment (as JSON) and the CLI.
 * Defaults are the conservative choice an SRE would want on day one.
 */
export const PolicyConfigSchema = z
  .object({
    /** @default dry-run — nothing is written until an operator chooses enforce. */
    mode: ModeSchema.default('dry-run'),
    /** Never touched, in addition to kube-system, kube-public and kube-node-lease. */
    protectedNamespaces: z.array(NamespaceNameSchema).default([]),
    /** When non-empty, only these namespaces are acted on. Empty means all non-protected. Never a protected one. */
    optInNamespaces: z.array(NamespaceNameSchema).default([]),
    /** When set, a namespace or workload must carry this label (key=value) to be acted on. */
    optInLabel: z
      .string()
      .regex(/^[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*$/, 'must be key=value')
      .optional(),
    maxTrials: z.number().int().min(1).max(10).default(3),
    lockTtlSeconds: z.number().int().min(60).max(86_400).default(1800),
    cooldownSeconds: z.number().int().min(0).max(86_400).default(300),
    maxActionsPerHour: z.number().int().min(1).max(100).default(6),
    verify: z
      .object({
        intervalSeconds: z.number().int().min(1).max(300).default(15),
        timeoutSeconds: z.number().int().min(10).max(3600).default(300),
        /** Healthy means healthy and unchanged for this long (no restarts). */
        stabilitySeconds: z.number().int().min(0).max(1800).default(60),
      })
      // Wherever the policy comes from (CDK context, stack props, POLICY env, CLI), a check must fit inside its deadline.
      .refine((v) => v.intervalSeconds < v.timeoutSeconds, {
        message: 'intervalSeconds must be less than timeoutSeconds',
        path: ['intervalSeconds'],
      })
      .prefault({}),
    limits: z
      .object({
        maxReplicas: z.number().int().min(1).max(1000).default(50),
        /** Largest change of replicas in one step, either way. */
        maxReplicaStep: z.number().int().min(1).max(100).default(5),
        maxMemory: QuantitySchema('8Gi').default('8Gi'),
        maxCpu: QuantitySchema('4 or 500m').default('4'),
        /** Largest factor a request or limit may change by in one step. */
        maxResourceFactor: z.number().min(1).max(4).default(2),
        hpaMaxReplicasCeiling: z.number().int().min(1).max(1000).default(100),
        /** Smallest CPU a request or limit may be set or lowered to (1Mi-style values starve a container). */
        minCpu: QuantitySchema('10m').default('10m'),
        /** Smallest memory a request or limit may be set or lowered to. */
        minMemory: QuantitySchema('32Mi').default('32Mi'),
        /**
         * A request or limit set for the first time must be within this factor
         * of the same resource's other value (a limit of its request, a request
         * of its limit), when there is one.
         */
        maxFirstTimeResourceFactor: z.number().min(1).max(16).default(4),
        /** Probe timings may not go below these (a 1 s period with 1 failure kills on one slow answer). */
        minProbePeriodSeconds: z.number().int().min(1).max(300).default(5),
        minProbeTimeoutSeconds: z.number().int().min(1).max(120).default(1),
        minProbeFailureThreshold: z.number().int().min(1).max(30).default(2),
        /** Largest factor a probe timing may change by in one step, either way. */
        maxProbeFactor: z.number().min(1).max(10).default(3),
      })
      // A ceiling under its floor would refuse every resource change while reading as a setting.
      .refine((l) => below(l.minCpu, l.maxCpu), { message: 'maxCpu must be above minCpu', path: ['maxCpu'] })
      .refine((l) => below(l.minMemory, l.maxMemory), { message: 'maxMemory must be above minMemory', path: ['maxMemory'] })
      .prefault({}),
    /**
     * The caller an action API write is attributed to when its payload has no
     * `requested_by` (tools that predate the field). Without it, an anonymous
     * write is refused in enforce and recorded as `anonymous` otherwise.
     */
    defaultRequestedBy: z
      .string()
      .regex(/^[A-Za-z0-9@._:/+=-]{1,100}$/, 'must be 1-100 characters of A-Z a-z 0-9 @ . _ : / + = -')
      .optional(),
    /** Actions that wait for an operator's approval (task token) before running. */
    approvalRequiredFor: z.array(z.enum(ACTION_NAMES)).default([]),
    /** How long an execution waits for an approval before it escalates with nothing written. */
    approvalTimeoutSeconds: z.number().int().min(60).max(7 * 86_400).default(3600),
    selection: z
      .object({
        /**
         * contextual (default): Thompson sampling on outcome statistics conditioned on the incident's
         * features (domain/selection-context); thompson: the same, per signature only (no features);
         * epsilon-greedy: the fixed split of the system this one replaces; proposal-only: always the
         * reasoner's proposal when it applies, else thompson (the bench's reasoner-only arm).
         */
        method: z.enum(['contextual', 'thompson', 'epsilon-greedy', 'proposal-only']).default('contextual'),
        /** Evidence halves every this many days (so a shift in the cause mix can be re-learned). */
        halfLifeDays: z.number().min(0.0001).max(3650).default(30),
        /**
         * Recurrence counts as failure: the same failure on the same workload (fingerprint) detected again
         * within this many minutes of a resolved trial turns that trial's success into a failure of its
         * strategy in its context (app/recurrence). 0 turns it off.
         */
        recurrenceWindowMinutes: z.number().min(0).max(1440).default(30),
        /** Pseudo-observations shrinking a feature bucket towards the strategy's overall rate. */
        shrinkage: z.number().min(0.1).max(100).default(2),
        /**
         * Escalate first when every fix left has a (contextual) success mean below this: memory says
         * none of them works here. 0 turns it off. Fresh strategies sit at 0.5, so it takes evidence.
         */
        escalateBelow: z.number().min(0).max(0.5).default(0.15),
        /** Probability of picking a non-best candidate at random. */
        explorationFloor: z.number().min(0).max(1).default(0.05),
        /** For epsilon-greedy: probability of exploring (the old system used 0.2). */
        epsilon: z.number().min(0).max(1).default(0.2),
      })
      .prefault({}),
  })
  .strict()
  // Opting a protected namespace in would read as "act here" while the policy never does: refuse the contradiction.
  .superRefine((policy, ctx) => {
    const protectedNames = new Set<string>([...ALWAYS_PROTECTED_NAMESPACES, ...policy.protectedNamespaces]);
    policy.optInNamespaces.forEach((ns, index) => {
      if (protectedNames.has(ns)) {
        ctx.addIssue({ code: 'custom', path: ['optInNamespaces', index], message: `'${ns}' is protected and cannot be opted in` });
      }
    });
  });
export type PolicyConfig = z.infer<typeof PolicyConfigSchema>;
export type PolicyConfigInput = z.input<typeof PolicyConfigSchema>;

export const defaultPolicyConfig = (): PolicyConfig => PolicyConfigSchema.parse({});

/**
 * The longest an incident's execution can run: every trial waiting out its
 * approval and verifying to its deadline, plus ten minutes of other steps each. The state machine's timeout
 * and the workload lock's TTL both derive from it, so they cannot drift apart.
 */
export function longestRunSeconds(policy: Pick<PolicyConfig, 'maxTrials' | 'verify' | 'approvalTimeoutSeconds'>): number {
  // Any trial may wait for an approval (risky cases need one whatever approvalRequiredFor says).
  return policy.maxTrials * (policy.verify.timeoutSeconds + 600 + policy.approvalTimeoutSeconds);
}

/** Time left after an execution's hard stop for its lock release to land (a release that never came is what the TTL is for). */
export const LOCK_RELEASE_MARGIN_SECONDS = 300;

/**
 * One computation for the execution's hard stop and the workload lock's TTL:
 * the timeout covers the longest run (never under two hours); the TTL covers
 * the timeout plus a margin, and the configured TTL only ever lengthens it.
 * A lock that expired while its execution still ran would let a second
 * execution act on the same workload.
 */
export function executionBudget(policy: Pick<PolicyConfig, 'maxTrials' | 'verify' | 'lockTtlSeconds' | 'approvalTimeoutSeconds'>): { timeoutSeconds: number; lockTtlSeconds: number } {
  const timeoutSeconds = Math.max(2 * 3600, longestRunSeconds(policy));
  return { timeoutSeconds, lockTtlSeconds: Math.max(policy.lockTtlSeconds, timeoutSeconds + LOCK_RELEASE_MARGIN_SECONDS) };
}

/** An initial delay raised from 0 (no step to scale) may go up to this. */
const FIRST_INITIAL_DELAY_SECONDS = 30;

/**
 * The largest value one patch_probe may give a probe timing now at `from`:
 * `from × maxProbeFactor` (30 s for a timing at 0, which has no step to
 * scale). The policy refuses more (policy.ts probeRule); templates and the
 * deterministic reasoner size their steps with it, so what they propose is
 * what the write path allows.
 */
export function maxProbeStep(from: number, maxProbeFactor: number): number {
  return from === 0 ? FIRST_INITIAL_DELAY_SECONDS : from * maxProbeFactor;
}
