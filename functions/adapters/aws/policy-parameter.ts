import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { ValidationError } from '../../domain/errors';
import { ModeSchema, PolicyConfigSchema, type PolicyConfig } from '../../domain/policy-config';
import type { Logger } from '../../ports/logger';
import { describeZodIssue } from '../../domain/zod-issue';

/** The longest an operator's change to the parameter may take to reach a write. */
export const MAX_POLICY_CACHE_SECONDS = 60;

/**
 * The configured policy from an SSM parameter, through Powertools Parameters
 * (cached for `maxAgeSeconds`, at most 60), so an operator switches the mode
 * — `aws ssm put-parameter --overwrite --name ... --value observe` — without
 * a redeploy. The value is either a bare mode (`observe`, `dry-run`,
 * `enforce`) or a JSON object of PolicyConfig fields laid over the policy the
 * function was deployed with. A parameter that does not exist means "not
 * configured": the deployed policy applies. A value that does not parse fails
 * the write with a ValidationError naming the parameter (never a guess).
 */
export function parameterPolicySource(options: {
  provider: Pick<SSMProvider, 'get'>;
  name: string;
  deployed: PolicyConfig;
  maxAgeSeconds?: number;
  logger?: Logger;
}): () => Promise<PolicyConfig> {
  const maxAge = Math.min(options.maxAgeSeconds ?? MAX_POLICY_CACHE_SECONDS, MAX_POLICY_CACHE_SECONDS);
  return async () => {
    let value: string | undefined;
    try {
      value = await options.provider.get(options.name, { maxAge });
    } catch (error) {
      if (isParameterNotFound(error)) {
        options.logger?.warn('policy parameter not found; using the deployed policy', { parameter: options.name });
        return options.deployed;
      }
      throw error;
    }
    if (value === undefined) return options.deployed;
    return parsePolicyParameter(options.name, value, options.deployed);
  };
}

/** A bare mode, or a JSON object of PolicyConfig fields over the deployed policy. */
export function parsePolicyParameter(name: string, value: string, deployed: PolicyConfig): PolicyConfig {
  const text = value.trim();
  const mode = ModeSchema.safeParse(text);
  if (mode.success) return { ...deployed, mode: mode.data };
  let overrides: unknown;
  try {
    overrides = JSON.parse(text);
  } catch {
    throw new ValidationError(`policy parameter ${name}: must be observe, dry-run, enforce or a JSON object of policy fields`, 'POLICY_PARAMETER');
  }
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new ValidationError(`policy parameter ${name}: must be observe, dry-run, enforce or a JSON object of policy fields`, 'POLICY_PARAMETER');
  }
  const parsed = PolicyConfigSchema.safeParse({ ...deployed, ...overrides });
  if (!parsed.success) {
    const { field, message } = describeZodIssue(parsed.error);
    throw new ValidationError(`policy parameter ${name}: ${message}`, `POLICY_PARAMETER.${field}`);
  }
  return parsed.data;
}

function isParameterNotFound(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (e.name === 'ParameterNotFound') return true;
  }
  return false;
}

/** A provider built on first use (the SDK client and Powertools Parameters load then, not at cold start). */
export function lazyProvider(build: () => Promise<Pick<SSMProvider, 'get'>>): Pick<SSMProvider, 'get'> {
  let provider: Promise<Pick<SSMProvider, 'get'>> | undefined;
  return {
    get: (async (name: string, options?: { maxAge?: number }) => {
      provider ??= build();
      provider.catch(() => (provider = undefined));
      return (await provider).get(name, options);
    }) as SSMProvider['get'],
  };
}
