import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createTables, startDynamoDbLocal } from '../../functions/local/dynamodb-local';
import { createDynamoClients } from '../../functions/adapters/dynamodb/client';
// Types only: the benches and the simulator (test/) are loaded when the command runs.
import type { FaultSuiteResult } from '../../test/bench/fault-suite';
import type { ScanFigures } from '../../test/bench/scan';
import type { BundleFigures } from '../../test/bench/bundles';
import type { CostModel } from '../../test/bench/cost-model';
import type { ChaosResult } from '../../test/bench/chaos';
import { defineCommand } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { runStreamCommand, type StreamFlags } from './bench-stream';

const DESCRIPTION = `usage: eks-reflexion bench [--scenarios DIR] [--faults a,b,...] [--seeds N] [--train-seeds N] [--scan-sizes 1000,10000,50000] [--only suite|perf] [--chaos SHARE] [--out DIR]
       eks-reflexion bench --stream [--families DIR] [--streams R] [--length T] [--quick] [--seed N] [--workers N] [--shift-at P] [--out DIR]

--stream: R streams of T incidents drawn from the scenario families of DIR
(default scenarios/families), each arm (memory-on, memory-off, reasoner-only,
shuffled) through the same streams, the oracle computed from ground truth;
paired differences with stream-bootstrap intervals and exact McNemar tests.
Writes DIR/incidents.jsonl as it runs and bench.json, bench.md, report.html
(default DIR: .out/bench-stream).

Runs the fault catalogue (or the scenario files of DIR, written anywhere) through the whole local stack in two arms (memory off;
memory on, warmed on training instances and measured on held-out ones), then
the performance benches (detector scan vs kubectl, Lambda bundles, cost model).
Writes DIR/bench.json and DIR/bench.md (default DIR: .out/bench).

--chaos SHARE (0 < SHARE ≤ 0.5) runs instead each fault × seed twice, through a fault-injecting
proxy in front of the Kubernetes API (429, 500, 409 on writes, timeouts on SHARE of requests)
with DynamoDB throttled on the same share, and at share 0; it reports under \`chaos\` the episodes
lost, actions applied twice, locks left held and executions failed (exit 1 unless all are 0).`;

interface BenchReport {
  command: string;
  startedAt: string;
  wallSeconds: number;
  machine: { node: string; cpus: number; platform: string };
  faultSuite?: FaultSuiteResult;
  scan?: ScanFigures[];
  bundles?: BundleFigures[];
  cost?: CostModel;
  chaos?: ChaosResult;
}

interface Options extends Omit<StreamFlags, 'out'> {
  stream?: boolean;
  scenarios?: string;
  faults?: string;
  seeds: string;
  trainSeeds: string;
  scanSizes: string;
  only?: string;
  chaos?: string;
  out?: string;
}

async function run({ opts: values, argv }: { opts: Options; argv: string[] }): Promise<number> {
  // Every argument is checked before anything starts.
  const fail = (message: string): never => {
    throw new UsageError(message);
  };
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const streamOnly = (['families', 'streams', 'length', 'quick', 'workers', 'shiftAt'] as const).filter((k) => values[k] !== undefined);
  if (values.stream) {
    const suiteOnly = (['scenarios', 'faults', 'only', 'chaos'] as const).filter((k) => values[k] !== undefined);
    if (suiteOnly.length > 0) return fail(`--stream takes --families (not ${suiteOnly.map((k) => `--${k}`).join(', ')})`);
    return runStreamCommand({ ...values, ...(values.out ? { out: values.out } : {}) }, argv, say);
  }
  if (streamOnly.length > 0) return fail(`${streamOnly.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} only apply with --stream`);
  const seeds = Number(values.seeds);
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > 50) return fail(`--seeds must be an integer from 1 to 50, got '${values.seeds}'`);
  const trainSeeds = Number(values.trainSeeds);
  if (!Number.isInteger(trainSeeds) || trainSeeds < 0 || trainSeeds > 50) return fail(`--train-seeds must be an integer from 0 to 50, got '${values.trainSeeds}'`);
  const sizes = values.scanSizes.split(',').map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 200_000)) return fail(`--scan-sizes must be integers from 1 to 200000, got '${values.scanSizes}'`);
  if (values.only !== undefined && values.only !== 'suite' && values.only !== 'perf') return fail(`--only must be 'suite' or 'perf', got '${values.only}'`);
  const chaosShare = values.chaos === undefined ? undefined : Number(values.chaos);
  if (chaosShare !== undefined && (!Number.isFinite(chaosShare) || chaosShare <= 0 || chaosShare > 0.5)) return fail(`--chaos must be a share above 0 and at most 0.5, got '${values.chaos}'`);
  if (chaosShare !== undefined && values.only !== undefined) return fail('--chaos runs on its own; drop --only');
  const { scenarioSet, ScenarioInputError } = await import('../../test/sim/scenario/cli');
  let FAULTS: ReturnType<typeof scenarioSet>;
  try {
    // A malformed file stops here, naming the file, the place in it and the problem: nothing starts.
    FAULTS = scenarioSet(values.scenarios ? { dir: resolve(values.scenarios) } : {});
  } catch (e) {
    return fail(e instanceof ScenarioInputError ? e.message : String(e));
  }
  const faultNames = values.faults ? values.faults.split(',').map((f) => f.trim()).filter(Boolean) : Object.keys(FAULTS);
  const unknown = faultNames.filter((f) => !FAULTS[f]);
  if (unknown.length > 0) return fail(`unknown fault(s): ${unknown.join(', ')}; known: ${Object.keys(FAULTS).join(', ')}`);
  if (faultNames.length === 0) return fail('--faults names no fault');
  const [{ faultSuiteMarkdown, runFaultSuite }, { scanBench }, { bundleBench }, { costModel }] = await Promise.all([
    import('../../test/bench/fault-suite'),
    import('../../test/bench/scan'),
    import('../../test/bench/bundles'),
    import('../../test/bench/cost-model'),
  ]);
  const scanBenchSafe = async (pods: number): Promise<ScanFigures | undefined> => {
    try {
      return await scanBench(pods, { kubectl: false });
    } catch {
      return undefined;
    }
  };

  const out = resolve(values.out ?? '.out/bench');
  await mkdir(out, { recursive: true });
  const started = Date.now();
  const report: BenchReport = {
    command: `eks-reflexion bench ${argv.join(' ')}`.trim(),
    startedAt: new Date(started).toISOString(),
    wallSeconds: 0,
    machine: { node: process.version, cpus: (await import('node:os')).cpus().length, platform: `${process.platform}/${process.arch}` },
  };
  const sections: string[] = [];
  // Written after every part (suite, scan, bundles): a crash in a later part keeps what the earlier ones measured.
  const save = async (complete: boolean) => {
    report.wallSeconds = (Date.now() - started) / 1000;
    const header = `# eks-reflexion bench\n\n\`${report.command}\` on ${report.machine.cpus} cores, Node ${report.machine.node}, ${report.startedAt}; ${complete ? 'took' : '**partial**, so far'} ${report.wallSeconds.toFixed(0)} s.\n`;
    await writeFile(join(out, 'bench.json'), JSON.stringify({ ...report, complete }, null, 2));
    await writeFile(join(out, 'bench.md'), [header, ...sections].join('\n'));
  };

  if (chaosShare !== undefined) return runChaos(chaosShare);

  async function runChaos(share: number): Promise<number> {
    const { runChaosBench, chaosMarkdown, chaosViolations } = await import('../../test/bench/chaos');
    const dynamo = await startDynamoDbLocal();
    try {
      const runId = new Date(started).toISOString().replace(/[^0-9]/g, '').slice(2, 14);
      const tables = { episodes: `chaos-episodes-${runId}`, strategies: `chaos-strategies-${runId}`, locks: `chaos-locks-${runId}` };
      await createTables(createDynamoClients({ endpoint: dynamo.endpoint }).client, tables, { expireByTtl: false }); // a virtual clock (createTables)
      say(`chaos: ${faultNames.length} faults × ${seeds} seeds, faults on ${share} of requests, and the same at share 0`);
      report.chaos = await runChaosBench({
        scenarios: faultNames.map((f) => FAULTS[f]!),
        seeds,
        share,
        runId,
        dynamoEndpoint: dynamo.endpoint,
        tables,
        onRun: (arm, r, e) => {
          const wrong = [...e.episodesLost, ...e.appliedTwice, ...e.locksLeftHeld, ...e.executionsFailed];
          say(`  ${arm.padEnd(10)} ${r.fault.padEnd(28)} seed ${String(r.seed).padEnd(6)} ${(r.outcome ?? (r.detected ? '?' : 'not detected')).padEnd(10)} faults ${Object.values(e.kubeFaults).reduce((a, b) => a + b, 0)}/${e.kubeRequests} kube, ${e.dynamoThrottled}/${e.dynamoAttempts} ddb${wrong.length ? `  WRONG: ${wrong.join('; ')}` : ''}`);
        },
      });
    } finally {
      await dynamo.stop();
    }
    report.wallSeconds = (Date.now() - started) / 1000;
    const header = `# eks-reflexion bench --chaos\n\n\`${report.command}\` on ${report.machine.cpus} cores, Node ${report.machine.node}, ${report.startedAt}; took ${report.wallSeconds.toFixed(0)} s.\n`;
    await writeFile(join(out, 'bench.json'), JSON.stringify(report, null, 2));
    await writeFile(join(out, 'bench.md'), [header, '## Faults survived\n', chaosMarkdown(report.chaos), ''].join('\n'));
    const violations = chaosViolations(report.chaos.chaos);
    say(`\n${chaosMarkdown(report.chaos)}\nwrote ${join(out, 'bench.json')} and ${join(out, 'bench.md')} in ${report.wallSeconds.toFixed(0)} s`);
    if (violations.length > 0) say(`chaos: ${violations.join(', ')}`);
    return violations.length === 0 ? EXIT.ok : EXIT.failed;
  }

  if (values.only !== 'perf') {
    const dynamo = await startDynamoDbLocal();
    try {
      const runId = new Date(started).toISOString().replace(/[^0-9]/g, '').slice(0, 14);
      const tables = { episodes: `bench-episodes-${runId}`, strategies: `bench-strategies-${runId}`, locks: `bench-locks-${runId}` };
      // Created once, before the two arms start side by side.
      await createTables(createDynamoClients({ endpoint: dynamo.endpoint }).client, tables, { expireByTtl: false }); // a virtual clock (createTables)
      say(`fault suite: ${faultNames.length} faults × ${seeds} held-out seeds × 2 arms (+${trainSeeds} training seeds each)`);
      const suite = await runFaultSuite({
        scenarios: faultNames.map((f) => FAULTS[f]!),
        seeds,
        trainSeeds,
        runId,
        dynamoEndpoint: dynamo.endpoint,
        tables,
        onRun: (arm, r) =>
          say(`  ${arm.padEnd(20)} ${r.fault.padEnd(28)} seed ${String(r.seed).padEnd(6)} ${(r.outcome ?? (r.detected ? '?' : 'not detected')).padEnd(10)} trials ${r.trials}${r.falseActions ? `  FALSE ACTIONS ${r.falseActions}` : ''}`),
      });
      report.faultSuite = suite;
      const detect = await scanBenchSafe(1000);
      report.cost = costModel(suite.runs.memoryOn, detect?.totalMs ?? 0);
      sections.push('## Fault suite\n', faultSuiteMarkdown(suite), '');
      const c = report.cost.perIncident;
      sections.push(
        '## Cost per incident (estimate)\n',
        `${c.transitions.toFixed(1)} state transitions, ${c.lambdaInvocations.toFixed(1)} Lambda invocations (${c.lambdaGbSeconds.toFixed(3)} GB-s), ${c.dynamoRequests.toFixed(0)} DynamoDB requests, $${c.bedrockUsd.toFixed(4)} Bedrock → **$${c.totalUsd.toFixed(5)} per incident**; the detector's monthly floor (every minute) ≈ $${report.cost.detectorMonthly.usd.toFixed(2)}. Assumptions: ${report.cost.assumptions}.`,
        '',
      );
    } finally {
      await dynamo.stop();
    }
    await save(false);
  }

  if (values.only !== 'suite') {
    report.scan = [];
    for (const size of sizes) {
      say(`scan bench: ${size} pods`);
      report.scan.push(await scanBench(size));
    }
    await save(false);
    sections.push(
      '## Detector scan\n',
      '| pods | snapshot (ms) | classify (ms) | classify (pods/s) | total (ms) | peak RSS (MB) | kubectl get pods -A -o json (ms) | ours / kubectl |',
      '|---|---|---|---|---|---|---|---|',
      ...report.scan.map(
        (s) =>
          `| ${s.pods} | ${s.snapshotMs.toFixed(0)} | ${s.classifyMs.toFixed(0)} | ${s.classifyPodsPerSecond.toFixed(0)} | ${s.totalMs.toFixed(0)} | ${s.peakRssMb.toFixed(0)} | ${s.kubectlMs?.toFixed(0) ?? '—'} | ${s.ratioToKubectl?.toFixed(2) ?? '—'} |`,
      ),
      '',
    );
    say('bundle bench');
    report.bundles = await bundleBench(out);
    sections.push(
      '## Lambda bundles\n',
      '| function | minified (KiB) | module init, wall (ms) | module init, CPU (ms) |',
      '|---|---|---|---|',
      ...report.bundles.map((b) => `| ${b.role} | ${(b.minifiedBytes / 1024).toFixed(0)} | ${b.initMs.toFixed(0)} | ${b.initCpuMs.toFixed(0)} |`),
      '',
    );
  }

  await save(true);
  say(`\nwrote ${join(out, 'bench.json')} and ${join(out, 'bench.md')} in ${report.wallSeconds.toFixed(0)} s`);
  const falseActions = report.faultSuite ? report.faultSuite.overall.memoryOff.falseActions + report.faultSuite.overall.memoryOn.falseActions : 0;
  return falseActions === 0 ? EXIT.ok : EXIT.failed;
}

export const command = defineCommand<Options>({
  description: DESCRIPTION,
  configure: (cmd) =>
    cmd
      .option('--scenarios <dir>', 'run the scenario files of this directory (YAML/JSON, anywhere) instead of the catalogue')
      .option('--faults <a,b,...>', 'comma-separated fault names (default: the whole catalogue)')
      .option('--seeds <n>', 'held-out seeds per fault', '5')
      .option('--train-seeds <n>', 'training seeds per fault (memory-on arm)', '2')
      .option('--scan-sizes <n,n,...>', 'pod counts of the detector scan bench', '1000,10000,50000')
      .option('--only <part>', "'suite' (fault suite only) or 'perf' (performance benches only)")
      .option('--chaos <share>', 'instead: the fault suite with faults on this share of Kubernetes and DynamoDB requests, beside share 0')
      .option('--out <dir>', 'where bench.json and bench.md go (default .out/bench; with --stream .out/bench-stream)')
      .option('--stream', 'the stream benchmark over scenario families (learning against baselines and the oracle)')
      .option('--families <dir>', 'with --stream: the scenario families (YAML/JSON, anywhere; default scenarios/families)')
      .option('--streams <r>', 'with --stream: independent streams (default 10; --quick 3)')
      .option('--length <t>', 'with --stream: incidents per stream (default 40; --quick 18)')
      .option('--quick', 'with --stream: a small plan that runs in minutes')
      .option('--seed <n>', 'with --stream: the run seed (streams, instances and decision draws are hashed from it)', '1')
      .option('--workers <n>', 'with --stream: worker processes (default 2; 0 runs in this process)')
      .option('--shift-at <p>', 'with --stream: position where families with a shift change their cause mix (default ⌊2T/3⌋)'),
  run,
});
