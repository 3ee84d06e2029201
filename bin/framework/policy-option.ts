import { readFile } from 'node:fs/promises';
import { describeZodIssue } from '../../functions/domain/zod-issue';
import { ModeSchema, PolicyConfigSchema, type PolicyConfig } from '../../functions/domain/policy-config';
import { UsageError } from './errors';

/** A JSON file ('-' = standard input) as a value; a missing file or bad JSON is a usage error naming `what` and the path. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = path === '-' ? await new Response(process.stdin as unknown as ReadableStream).text() : await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${what} ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${what} ${path}: not JSON (${(error as Error).message})`);
  }
}

/**
 * The one reading of `--mode` and `--policy FILE` for every command that runs
 * the action API or the state machine locally: the file's PolicyConfig with the
 * flag's mode on top, validated by the same schema as the Lambda env.
 */
export async function policyFromFlags(flags: { mode?: string | undefined; policy?: string | undefined }): Promise<PolicyConfig> {
  const mode = ModeSchema.safeParse(flags.mode ?? 'dry-run');
  if (!mode.success) throw new UsageError(`--mode: '${flags.mode}' is not observe, dry-run or enforce`);
  const input = flags.policy ? await readJsonFile(flags.policy, '--policy') : {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new UsageError(`--policy ${flags.policy}: must be a JSON object`);
  const policy = PolicyConfigSchema.safeParse({ ...input, mode: mode.data });
  if (!policy.success) throw new UsageError(`--policy: ${describeZodIssue(policy.error).message}`);
  return policy.data;
}
