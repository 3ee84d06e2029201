import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE_DIR, FAMILIES_DIR, loadFamilies, type ScenarioInstance } from './faults';
import { startSimulatedCluster, type SimulatedCluster } from './index';
import { readableText } from './readable-text';
import { evalExpression } from './scenario/expr';
import { scenarioSet } from './scenario/cli';
import { drawParameters } from './scenario/params';
import { ScenarioFileSchema, type ScenarioFile } from './scenario/schema';

/**
 * The families' hidden causes stay hidden and follow their priors:
 * (a) over many seeds the drawn cause follows each family's declared priors,
 *     and the family's shift moves the mix the way it says;
 * (c) for many seeds of every family, nothing the system under test can read
 *     (every object of every kind it can list, every pod's current and
 *     previous log, every event) names a cause or holds a root cause;
 * (d) the families folder loads wherever a scenario folder does (bench
 *     --scenarios DIR, sim scenarios --dir).
 */

const families = loadFamilies();

describe('the families’ causes follow their priors', () => {
  const SEEDS = 1500;

  // Why each family: the prior is the learnable context; the test computes, for every seed, the
  // probability the file's priors give the drawn cause in that seed's context, and checks the
  // observed frequencies against their expectation (no number is copied from the files).
  it.each(families.map((f) => [f.name, f] as const))('%s: drawn causes match the priors, before and after the shift (1 500 seeds each)', (_n, family) => {
    for (const override of [undefined, family.shift!.causeWeights]) {
      const expected = new Map<string, number>();
      const observed = new Map<string, number>();
      for (let seed = 0; seed < SEEDS; seed++) {
        const inst = family.instantiate(seed, override ? { causeWeights: override } : {});
        observed.set(inst.groundTruth.cause, (observed.get(inst.groundTruth.cause) ?? 0) + 1);
        const probs = priorsAt(family.source!, seed, override);
        for (const [cause, p] of probs) expected.set(cause, (expected.get(cause) ?? 0) + p);
      }
      for (const [cause, e] of expected) {
        const o = observed.get(cause) ?? 0;
        // Binomial-ish spread: 4 standard deviations of a sum of Bernoullis is under 4·sqrt(n/4) = 2·sqrt(n).
        expect(Math.abs(o - e), `${family.name}/${cause}: observed ${o}, expected ${e.toFixed(1)}`).toBeLessThan(2 * Math.sqrt(SEEDS));
      }
      expect([...observed.keys()].sort()).toEqual(family.causes!.map((c) => c.name).sort());
    }
  });

  it('every family has a context in which its causes’ odds differ (a prior an operator could learn)', () => {
    for (const family of families) {
      const spread = new Set<string>();
      for (let seed = 0; seed < 200; seed++) spread.add(JSON.stringify([...priorsAt(family.source!, seed)].map(([, p]) => p.toFixed(3))));
      expect(spread.size, family.name).toBeGreaterThan(1);
    }
  });
});

/** The probability of each cause for this seed, computed from the file's own priors (independently of the draw). */
const parsedFiles = new Map<string, ScenarioFile>();
function priorsAt(source: string, seed: number, override?: Readonly<Record<string, number>>): Map<string, number> {
  let file = parsedFiles.get(source);
  if (!file) parsedFiles.set(source, (file = ScenarioFileSchema.parse(parse(readFileSync(source, 'utf8'), { merge: true }))));
  const scope = drawParameters({ ...file, causes: undefined }, seed);
  const weights = file.causes!.map((c) => {
    const prior = c.priors.find((p) => Boolean(evalExpression(p.when, scope)));
    return [c.name, (prior ? prior.weight : c.weight) * (override?.[c.name] ?? 1)] as const;
  });
  const total = weights.reduce((s, [, w]) => s + w, 0);
  return new Map(weights.map(([n, w]) => [n, w / total]));
}

describe('ground truth never reaches the system under test (every family, many seeds)', () => {
  let sim: SimulatedCluster;
  const instances: ScenarioInstance[] = [];
  // Each family: every cause at least twice, on different seeds (so names, teams and decoys vary).
  const ROUNDS = 2;

  beforeAll(async () => {
    sim = await startSimulatedCluster({ seed: 17, nodes: ['a', 'b', 'c', 'd'].map((x) => ({ name: `sim-big-${x}`, cpu: '64', memory: '256Gi', pods: 500 })) });
    for (const family of families) {
      family.causes!.forEach((c, i) => {
        for (let r = 0; r < ROUNDS; r++) instances.push(family.instantiate(1000 + r * 37 + i * 101, { cause: c.name }));
      });
    }
    for (const inst of instances) await sim.apply(inst);
    await sim.advance(90, 5);
    const stops: (() => void)[] = [];
    for (const inst of instances) {
      await inst.inject(sim.client);
      const stop = inst.schedule?.(sim.client, sim.clock, sim.clock.now().getTime());
      if (stop) stops.push(stop);
    }
    await sim.advance(180, 5);
    // The manual fixes run too: they are steps, and must not leak either.
    for (const inst of instances) await inst.manualFix(sim.client);
    await sim.advance(30, 5);
    for (const stop of stops) stop();
  }, 240_000);
  afterAll(async () => {
    await sim?.stop();
  });

  it('no cause name, root cause or ground-truth field name in anything the cluster serves', async () => {
    const dump = await readableText(sim.client);
    expect(instances.length).toBeGreaterThanOrEqual(families.length * 4);
    expect(dump.length).toBeGreaterThan(100_000);
    const secrets = new Set(['groundTruth', 'rootCause', 'acceptableRemedies', 'maskingRemedies']);
    for (const f of families) for (const c of f.causes!) {
      secrets.add(c.name);
      secrets.add(c.groundTruth.rootCause);
    }
    for (const secret of secrets) expect(dump, `"${secret}"`).not.toContain(secret);
    // The check can fail: the dump holds what the scenarios did write (a decoy's log line, a team label).
    expect(dump).toContain('consumer group');
  });
});

describe('the families folder loads like any scenario folder', () => {
  it('families written outside the repository load the same way (a folder an author of the strategies never saw)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outside-families-'));
    try {
      // One family copied out and renamed, plus a single-cause catalogue-style file: a family of its own.
      const text = readFileSync(join(FAMILIES_DIR, 'readiness-timeouts.yaml'), 'utf8').replace('name: readiness-timeouts', 'name: outside-family').replace('authors: [', 'authors: ["someone else", ');
      await writeFile(join(dir, 'outside-family.yaml'), text);
      await writeFile(join(dir, 'single.yaml'), readFileSync(join(CATALOGUE_DIR, 'bad-image-tag.yaml'), 'utf8'));
      const loaded = loadFamilies(dir);
      expect(loaded.map((f) => [f.name, f.family, f.authors?.[0]])).toEqual([
        ['outside-family', 'readiness-timeouts', 'someone else'],
        ['bad-image-tag', 'bad-image-tag', 'eks-reflexion maintainers'],
      ]);
      expect(loaded[1]!.instantiate(4).groundTruth.cause).toBe('bad-image-tag');
      expect(Object.keys(scenarioSet({ dir }))).toEqual(['outside-family', 'bad-image-tag']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('scenarioSet({ dir }) (bench --scenarios scenarios/families, sim scenarios --dir) gives every family, with its causes', () => {
    const set = scenarioSet({ dir: FAMILIES_DIR });
    expect(Object.keys(set).sort()).toEqual(families.map((f) => f.name).sort());
    expect(families.length).toBeGreaterThanOrEqual(6);
    for (const s of Object.values(set)) {
      expect(s.causes?.length).toBeGreaterThanOrEqual(2);
      expect(s.instantiate(5).groundTruth.cause).toMatch(/^[a-z-]+$/);
    }
  });
});
