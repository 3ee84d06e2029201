import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const CLI = join(process.cwd(), 'bin/eks-reflexion.mjs');

/**
 * Bad benchmark and demo arguments stop with a clear message before anything
 * runs: no DynamoDB Local is started, no output directory is written. The
 * timeout is the proof that nothing heavy started (a real run takes minutes).
 */
describe('bench and demo flags', () => {
  it.each([
    { args: ['bench', '--faults', 'bad-image-tag,no-such-fault'], message: /unknown fault\(s\): no-such-fault; known: .*bad-image-tag/ },
    { args: ['bench', '--seeds', '0'], message: /--seeds must be an integer from 1 to 50, got '0'/ },
    { args: ['bench', '--seeds', 'five'], message: /--seeds must be an integer/ },
    { args: ['bench', '--train-seeds', '-1'], message: /--train-seeds/ },
    { args: ['bench', '--scan-sizes', '1000,lots'], message: /--scan-sizes/ },
    { args: ['bench', '--only', 'everything'], message: /--only must be 'suite' or 'perf'/ },
    { args: ['bench', '--turbo'], message: /turbo/ },
    // The stream bench: its flags are checked and its families loaded before DynamoDB Local starts.
    { args: ['bench', '--stream', '--streams', '0'], message: /--streams must be an integer from 1 to 200, got '0'/ },
    { args: ['bench', '--stream', '--length', 'long'], message: /--length must be an integer/ },
    { args: ['bench', '--stream', '--faults', 'bad-image-tag'], message: /--stream takes --families \(not --faults\)/ },
    { args: ['bench', '--streams', '3'], message: /--streams only apply with --stream/ },
    { args: ['bench', '--stream', '--families', '/nonexistent/families'], message: /nonexistent\/families/ },
    { args: ['demo', '--length', '0'], message: /--length must be an integer from 2 to 200/ },
    { args: ['demo', '--family', 'nope'], message: /--family: no family 'nope'; known: / },
    { args: ['no-such-command'], message: /unknown command 'no-such-command'/ },
  ])('$args → exit 2', async ({ args, message }) => {
    const result = await exec(process.execPath, [CLI, ...args, '--out', '/nonexistent/never-written'], { timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code, stderr: e.stderr ?? '' }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
