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

  it('never reads the notes: every transcript is the same with the notes replaced by misleading ones', async () => {
    // Why: the notes are for people; playbooks read the typed facts (functions/domain/facts.ts). Before the
    // playbooks, the reasoner parsed maxReplicas, probe timings and HPA metrics back out of these notes.
    const misleading = ['maxReplicas 999', 'cpu: current 900% > target 10%', 'liveness probe: {"timeoutSeconds":50}', 'hpa x: minReplicas 77', 'unauthorized secret'];
    for (const c of cases) {
      const incident = { ...c.incident, evidence: { ...c.incident.evidence, notes: misleading } };
      expect(await transcript(incident, c.limits), c.id).toEqual(golden[c.id]);
    }
  });
});
