import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A bare environment: no AWS credentials or region leak in from the machine. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, replaceEnv: true, timeoutMs: 60_000 });

/** approve/deny refuse bad input before any AWS call, naming what is wrong (exit 2). */
describe('eks-reflexion approve / deny', () => {
  it.each([
    // Not a digest: an approval is bound to one exact sha256 digest.
    [['approve', 'latest', '--function-name', 'f', '--region', 'eu-west-1'], /DIGEST: must be a digest/],
    // Which deployment's function decides must be said.
    [['deny', DIGEST, '--region', 'eu-west-1'], /function-name/],
    // No region anywhere: nothing to call.
    [['approve', DIGEST, '--function-name', 'f', '--approver', 'alice'], /--region/],
    // No approver and no $USER: a decision must name who made it.
    [['approve', DIGEST, '--function-name', 'f', '--region', 'eu-west-1'], /--approver/],
  ])('%j → exit 2', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  }, 60_000);
});
