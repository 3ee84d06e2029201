/**
 * Records what the golden test of the reasoner replays: for each seed, every
 * scenario of the fault catalogue injected into one simulated cluster, the
 * snapshot the detect Lambda would read (through the real Kubernetes
 * adapter) at two moments, and the log tails the analyse step would read.
 * Run once to (re)record: `npx tsx test/reasoner/golden/record-snapshots.ts`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { KubeCluster } from '../../../functions/adapters/kubernetes/kube-cluster';
import { detectIncidents } from '../../../functions/domain/detectors/index';
import { FAULTS } from '../../sim/faults';
import { startSimulatedCluster } from '../../sim/index';

const SEEDS = [3, 11, 29];
const OUT = new URL('./scenario-snapshots.json.gz', import.meta.url);

async function main() {
  const recorded: unknown[] = [];
  for (const seed of SEEDS) {
    const sim = await startSimulatedCluster({ seed });
    const dir = await mkdtemp(join(tmpdir(), 'golden-'));
    try {
      const instances = Object.values(FAULTS).map((f) => f.instantiate(seed));
      for (const inst of instances) await sim.apply(inst);
      await sim.advance(90, 5);
      for (const inst of instances) await inst.inject(sim.client);
      await sim.writeKubeconfig(join(dir, 'kubeconfig'));
      const cluster = KubeCluster.fromKubeconfigFile(join(dir, 'kubeconfig'), { clusterName: 'sim', clock: sim.clock });
      // Two moments: just past the grace periods, and later (more restarts, a stalled rollout).
      for (const [moment, seconds] of [['early', 200], ['late', 700]] as const) {
        await sim.advance(seconds, 5);
        const snapshot = await cluster.snapshot();
        const logs: Record<string, string> = {};
        for (const incident of detectIncidents(snapshot, { source: 'schedule', protectedNamespaces: [] }).incidents) {
          for (const c of incident.evidence.containers) {
            for (const previous of [true, false]) {
              try {
                const text = await cluster.readLog(incident.namespace, c.pod, c.container, { previous, limitBytes: 4096, tailLines: 50 });
                if (text.trim()) logs[`${incident.namespace}/${c.pod}/${c.container}/${previous}`] = text;
              } catch {
                // no log: normal evidence
              }
            }
          }
        }
        recorded.push({ seed, moment, snapshot, logs });
        console.log(`seed ${seed} ${moment}: ${snapshot.pods.length} pods, ${Object.keys(logs).length} logs`);
      }
    } finally {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  await writeFile(OUT, gzipSync(JSON.stringify(recorded)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
