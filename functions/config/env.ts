import { z } from 'zod';
import { LabelMappingOverridesSchema } from '../domain/alerts/labels';
import { AlertSystemSchema } from '../domain/alerts/types';
import { PolicyConfigSchema } from '../domain/policy-config';
import { MEMORY_NAMESPACE_PATTERN, MEMORY_NAMESPACE_RULE } from './names';
import { SERVICE_NAME } from './telemetry';

/**
 * Lambda environments, one schema per function role. The CDK function
 * construct types its `environment` from these (z.input), so a missing
 * variable is a compile error; each handler parses its env at cold start.
 */

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const common = {
  /** Memory namespace: every key is prefixed with it (benchmarks use their own). */
  MEMORY_NAMESPACE: z.string().regex(MEMORY_NAMESPACE_PATTERN, MEMORY_NAMESPACE_RULE),
  POLICY: json(PolicyConfigSchema),
  /** Cluster names this deployment may act on (JSON array). */
  CLUSTER_NAMES: json(z.array(z.string().min(1).max(100)).min(1)),
  POWERTOOLS_SERVICE_NAME: z.string().default(SERVICE_NAME),
  POWERTOOLS_LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** CloudWatch namespace of the custom metrics (EMF). */
  POWERTOOLS_METRICS_NAMESPACE: z.string().regex(/^[A-Za-z0-9._/#:-]{1,255}$/, 'must be a CloudWatch namespace').optional(),
  /**
   * SSM parameter holding the configured mode (or policy fields as JSON), read
   * at every write and cached for at most 60 s; absent: POLICY is the configured policy.
   */
  POLICY_PARAMETER: z.string().regex(/^[A-Za-z0-9_./-]{1,1011}$/, 'must be an SSM parameter name').optional(),
};
const tables = {
  EPISODES_TABLE: z.string().min(1),
  STRATEGIES_TABLE: z.string().min(1),
  LOCKS_TABLE: z.string().min(1),
};
const bedrock = {
  /** Bedrock model id; empty or absent means the deterministic reasoner. */
  BEDROCK_MODEL_ID: z.string().optional(),
};

export const EnvSchemas = {
  detect: z.object({
    ...common,
    LOCKS_TABLE: tables.LOCKS_TABLE,
    /** Recurrence (app/recurrence): resolved episodes of a fingerprint seen again, and their strategies' statistics. */
    EPISODES_TABLE: tables.EPISODES_TABLE,
    STRATEGIES_TABLE: tables.STRATEGIES_TABLE,
    STATE_MACHINE_ARN: z.string().min(1),
    EVENT_BUS_NAME: z.string().min(1),
  }),
  lock: z.object({ ...common, LOCKS_TABLE: tables.LOCKS_TABLE }),
  /** RequestApproval: stores the pending approval (with its task token) and announces it on the bus. */
  approval: z.object({ ...common, LOCKS_TABLE: tables.LOCKS_TABLE, EVENT_BUS_NAME: z.string().min(1) }),
  analyse: z.object({ ...common, ...tables, ...bedrock }),
  'select-strategy': z.object({ ...common, ...tables, ...bedrock }),
  remediate: z.object({ ...common, ...tables }),
  verify: z.object({ ...common, ...tables }),
  reflect: z.object({ ...common, ...tables, ...bedrock }),
  actions: z.object({ ...common, ...tables, ...bedrock, STATE_MACHINE_ARN: z.string().min(1) }),
  /** The alert webhook (Function URL): confirms alerts by a targeted detection, starts executions. */
  alerts: z.object({
    ...common,
    /** Recurrence (app/recurrence), as in detect: resolved episodes of a confirmed fingerprint, and their strategies' statistics. */
    EPISODES_TABLE: tables.EPISODES_TABLE,
    STRATEGIES_TABLE: tables.STRATEGIES_TABLE,
    /** Start claims of the incidents it starts (startIncidentExecution). */
    LOCKS_TABLE: tables.LOCKS_TABLE,
    STATE_MACHINE_ARN: z.string().min(1),
    EVENT_BUS_NAME: z.string().min(1),
    /** Enabled sources (JSON array of system names); none: every delivery is refused. */
    ALERT_SOURCES: json(z.array(AlertSystemSchema)).default([]),
    /** Secrets Manager secret with `{"<system>": "<secret>"}`; absent: every delivery fails authentication. */
    ALERT_SECRET_ARN: z.string().min(1).optional(),
    /** Per-system label mapping overrides (JSON). */
    ALERT_LABEL_MAPPING: json(LabelMappingOverridesSchema).default({}),
    /** Public base URL of the webhook (Splunk On-Call signs URL + fields). */
    WEBHOOK_PUBLIC_URL: z.url().optional(),
  }),
  /**
   * The notifier: RemediationEscalated/Resolved bus events → PagerDuty, Slack,
   * a signed webhook. Only ids of secrets here, never their values.
   */
  notify: z
    .object({
      ...common,
      LOCKS_TABLE: tables.LOCKS_TABLE,
      /** PagerDuty Events API v2 endpoint (the EU service region has its own). */
      NOTIFY_PAGERDUTY_URL: z.url().default('https://events.pagerduty.com/v2/enqueue'),
      NOTIFY_PAGERDUTY_SECRET_ARN: z.string().min(1).optional(),
      NOTIFY_SLACK_SECRET_ARN: z.string().min(1).optional(),
      NOTIFY_WEBHOOK_URL: z.url().optional(),
      NOTIFY_WEBHOOK_SECRET_ARN: z.string().min(1).optional(),
      NOTIFY_DEDUP_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
    })
    .refine((e) => (e.NOTIFY_WEBHOOK_URL === undefined) === (e.NOTIFY_WEBHOOK_SECRET_ARN === undefined), {
      message: 'the webhook needs both its URL and its HMAC secret',
      path: ['NOTIFY_WEBHOOK_SECRET_ARN'],
    }),
} as const;

export type FunctionRole = keyof typeof EnvSchemas;
export const FUNCTION_ROLES = Object.keys(EnvSchemas) as FunctionRole[];
/** What the CDK construct must provide (strings only, as Lambda env vars are). */
export type EnvInput<R extends FunctionRole> = { [K in keyof z.input<(typeof EnvSchemas)[R]>]: string };
export type Env<R extends FunctionRole> = z.infer<(typeof EnvSchemas)[R]>;
