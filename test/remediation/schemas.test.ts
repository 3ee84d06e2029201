import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSchemas, SCHEMAS_DIR } from '../../bin/generate-schemas';
import { API_ACTIONS } from '../../functions/app/action-api-schema';

describe('published JSON Schemas (schemas/)', () => {
  it('are exactly what bin/generate-schemas.ts produces from the zod schemas (run it after changing a schema)', async () => {
    // Arrange
    const expected = generateSchemas();
    // Act
    const committed = (await readdir(SCHEMAS_DIR)).filter((f) => f.endsWith('.json')).sort();
    // Assert
    expect(committed).toEqual(Object.keys(expected).sort());
    for (const [name, content] of Object.entries(expected)) {
      expect(await readFile(join(SCHEMAS_DIR, name), 'utf8'), `schemas/${name} is stale`).toBe(content);
    }
  });

  it('cover every action of the API, each closed to unknown fields', () => {
    const files = generateSchemas();
    for (const action of API_ACTIONS) {
      const schema = JSON.parse(files[`${action}.json`] ?? '{}') as { properties?: { action?: { const?: string } }; additionalProperties?: boolean };
      expect(schema.properties?.action?.const).toBe(action);
      expect(schema.additionalProperties).toBe(false);
    }
  });
});
