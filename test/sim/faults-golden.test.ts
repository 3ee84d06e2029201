import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAULTS } from './faults';
import { recordingClient, type RecordedCall } from './faults/record-calls';

/**
 * The catalogue became data without changing a single API call: for every
 * fault and ten seeds (the bench's held-out and training seeds among them),
 * the calls its setup, inject and manual fix make are the ones the
 * TypeScript catalogue made (recorded before it was deleted). Same calls on
 * the same seeded simulator → same cluster → same bench results.
 */

const golden = JSON.parse(readFileSync(new URL('./faults/golden-calls.json', import.meta.url), 'utf8')) as {
  hashes: Record<string, string>;
  full: Record<string, unknown>;
};

// The one intended difference: the file's manual fix for registry-auth names the Secret's namespace in its
// metadata (an `apply` step reads the namespace from there); the old code posted it without.
function normalise(calls: RecordedCall[]): RecordedCall[] {
  return calls.map((c) => {
    const body = c.body as { metadata?: Record<string, unknown> } | undefined;
    if (c.method !== 'POST' || !body?.metadata || !/^\/api\/v1\/namespaces\/[^/]+\/secrets$/.test(c.path)) return c;
    const { namespace: _ns, ...metadata } = body.metadata;
    return { ...c, body: { ...body, metadata } };
  });
}

async function record(name: string, seed: number) {
  const inst = FAULTS[name]!.instantiate(seed);
  const { client, calls } = recordingClient(() => ['a', 'b', 'c'].map((x) => `${inst.workload.name}-abc-${x}`));
  await inst.setup(client);
  const setup = calls.splice(0);
  await inst.inject(client);
  const inject = calls.splice(0);
  await inst.manualFix(client);
  const manualFix = normalise(calls.splice(0));
  return { namespace: inst.namespace, workload: inst.workload, setup, inject, manualFix };
}

const keys = Object.keys(golden.hashes);

describe('the fault catalogue as scenario files', () => {
  it('covers the same fourteen faults', () => {
    expect([...new Set(keys.map((k) => k.split('@')[0]))].sort()).toEqual(Object.keys(FAULTS).sort());
    expect(Object.keys(FAULTS)).toHaveLength(14);
  });

  it.each(Object.keys(golden.full))('%s: makes exactly the recorded calls', async (key) => {
    const [name, seed] = key.split('@');
    expect(await record(name!, Number(seed))).toEqual(golden.full[key]);
  });

  it.each(keys)('%s: makes the same calls (hash)', async (key) => {
    const [name, seed] = key.split('@');
    const rec = await record(name!, Number(seed));
    expect(createHash('sha256').update(JSON.stringify(rec)).digest('hex').slice(0, 16)).toBe(golden.hashes[key]);
  });
});
