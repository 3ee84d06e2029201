import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeEvent, Pod } from '../../functions/domain/k8s';
import { withImages, type ScenarioInstance } from './faults';
import { podsOf } from './faults/kit';
import { startSimulatedCluster, type SimulatedCluster } from './index';
import { oomTime, memoryAt } from './kubelet/app-model';
import { MI } from './kubelet/quantity';
import { loadScenarioFile } from './scenario/load';
import type { CollateralSnapshot } from './scenario/oracle';

/**
 * The application model a scenario file declares, played by the kubelet
 * emulator: exit rules (a dependency Service without ready endpoints, a
 * config key, at random), a leak that ends in OOMKilled, templated logs on
 * start, on failure and periodically — plus timeline steps at their times,
 * noise, and the oracle's collateral check. The file is written outside the
 * repository, as an author who never read this code would.
 */

const SCENARIO = `
apiVersion: eks-reflexion.io/scenario/v1
name: app-model-probe
description: every exit rule and memory behaviour of the app model
authors: [test]
parameters:
  - { name: img, value: "registry.sim.local/{{team}}/svc:{{tag}}" }
target: { namespace: "{{namespace}}", name: dependent }
images:
  - image: "{{img}}-db"
    app: { endpoints: [{ path: /healthz, port: 8080 }], memory: { baseMi: 64 } }
  - image: "{{img}}-decoy-v2"
    app: { endpoints: [{ path: /healthz, port: 8080 }], memory: { baseMi: 64 }, logs: { periodic: { everySeconds: 30, lines: ["heartbeat from {pod}"] } } }
  - image: "{{img}}-dependent"
    app:
      endpoints: [{ path: /healthz, port: 8080 }]
      memory: { baseMi: 64 }
      exit: [{ when: { dependencyUnready: db }, exitCode: 3, afterSeconds: 5, log: "{pod}: cannot reach db:5432: connection refused" }]
      logs: { onStart: ["dependent up on {pod}"], onFailure: ["exiting after {uptime}"] }
  - image: "{{img}}-configured"
    app:
      endpoints: [{ path: /healthz, port: 8080 }]
      memory: { baseMi: 64 }
      exit: [{ when: { configKey: { configMap: settings, key: mode, equals: broken } }, exitCode: 2, log: "invalid mode 'broken' in {namespace}/settings" }]
  - image: "{{img}}-leaky"
    app: { endpoints: [{ path: /healthz, port: 8080 }], memory: { baseMi: 100, growthMiPerMinute: 50 } }
  - image: "{{img}}-flaky"
    app:
      endpoints: [{ path: /healthz, port: 8080 }]
      memory: { baseMi: 64 }
      exit: [{ when: { randomPerHour: 120 }, exitCode: 139, afterSeconds: 0 }]
workloads:
  namespaces: [{ name: "{{namespace}}", labels: { team: "{{team}}" } }]
  configMaps: [{ namespace: "{{namespace}}", name: settings, data: { mode: broken } }]
  services: [{ namespace: "{{namespace}}", name: db, selector: { app: db }, ports: [{ port: 5432 }] }]
  deployments:
    - &d { namespace: "{{namespace}}", name: db, replicas: 1, containers: [{ name: db, image: "{{img}}-db", resources: { limits: { memory: 256Mi } }, readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 5 } }] }
    - { <<: *d, name: decoy, containers: [{ name: decoy, image: "{{img}}-db", readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 5 } }] }
    - { <<: *d, name: dependent, containers: [{ name: dependent, image: "{{img}}-dependent", readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 5 } }] }
    - { <<: *d, name: configured, containers: [{ name: configured, image: "{{img}}-configured" }] }
    - { <<: *d, name: leaky, containers: [{ name: leaky, image: "{{img}}-leaky", resources: { limits: { memory: 256Mi } } }] }
    - { <<: *d, name: flaky, containers: [{ name: flaky, image: "{{img}}-flaky" }] }
timeline:
  steps:
    - { at: 60, scale: { namespace: "{{namespace}}", deployment: db, replicas: 0 } }
  noise:
    - { at: 30, setContainer: { namespace: "{{namespace}}", deployment: decoy, container: { name: decoy, image: "{{img}}-decoy-v2" } } }
    - { at: 30, events: { namespace: "{{namespace}}", involvedObject: { kind: Deployment, name: decoy }, type: Warning, reason: NoisyNeighbour, message: "node pressure elsewhere", count: 3 } }
groundTruth:
  symptom: { kind: CrashLoopBackOff, subReason: exit-3 }
  rootCause: the db Service lost its endpoints
  fixable: false
  acceptableRemedies: [escalate]
  maskingRemedies: [restart_pod]
oracle:
  healthy: [{ namespace: "{{namespace}}", deployment: dependent }]
`;

const terminated = (p: Pod | undefined) => p?.status?.containerStatuses?.[0]?.lastState?.terminated;

describe('the application model of a scenario file', () => {
  let sim: SimulatedCluster;
  let dir: string;
  let inst: ScenarioInstance;
  let before: CollateralSnapshot;
  const pod = async (name: string) => (await podsOf(sim.client, inst.namespace, name)).find((p) => !p.metadata?.deletionTimestamp);
  const log = async (p: Pod, previous = false) => sim.client.get<string>(`/api/v1/namespaces/${inst.namespace}/pods/${p.metadata!.name}/log`, previous ? { previous: true } : undefined);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'app-model-'));
    await writeFile(join(dir, 'probe.yaml'), SCENARIO);
    inst = withImages(loadScenarioFile(join(dir, 'probe.yaml'))).instantiate(5);
    sim = await startSimulatedCluster({ seed: 5 });
    await inst.setup(sim.client);
    await sim.advance(40, 5);
    before = await inst.judge!.snapshot(sim.client);
    await inst.inject(sim.client);
    const stop = inst.schedule!(sim.client, sim.clock, sim.clock.now().getTime(), (e) => {
      throw e;
    });
    await sim.advance(240, 5);
    stop();
  });
  afterAll(async () => {
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints templated start and periodic lines with the pod filled in', async () => {
    const p = (await pod('dependent'))!;
    expect(await log(p, true)).toContain(`dependent up on ${p.metadata!.name}`);
    const decoy = (await pod('decoy'))!;
    expect((await log(decoy)).match(new RegExp(`heartbeat from ${decoy.metadata!.name}`, 'g'))?.length).toBeGreaterThanOrEqual(5);
  });

  it('exits with the rule’s code once the dependency Service has no ready endpoints (a step at 60 s scaled it to 0)', async () => {
    const p = (await pod('dependent'))!;
    expect(terminated(p)).toMatchObject({ exitCode: 3, reason: 'Error' });
    const previous = await log(p, true);
    expect(previous).toContain(`${p.metadata!.name}: cannot reach db:5432: connection refused`);
    expect(previous).toMatch(/exiting after \d+s/);
    // It ran fine for the first minute: the first exit came after the step, not at start.
    expect(Date.parse(terminated(p)!.finishedAt!) - Date.parse(terminated(p)!.startedAt!)).toBeGreaterThan(0);
  });

  it('exits at start when a config key has the bad value', async () => {
    const p = (await pod('configured'))!;
    expect(terminated(p)).toMatchObject({ exitCode: 2 });
    expect(await log(p, true)).toContain(`invalid mode 'broken' in ${inst.namespace}/settings`);
  });

  it('a leak of 50 Mi/min from 100 Mi under a 256 Mi limit is OOMKilled after about 3 minutes of uptime', async () => {
    const t = terminated(await pod('leaky'));
    expect(t).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    const uptime = (Date.parse(t!.finishedAt!) - Date.parse(t!.startedAt!)) / 1000;
    expect(uptime).toBeGreaterThanOrEqual(185);
    expect(uptime).toBeLessThanOrEqual(190);
  });

  it('exits at random with the declared rate (120 per hour: some exits in four minutes)', async () => {
    expect(terminated(await pod('flaky'))).toMatchObject({ exitCode: 139 });
  });

  it('runs noise: a benign rollout and noisy events', async () => {
    const events = await sim.client.list<KubeEvent>(`/api/v1/namespaces/${inst.namespace}/events`);
    expect(events.filter((e) => e.reason === 'NoisyNeighbour')).toHaveLength(3);
    expect((await pod('decoy'))?.spec?.containers?.[0]?.image).toMatch(/-decoy-v2$/);
  });

  it('the collateral check names the workloads made worse beside the target, and nothing protected changed', async () => {
    const problems = inst.judge!.problems(before, await inst.judge!.snapshot(sim.client));
    // flaky was Ready before the fault and is down in its crash back-off at the end (deterministic for this seed).
    expect(problems).toContain(`Deployment ${inst.namespace}/flaky was healthy and is not`);
    expect(problems.some((p) => p.includes('/decoy'))).toBe(false);
    expect(problems.some((p) => p.startsWith('protected'))).toBe(false);
  });
});

describe('memory model', () => {
  // Why: the OOM time is computed, not sampled; these pin the arithmetic at its edges.
  it.each([
    { why: 'steady use over the limit: killed as the ramp ends', b: { memoryMi: 300 }, limitMi: 256, at: 2000 },
    { why: 'a leak crosses the limit', b: { memoryMi: 100, memoryGrowthMiPerMinute: 60 }, limitMi: 160, at: 60_001 },
    { why: 'a spike over the headroom on its first occurrence', b: { memoryMi: 200, memorySpikes: { everySeconds: 30, extraMi: 100 } }, limitMi: 256, at: 30_000 },
    { why: 'spikes that fit, then a leak makes the third one too big', b: { memoryMi: 100, memoryGrowthMiPerMinute: 20, memorySpikes: { everySeconds: 60, extraMi: 100 } }, limitMi: 250, at: 180_000 },
    { why: 'no leak, no spike, under the limit: never', b: { memoryMi: 100 }, limitMi: 256, at: undefined },
  ])('$why', ({ b, limitMi, at }) => {
    expect(oomTime(b, limitMi * MI, 0)).toBe(at);
  });

  it('reports the spike only while it lasts', () => {
    const b = { memoryMi: 100, memorySpikes: { everySeconds: 60, extraMi: 50, durationSeconds: 10 } };
    expect(memoryAt(b, 59_000) / MI).toBe(100);
    expect(memoryAt(b, 65_000) / MI).toBe(150);
    expect(memoryAt(b, 71_000) / MI).toBe(100);
  });
});

describe('the worked example of docs/scenarios.md', () => {
  // Why: the documentation's example is what a newcomer copies; it must load and behave as the text says.
  it('loads, crash-loops payments with exit 3 and its log line once db loses its endpoints, and the manual fix satisfies the oracle', async () => {
    const { readFile } = await import('node:fs/promises');
    const md = await readFile(new URL('../../docs/scenarios.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(md)![1]!;
    const dir = await mkdtemp(join(tmpdir(), 'doc-example-'));
    await writeFile(join(dir, 'db-down.yaml'), yaml);
    const sim = await startSimulatedCluster({ seed: 2 });
    try {
      const inst = withImages(loadScenarioFile(join(dir, 'db-down.yaml'))).instantiate(2);
      await inst.setup(sim.client);
      await sim.advance(60, 5);
      expect(await inst.oracle(sim.client)).toBe(true);
      await inst.inject(sim.client);
      await sim.advance(90, 5);
      expect(await inst.oracle(sim.client)).toBe(false);
      const p = (await podsOf(sim.client, inst.namespace, 'payments'))[0]!;
      expect(terminated(p)).toMatchObject({ exitCode: 3 });
      expect(await sim.client.get<string>(`/api/v1/namespaces/${inst.namespace}/pods/${p.metadata!.name}/log`, { previous: true })).toContain(`${p.metadata!.name}: dial tcp db:5432: connect: connection refused`);
      await inst.manualFix(sim.client);
      await sim.advance(360, 5);
      expect(await inst.oracle(sim.client)).toBe(true);
    } finally {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
