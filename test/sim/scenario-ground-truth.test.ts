import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS, withImages, type ScenarioInstance } from './faults';
import { startSimulatedCluster, type SimulatedCluster } from './index';
import { readableText } from './readable-text';
import { parseScenarioText } from './scenario/load';

/**
 * Ground truth is for the oracle only. The system under test reads the
 * cluster (objects, events, logs) and nothing else of a scenario; these
 * tests dump everything it could read after every catalogue fault was set up
 * and injected, and find none of the ground truth in it — and they show the
 * dump would find it if a scenario leaked it (the control).
 */

function secretsOf(s: { groundTruth?: { rootCause: string } }): string[] {
  return [s.groundTruth!.rootCause, 'groundTruth', 'rootCause', 'acceptableRemedies', 'maskingRemedies'];
}

describe('ground truth never reaches the system under test', () => {
  let sim: SimulatedCluster;
  const instances: ScenarioInstance[] = [];
  let leaky: ScenarioInstance;
  const LEAKED = 'the cause is a bad tag pushed by release 1234';

  beforeAll(async () => {
    sim = await startSimulatedCluster({ seed: 11 });
    for (const s of Object.values(FAULTS)) {
      const inst = s.instantiate(11);
      instances.push(inst);
      await inst.setup(sim.client);
    }
    // The control: a scenario that writes its root cause into an annotation.
    const text = (await readFile(FAULTS['bad-image-tag']!.source!, 'utf8'))
      .replace('name: bad-image-tag', 'name: leaky-scenario')
      .replace('namespaces: [{ name: "{{namespace}}" }]', `namespaces: [{ name: "{{namespace}}-leak", annotations: { note: "${LEAKED}" } }]`)
      .replace('rootCause: the new revision names an image tag that was never pushed', `rootCause: ${LEAKED}`)
      .replaceAll('namespace: "{{namespace}}"', 'namespace: "{{namespace}}-leak"');
    leaky = withImages(parseScenarioText(text, '/tmp/leaky.yaml')).instantiate(11);
    await sim.advance(60, 5);
    for (const inst of instances) await inst.inject(sim.client);
    await sim.advance(120, 5);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('no root cause, and no ground-truth field name, in anything the cluster serves', async () => {
    const dump = await readableText(sim.client);
    expect(dump.length).toBeGreaterThan(10_000);
    for (const s of Object.values(FAULTS)) for (const secret of secretsOf(s)) expect(dump, `${s.name}: "${secret}"`).not.toContain(secret);
  });

  it('the same dump finds a root cause a scenario leaks (so the check above can fail)', async () => {
    await leaky.setup(sim.client);
    expect(await readableText(sim.client)).toContain(LEAKED);
  });

  it('the system’s code (functions/, lib/) never reads scenario files or their ground truth', async () => {
    const offending: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.name.endsWith('.ts')) {
          const text = await readFile(p, 'utf8');
          if (/from '[^']*test\//.test(text) || /groundTruth|scenarios\/faults|\.ya?ml'/.test(text)) offending.push(relative(process.cwd(), p));
        }
      }
    };
    await walk(join(process.cwd(), 'functions'));
    await walk(join(process.cwd(), 'lib'));
    expect(offending).toEqual([]);
  });
});
