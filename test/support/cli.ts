import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The CLI entry a user runs (`npx eks-reflexion` resolves to it). */
export const CLI_ENTRY = join(__dirname, '..', '..', 'bin', 'eks-reflexion.mjs');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `eks-reflexion ARGS` as a separate process, as a user's shell would, and
 * answers its exit code and output (a non-zero exit is an answer, not a throw).
 * `env` replaces the environment when given whole (`replaceEnv`), else adds to it.
 */
export async function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; replaceEnv?: boolean; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  const env = options.replaceEnv ? options.env : { ...process.env, ...options.env };
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI_ENTRY, ...args], { maxBuffer: 16 * 2 ** 20, timeout: options.timeoutMs ?? 120_000, env, ...(options.cwd ? { cwd: options.cwd } : {}) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
