import { z } from 'zod';
import { ValidationError } from '../functions/domain/errors';
import { LabelMappingOverridesSchema } from '../functions/domain/alerts/labels';
import { ALERT_SYSTEMS, AlertSystemSchema } from '../functions/domain/alerts/types';
import { ModeSchema, PolicyConfigSchema } from '../functions/domain/policy-config';
import { resolveStackSettings, type EksReflexionStackProps } from './eks-reflexion-stack';

/**
 * CDK context (`cdk.json` or `-c key=value`) → stack props. Values from the
 * command line are always strings, values from cdk.json may be JSON, so each
 * key accepts both. Any bad key stops the app with an error naming it.
 */

/** `a,b` or `["a","b"]` (string), or a JSON array from cdk.json. */
const list = z.union([z.array(z.string()), z.string()]).transform((value, ctx) => {
  if (Array.isArray(value)) return value.map((v) => v.trim()).filter((v) => v.length > 0);
  const text = value.trim();
  if (text.startsWith('[')) {
    try {
      const parsed = z.array(z.string()).safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data.map((v) => v.trim()).filter((v) => v.length > 0);
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list or a JSON array of strings' });
    return z.NEVER;
  }
  return text
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
});

const decimal = z.union([z.number(), z.string().trim().regex(/^\d+(\.\d+)?$/, 'must be a number').transform(Number)]).pipe(z.number());

const integer = z.union([z.number(), z.string().trim().regex(/^-?\d+$/, 'must be an integer').transform(Number)]).pipe(z.number().int());

export const ContextSchema = z
  .object({
    clusterNames: list.optional(),
    /** `-c clusterName=prod-eks`, the singular spelling: one cluster (README, "Deploying", uses clusterNames). */
    clusterName: z.string().trim().min(1).optional(),
    mode: ModeSchema.default('dry-run'),
    scheduleRate: integer.pipe(z.number().min(1, 'must be at least 1 minute').max(1440, 'must be at most 1440 minutes')).default(1),
    protectedNamespaces: list.default([]),
    optInNamespaces: list.default([]),
    maxTrials: integer.optional(),
    verifyIntervalSeconds: integer.optional(),
    verifyTimeoutSeconds: integer.optional(),
    /** The policy's knobs (functions/domain/policy-config.ts holds their bounds and defaults). */
    cooldownSeconds: integer.optional(),
    maxActionsPerHour: integer.optional(),
    maxReplicas: integer.optional(),
    maxReplicaStep: integer.optional(),
    maxCpu: z.string().trim().optional(),
    maxMemory: z.string().trim().optional(),
    maxResourceFactor: decimal.optional(),
    hpaMaxReplicasCeiling: integer.optional(),
    /** Actions that wait for an operator's approval: `scale_deployment,rollback_deployment`. */
    approvalRequiredFor: list.optional(),
    approvalTimeoutSeconds: integer.optional(),
    /** `thompson` (default) or `epsilon-greedy` (the old fixed 80/20 split). */
    selectionMethod: z.string().trim().optional(),
    /** `key=value`: a namespace or workload must carry it to be acted on. */
    optInLabel: z.string().trim().optional(),
    bedrockModelId: z.string().trim().optional(),
    memoryNamespace: z.string().trim().default('default'),
    /** Alert sources the webhook accepts: `alertmanager,pagerduty` or `all`. */
    alertSources: list
      .transform((v) => (v.length === 1 && v[0] === 'all' ? [...ALERT_SYSTEMS] : v))
      .pipe(z.array(AlertSystemSchema).refine((v) => new Set(v).size === v.length, 'must not repeat a source'))
      .default([]),
    /** JSON: `{"<system>"|"*": {"namespace": ["label", ...], ...}}`. */
    alertLabelMapping: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .transform((value, ctx) => {
        if (typeof value !== 'string') return value;
        try {
          return JSON.parse(value) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON' });
          return z.NEVER;
        }
      })
      .pipe(LabelMappingOverridesSchema)
      .optional(),
    /** Escalation out (lib/notifier.ts): each channel optional; secrets by ARN only. */
    'notify.pagerduty.secretArn': z.string().trim().optional(),
    'notify.pagerduty.url': z.string().trim().optional(),
    'notify.slack.secretArn': z.string().trim().optional(),
    'notify.webhook.url': z.string().trim().optional(),
    'notify.webhook.secretArn': z.string().trim().optional(),
    'notify.resolutions': z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
    'notify.dedupSeconds': integer.optional(),
  })
  .transform((c, ctx) => {
    const clusterNames = [...(c.clusterNames ?? []), ...(c.clusterName ? [c.clusterName] : [])];
    if (clusterNames.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['clusterNames'], message: 'is required: -c clusterNames=cluster-a,cluster-b' });
      return z.NEVER;
    }
    return { ...c, clusterNames: [...new Set(clusterNames)] };
  });

export const CONTEXT_KEYS = [
  'clusterNames',
  'clusterName',
  'mode',
  'scheduleRate',
  'protectedNamespaces',
  'optInNamespaces',
  'maxTrials',
  'verifyIntervalSeconds',
  'verifyTimeoutSeconds',
  'cooldownSeconds',
  'maxActionsPerHour',
  'maxReplicas',
  'maxReplicaStep',
  'maxCpu',
  'maxMemory',
  'maxResourceFactor',
  'hpaMaxReplicasCeiling',
  'approvalRequiredFor',
  'approvalTimeoutSeconds',
  'selectionMethod',
  'optInLabel',
  'bedrockModelId',
  'memoryNamespace',
  'alertSources',
  'alertLabelMapping',
  'notify.pagerduty.secretArn',
  'notify.pagerduty.url',
  'notify.slack.secretArn',
  'notify.webhook.url',
  'notify.webhook.secretArn',
  'notify.resolutions',
  'notify.dedupSeconds',
] as const;

/**
 * Reads the app's context keys through `get` (e.g. `app.node.tryGetContext`)
 * and returns validated stack props. Throws ValidationError whose message
 * names the context key.
 */
export function stackPropsFromContext(get: (key: string) => unknown): EksReflexionStackProps {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = get(key);
    if (value !== undefined && value !== null && value !== '') raw[key] = value;
  }
  const parsed = ContextSchema.safeParse(raw);
  if (!parsed.success) throw contextError(parsed.error.issues[0]!);
  const c = parsed.data;

  const policy = PolicyConfigSchema.safeParse({
    mode: c.mode,
    protectedNamespaces: c.protectedNamespaces,
    optInNamespaces: c.optInNamespaces,
    ...(c.maxTrials !== undefined ? { maxTrials: c.maxTrials } : {}),
    verify: {
      ...(c.verifyIntervalSeconds !== undefined ? { intervalSeconds: c.verifyIntervalSeconds } : {}),
      ...(c.verifyTimeoutSeconds !== undefined ? { timeoutSeconds: c.verifyTimeoutSeconds } : {}),
    },
    ...(c.cooldownSeconds !== undefined ? { cooldownSeconds: c.cooldownSeconds } : {}),
    ...(c.maxActionsPerHour !== undefined ? { maxActionsPerHour: c.maxActionsPerHour } : {}),
    limits: {
      ...(c.maxReplicas !== undefined ? { maxReplicas: c.maxReplicas } : {}),
      ...(c.maxReplicaStep !== undefined ? { maxReplicaStep: c.maxReplicaStep } : {}),
      ...(c.maxCpu !== undefined ? { maxCpu: c.maxCpu } : {}),
      ...(c.maxMemory !== undefined ? { maxMemory: c.maxMemory } : {}),
      ...(c.maxResourceFactor !== undefined ? { maxResourceFactor: c.maxResourceFactor } : {}),
      ...(c.hpaMaxReplicasCeiling !== undefined ? { hpaMaxReplicasCeiling: c.hpaMaxReplicasCeiling } : {}),
    },
    ...(c.approvalRequiredFor !== undefined ? { approvalRequiredFor: c.approvalRequiredFor } : {}),
    ...(c.approvalTimeoutSeconds !== undefined ? { approvalTimeoutSeconds: c.approvalTimeoutSeconds } : {}),
    ...(c.selectionMethod !== undefined ? { selection: { method: c.selectionMethod } } : {}),
    ...(c.optInLabel !== undefined ? { optInLabel: c.optInLabel } : {}),
  });
  if (!policy.success) {
    const issue = policy.error.issues[0]!;
    // Policy paths back to the context key the operator typed.
    const keyOf: Record<string, string> = {
      'verify.intervalSeconds': 'verifyIntervalSeconds',
      'verify.timeoutSeconds': 'verifyTimeoutSeconds',
      'selection.method': 'selectionMethod',
    };
    const path = issue.path.join('.');
    const key = keyOf[path] ?? (issue.path[0] === 'limits' ? String(issue.path[1] ?? 'limits') : String(issue.path[0] ?? 'policy'));
    throw contextError({ ...issue, path: [key] });
  }

  const notify = notifyFromContext(c);
  const props: EksReflexionStackProps = {
    ...(notify ? { notify } : {}),
    clusterNames: c.clusterNames,
    policy: policy.data,
    scheduleRateMinutes: c.scheduleRate,
    memoryNamespace: c.memoryNamespace,
    ...(c.bedrockModelId ? { bedrockModelId: c.bedrockModelId } : {}),
    ...(c.alertSources.length > 0 ? { alertSources: c.alertSources } : {}),
    ...(c.alertLabelMapping ? { alertLabelMapping: c.alertLabelMapping } : {}),
  };
  // The stack validates its props too; report its findings by context key, before any construct exists.
  try {
    resolveStackSettings(props);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const field = error.field ?? 'context';
    const key = field.startsWith('notify') ? notifyKeyOf(field) : field.split('.')[0] === 'scheduleRateMinutes' ? 'scheduleRate' : (field.split('.')[0] ?? field);
    throw new ValidationError(`context '${key}': ${error.message.replace(/^EksReflexionStack: [^:]+: /, '')}`, key, { cause: error });
  }
  return props;
}

type Context = z.infer<typeof ContextSchema>;

/** The notify.* keys → the stack's `notify` prop; undefined when none is set. A key without its channel is an error naming it. */
function notifyFromContext(c: Context): EksReflexionStackProps['notify'] {
  const pd = c['notify.pagerduty.secretArn'];
  const slack = c['notify.slack.secretArn'];
  const hookUrl = c['notify.webhook.url'];
  const hookSecret = c['notify.webhook.secretArn'];
  const orphan: [string, unknown, string][] = [
    ['notify.pagerduty.url', c['notify.pagerduty.url'] !== undefined && !pd, 'needs notify.pagerduty.secretArn (the routing key)'],
    ['notify.webhook.url', hookUrl !== undefined && !hookSecret, 'needs notify.webhook.secretArn (the HMAC secret)'],
    ['notify.webhook.secretArn', hookSecret !== undefined && !hookUrl, 'needs notify.webhook.url'],
  ];
  for (const [key, bad, message] of orphan) if (bad) throw new ValidationError(`context '${key}': ${message}`, key);
  const anyChannel = pd !== undefined || slack !== undefined || hookUrl !== undefined;
  if (!anyChannel) {
    for (const key of ['notify.resolutions', 'notify.dedupSeconds'] as const) {
      if (c[key] !== undefined) throw new ValidationError(`context '${key}': set a channel first (notify.pagerduty.secretArn, notify.slack.secretArn or notify.webhook.url)`, key);
    }
    return undefined;
  }
  return {
    ...(pd !== undefined ? { pagerDuty: { secretArn: pd, ...(c['notify.pagerduty.url'] !== undefined ? { url: c['notify.pagerduty.url'] } : {}) } } : {}),
    ...(slack !== undefined ? { slack: { secretArn: slack } } : {}),
    ...(hookUrl !== undefined && hookSecret !== undefined ? { webhook: { url: hookUrl, secretArn: hookSecret } } : {}),
    ...(c['notify.resolutions'] !== undefined ? { resolutions: c['notify.resolutions'] } : {}),
    ...(c['notify.dedupSeconds'] !== undefined ? { dedupSeconds: c['notify.dedupSeconds'] } : {}),
  };
}

/** `notify.pagerDuty.secretArn` (the props' path) → `notify.pagerduty.secretArn` (the context key). */
function notifyKeyOf(field: string): string {
  const [, channel, leaf] = field.split('.');
  if (!channel) return 'notify';
  if (!leaf) return channel === 'pagerDuty' ? 'notify.pagerduty.secretArn' : `notify.${channel}`;
  return `notify.${channel === 'pagerDuty' ? 'pagerduty' : channel}.${leaf}`;
}

function contextError(issue: { path: PropertyKey[]; message: string }): ValidationError {
  const key = String(issue.path[0] ?? 'context');
  const rest = issue.path.slice(1).map(String).join('.');
  return new ValidationError(`context '${key}'${rest ? ` (${rest})` : ''}: ${issue.message}`, key);
}
