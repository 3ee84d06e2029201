import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allCases, transcript } from './golden/cases';

/**
 * The deterministic reasoner's behaviour, pinned: its output over every fault
 * scenario (three seeds, two moments) and every detector fixture, recorded
 * before the reasoner was split into playbooks (test/reasoner/golden/cases.ts
 * says what is recorded). A difference here is a change of behaviour; only a
 * deliberate one, named in its commit, may re-record the file.
 */
const golden = JSON.parse(readFileSync(new URL('./golden/reasoner-golden.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const cases = allCases();

describe('deterministic reasoner golden transcript', () => {
  it('covers the same cases as the recording, and enough of them', () => {
    expect(cases.map((c) => c.id).sort()).toEqual(Object.keys(golden).sort());
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    expect(await transcript(c.incident, c.limits)).toEqual(golden[c.id]);
  });
});
