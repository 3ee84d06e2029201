import { EXIT } from './exit-codes';

/**
 * Exit code for an error that ended a command. Matched by the errors' literal
 * `name` (functions/domain/errors.ts, functions/local/dynamodb-local.ts), so
 * this file loads nothing of the product.
 */
const BY_NAME: Record<string, number> = {
  UsageError: EXIT.usage,
  // The cluster did not answer, timed out, or refused who we are.
  KubeUnavailable: EXIT.unreachable,
  KubeTimeout: EXIT.unreachable,
  KubeUnauthorized: EXIT.unreachable,
  MemoryUnavailable: EXIT.unreachable,
  DataDirBusy: EXIT.busy,
  Interrupted: EXIT.interrupted,
};

export function exitCodeOfError(error: unknown): number {
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && name in BY_NAME) return BY_NAME[name]!;
  // A validation error about what the command line named (kubeconfig, context) is a usage error.
  const field = (error as { field?: unknown } | null)?.field;
  if (name === 'ValidationError' && (field === 'kubeconfig' || field === 'context')) return EXIT.usage;
  return EXIT.failed;
}
