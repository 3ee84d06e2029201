import { Duration, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { MEMORY_NAMESPACE_PATTERN, MEMORY_NAMESPACE_RULE } from '../functions/config/names';
import type { LabelMappingOverrides } from '../functions/domain/alerts/labels';
import type { AlertSystem } from '../functions/domain/alerts/types';
import { ValidationError } from '../functions/domain/errors';
import { executionBudget, PolicyConfigSchema, type PolicyConfig, type PolicyConfigInput } from '../functions/domain/policy-config';

export interface EksReflexionStackProps extends StackProps {
  /** EKS clusters this deployment watches and may act on (same account and region as the stack). */
  readonly clusterNames: readonly string[];
  /** The safety policy and trial loop settings. @default PolicyConfigSchema defaults (mode dry-run) */
  readonly policy?: PolicyConfigInput;
  /** Minutes between detection scans. @default 1 */
  readonly scheduleRateMinutes?: number;
  /** Bedrock model or inference profile id. @default none: the deterministic reasoner, no Bedrock permission */
  readonly bedrockModelId?: string;
  /** Prefix of every memory key; benchmarks use their own. @default 'default' */
  readonly memoryNamespace?: string;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** CloudWatch namespace of the custom metrics. @default 'EksReflexion' */
  readonly metricsNamespace?: string;
  /** Create an SNS topic the alarms notify (subscribe to it after deploy). @default false: alarms only */
  readonly alarmTopic?: boolean;
  /** Alert sources the webhook accepts. @default none: no webhook URL, no secret */
  readonly alertSources?: readonly AlertSystem[];
  /** Label mapping overrides per alert system. @default the documented defaults */
  readonly alertLabelMapping?: LabelMappingOverrides;
  /** Where escalations go (each channel optional). @default none: no notifier function, no rule */
  readonly notify?: NotifySettingsInput;
}

/** A Secrets Manager secret ARN, exactly (IAM grants GetSecretValue on it and nothing else). */
const SecretArnSchema = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
    'must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
  );
const HttpsUrlSchema = z.url({ protocol: /^https$/, error: 'must be an https URL' });

/** The notifier's channels; the values that are credentials live in Secrets Manager, only their ARNs here. */
export const NotifySettingsSchema = z
  .object({
    /** PagerDuty Events API v2: the secret holds the integration (routing) key. */
    pagerDuty: z
      .object({ secretArn: SecretArnSchema, url: HttpsUrlSchema.default('https://events.pagerduty.com/v2/enqueue') })
      .strict()
      .optional(),
    /** Slack incoming webhook: the secret holds its URL (the URL is the credential). */
    slack: z.object({ secretArn: SecretArnSchema }).strict().optional(),
    /** A generic webhook: CloudEvents JSON signed with HMAC-SHA256 by the secret it holds. */
    webhook: z.object({ url: HttpsUrlSchema, secretArn: SecretArnSchema }).strict().optional(),
    /** Also send RemediationResolved (PagerDuty resolves the alert, Slack says so). */
    resolutions: z.boolean().default(false),
    /** One Slack/webhook message per incident fingerprint within this window. */
    dedupSeconds: z.number().int().min(60).max(86_400).default(3600),
  })
  .strict()
  .refine((n) => n.pagerDuty || n.slack || n.webhook, { message: 'needs at least one channel (pagerDuty, slack or webhook)' });
export type NotifySettingsInput = z.input<typeof NotifySettingsSchema>;
export type NotifySettings = z.infer<typeof NotifySettingsSchema>;

const ClusterNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[0-9A-Za-z][A-Za-z0-9_-]*$/, 'must be an EKS cluster name (letters, digits, - and _)');

const StackPropsSchema = z.object({
  clusterNames: z
    .array(ClusterNameSchema)
    .min(1, 'needs at least one cluster')
    .refine((names) => new Set(names).size === names.length, 'must not repeat a cluster'),
  policy: PolicyConfigSchema.prefault({}),
  scheduleRateMinutes: z.number().int().min(1).max(1440).default(1),
  bedrockModelId: z
    .string()
    .regex(/^[A-Za-z0-9:._/-]{1,2048}$/, 'must be a Bedrock model id, inference profile id or ARN')
    .optional(),
  memoryNamespace: z
    .string()
    .regex(MEMORY_NAMESPACE_PATTERN, MEMORY_NAMESPACE_RULE)
    .default('default'),
  metricsNamespace: z
    .string()
    .regex(/^[A-Za-z0-9._/#:-]{1,255}$/, 'must be a CloudWatch namespace (letters, digits, . _ / # : -)')
    .refine((ns) => !ns.startsWith('AWS/'), 'must not start with AWS/ (reserved)')
    .default('EksReflexion'),
  alarmTopic: z.boolean().default(false),
  notify: NotifySettingsSchema.optional(),
});
export type ResolvedStackSettings = Readonly<z.infer<typeof StackPropsSchema>>;

/** Validates the props at the construct boundary; the error names the offending field. */
export function resolveStackSettings(props: EksReflexionStackProps): ResolvedStackSettings {
  const parsed = StackPropsSchema.safeParse({
    clusterNames: props.clusterNames,
    policy: props.policy,
    scheduleRateMinutes: props.scheduleRateMinutes,
    bedrockModelId: props.bedrockModelId === '' ? undefined : props.bedrockModelId,
    memoryNamespace: props.memoryNamespace,
    metricsNamespace: props.metricsNamespace,
    alarmTopic: props.alarmTopic,
    notify: props.notify,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new ValidationError(`EksReflexionStack: ${field || 'props'}: ${issue.message}`, field);
  }
  return parsed.data;
}

/**
 * The state machine's hard stop: long enough for every trial to use its whole
 * verify window plus the steps around it, and never under two hours.
 */
export function executionTimeout(policy: PolicyConfig): Duration {
  return Duration.seconds(executionBudget(policy).timeoutSeconds);
}
