import { kebab } from '../fingerprint';

/**
 * Sub-reason for a container termination: `exit-<code>` for a plain error exit
 * (the code is what distinguishes a config error from a segfault), otherwise
 * the runtime's reason (`start-error`, `container-cannot-run`, `completed`).
 */
export function terminationSubReason(reason: string | undefined, exitCode: number | undefined): string {
  if ((reason === undefined || reason === 'Error') && exitCode !== undefined) return `exit-${exitCode}`;
  if (reason === 'Error') return 'error';
  return reason ? kebab(reason) : 'unknown';
}
