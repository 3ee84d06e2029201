import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { API_ACTIONS, ActionApiResponseSchema, buildPayloadSchema, buildPayloadSchemas } from '../functions/app/action-api-schema';
import { ScenarioFileSchema } from '../test/sim/scenario/schema';

/**
 * Publishes the action API's payload schemas as JSON Schema (one file per
 * action, an index with all of them, and the response), generated from the
 * zod schemas the handler validates with, for the default policy bounds.
 * `npx tsx bin/generate-schemas.ts` rewrites schemas/; a test fails when the
 * committed files differ from what this produces.
 */
export const SCHEMAS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'schemas');

const render = (schema: z.ZodType, title: string, reused: 'inline' | 'ref' = 'inline'): string => {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', reused }) as Record<string, unknown>;
  return `${JSON.stringify({ title, ...json }, null, 2)}\n`;
};

/** File name → content. */
export function generateSchemas(): Record<string, string> {
  const perAction = buildPayloadSchemas();
  const files: Record<string, string> = {};
  for (const action of API_ACTIONS) {
    files[`${action}.json`] = render(perAction[action], `${action} payload`);
  }
  files['index.json'] = render(buildPayloadSchema(), 'Any action API payload (discriminated on action)');
  files['response.json'] = render(ActionApiResponseSchema, 'Action API response');
  // Not an action: the simulator's scenario file format (docs/scenarios.md).
  files['scenario.json'] = render(ScenarioFileSchema, 'Scenario file (docs/scenarios.md)', 'ref');
  return files;
}

async function main(): Promise<void> {
  const files = generateSchemas();
  await mkdir(SCHEMAS_DIR, { recursive: true });
  // Files of actions that no longer exist must not linger as if they were still served.
  for (const existing of await readdir(SCHEMAS_DIR)) {
    if (existing.endsWith('.json') && !(existing in files)) await rm(join(SCHEMAS_DIR, existing));
  }
  for (const [name, content] of Object.entries(files)) await writeFile(join(SCHEMAS_DIR, name), content);
  process.stdout.write(`wrote ${Object.keys(files).length} schemas to ${SCHEMAS_DIR}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
