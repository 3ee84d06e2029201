import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);

/**
 * Bundles a Lambda entry the way lib/reflexion-function.ts does (esbuild,
 * ESM, minified, the AWS SDK bundled, the createRequire banner) into
 * `.out/built-handlers/`. The target is this
 * Node (the tests run on Node 20; Lambda runs node24).
 */
export async function buildHandler(role: string): Promise<string> {
  const dir = resolve('.out/built-handlers');
  await mkdir(dir, { recursive: true });
  const outfile = join(dir, `${role}.mjs`);
  await build({
    entryPoints: [resolve(`functions/handlers/${role}.ts`)],
    bundle: true,
    minify: true,
    sourcemap: false,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    mainFields: ['module', 'main'],
    outfile,
    external: [],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'silent',
  });
  return outfile;
}

export interface Invocation {
  event: unknown;
  requestId: string;
}
export interface InvocationResult {
  ok: boolean;
  result?: unknown;
  error?: { name: string; message: string };
}

/**
 * Runs a built handler in a fresh Node process, as the Lambda runtime does:
 * imports the bundle once, then invokes `handler(event, context)` for each
 * invocation in turn with a Lambda context. Returns the process's real
 * stdout and stderr (what CloudWatch Logs would receive) and each result.
 */
export async function invokeBuilt(
  bundle: string,
  invocations: readonly Invocation[],
  env: Record<string, string>,
): Promise<{ stdout: string; stderr: string; results: InvocationResult[] }> {
  const dir = resolve('.out/built-handlers');
  const io = join(dir, `io-${process.pid}-${Date.now()}.json`);
  await writeFile(io, JSON.stringify(invocations));
  const script = `
    import { readFileSync, writeFileSync } from 'node:fs';
    const invocations = JSON.parse(readFileSync(${JSON.stringify(io)}, 'utf8'));
    const { handler } = await import(${JSON.stringify(bundle)});
    const results = [];
    for (const { event, requestId } of invocations) {
      const context = {
        callbackWaitsForEmptyEventLoop: true,
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
        memoryLimitInMB: '512',
        awsRequestId: requestId,
        logGroupName: '/aws/lambda/' + process.env.AWS_LAMBDA_FUNCTION_NAME,
        logStreamName: '2026/12/06/[$LATEST]0123456789abcdef',
        getRemainingTimeInMillis: () => 30000,
        done() {}, fail() {}, succeed() {},
      };
      try {
        results.push({ ok: true, result: await handler(event, context) });
      } catch (error) {
        results.push({ ok: false, error: { name: error.name, message: error.message } });
      }
    }
    writeFileSync(${JSON.stringify(io)}, JSON.stringify(results));
  `;
  const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    timeout: 60_000,
  });
  const results = JSON.parse(await readFile(io, 'utf8')) as InvocationResult[];
  return { stdout, stderr, results };
}

/** The JSON lines of a process's output (anything else is ignored). */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
