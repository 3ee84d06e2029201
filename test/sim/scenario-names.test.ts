import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planStreams } from '../bench/stream-plan';
import { FAMILIES_DIR, loadFamilies } from './faults';
import { parseScenarioText } from './scenario/load';

/**
 * No instance of a family may hold two objects of one kind with the same
 * namespace and name: its setup would fail half-way with 409 "already
 * exists". The full stream run of session 4 crashed on exactly that
 * (hpa-at-max drew the downstream "inventory" for the app "inventory").
 */

const families = loadFamilies();

describe('scenario instances never collide on a name', () => {
  // Every seed the stream bench draws at its default seed and full size, plus a plain range: a collision that
  // depends on two draws agreeing (1 in 48 for the bug above) shows up well within these.
  const plan = planStreams({ families: families.map((f) => f.name), streams: 20, length: 40, seed: 1 }).flat();
  const seeds = [...new Set([...plan.map((p) => p.instanceSeed), ...Array.from({ length: 500 }, (_, i) => i)])];
  it.each(families.map((f) => [f.name, f] as const))('%s: every drawn instance has unique object names', (_name, family) => {
    const collided: string[] = [];
    for (const seed of seeds) {
      try {
        family.instantiate(seed);
      } catch (error) {
        collided.push((error as Error).message);
      }
    }
    expect(collided).toEqual([]);
  });

  it('a file whose drawn names collide is refused when loaded (its trial instance), naming the seed and the object', () => {
    // The hpa-at-max file with the downstream forced to the app's name: every seed collides.
    const text = readFileSync(join(FAMILIES_DIR, 'hpa-at-max.yaml'), 'utf8').replace(/\{ name: downstream, pick: \[[^\]]*\] \}/, '{ name: downstream, value: "{{app}}" }');
    expect(text).toContain('{ name: downstream, value: "{{app}}" }');
    expect(() => parseScenarioText(text, 'hpa-at-max-collides.yaml')).toThrow(/hpa-at-max seed 1: two workloads named [a-z]+-[0-9a-f]{5}\/[a-z]+ .*409/);
  });
});
