import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FUNCTION_ROLES } from '../../functions/config/env';

/**
 * Every function the stack deploys (one per role, entry functions/handlers/<role>.ts,
 * see lib/reflexion-function.ts) is a middy handler built by lambdaHandler, so it
 * goes through the one pipeline; the entry file holds nothing else.
 */
describe('handler entry files', () => {
  it.each(FUNCTION_ROLES)('%s is the middy pipeline around one step', async (role) => {
    const mod = (await import(`../../functions/handlers/${role}.ts`)) as { handler: { use?: unknown; before?: unknown; onError?: unknown } };
    expect(typeof mod.handler).toBe('function');
    // middy's handler object: use/before/after/onError are its API.
    expect(typeof mod.handler.use).toBe('function');
    expect(typeof mod.handler.onError).toBe('function');
    const source = await readFile(`functions/handlers/${role}.ts`, 'utf8');
    const statements = source.split('\n').filter((l) => l.trim() && !l.startsWith('import ') && !l.trim().startsWith('/**') && !l.trim().startsWith('*'));
    expect(statements).toEqual([expect.stringMatching(new RegExp(`^export const handler = lambdaHandler\\('${role}', `))]);
  });
});
