import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defineCommand } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';

// The simulator lives in test/ and is loaded only when a sub-command runs (never at CLI load).
const loadFaults = async () => (await import('../../test/sim/faults')).FAULTS;
/** The catalogue, a directory or files written anywhere; a malformed file is a usage error naming it (nothing starts). */
async function loadSet(options: { dir?: string; files?: string[] }) {
  const { scenarioSet, ScenarioInputError } = await import('../../test/sim/scenario/cli');
  try {
    return scenarioSet(options);
  } catch (e) {
    throw e instanceof ScenarioInputError ? new UsageError(e.message) : e;
  }
}

function intOption(value: string | undefined, name: string, min: number, max: number, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name} must be in ${min}..${max}, got ${n}`);
  return n;
}

function scenariosTable(FAULTS: Awaited<ReturnType<typeof loadFaults>>, withSource = false): string {
  const rows = Object.values(FAULTS).map((s) => [
    s.name,
    s.expected.kind ? `${s.expected.kind}${s.expected.subReason ? `:${s.expected.subReason}` : ''}` : '(none)',
    s.expected.fixable ? 'yes' : 'no',
    s.expected.fixes.join(',') || '-',
    s.realCluster ? 'yes' : 'sim only',
    withSource ? `${s.description} (${s.source})` : s.description,
  ]);
  const header = ['NAME', 'EXPECTED', 'FIXABLE', 'FIXED BY', 'REAL CLUSTER', withSource ? 'DESCRIPTION (FILE)' : 'DESCRIPTION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

interface ServeOptions {
  scenario?: string[];
  scenarioFile?: string[];
  seed?: string;
  port?: string;
  kubeconfigOut?: string;
  inject: boolean;
}

async function serve({ opts: values }: { opts: ServeOptions }): Promise<number> {
  const FAULTS = { ...(await loadFaults()) };
  const names = values.scenario ?? [];
  const unknown = names.filter((n) => !FAULTS[n]);
  if (unknown.length > 0) throw new UsageError(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(FAULTS).join(', ')}`);
  // Scenario files written anywhere: validated before the cluster starts; their names join the list.
  if (values.scenarioFile?.length) {
    const fromFiles = await loadSet({ files: values.scenarioFile.map((f) => resolve(f)) });
    for (const [name, s] of Object.entries(fromFiles)) {
      FAULTS[name] = s;
      if (!names.includes(name)) names.push(name);
    }
  }
  const { nodesOf, ScenarioInputError } = await import('../../test/sim/scenario/cli');
  let nodes: ReturnType<typeof nodesOf>;
  try {
    nodes = nodesOf(names.map((n) => FAULTS[n]!));
  } catch (e) {
    throw e instanceof ScenarioInputError ? new UsageError(e.message) : e;
  }
  const seed = intOption(values.seed, 'seed', 0, 2 ** 31 - 1, 1)!;
  const port = intOption(values.port, 'port', 0, 65535, undefined);
  const kubeconfig = values.kubeconfigOut ? resolve(values.kubeconfigOut) : join(await mkdtemp(join(tmpdir(), 'eks-reflexion-sim-')), 'kubeconfig');

  const [{ startSimulatedCluster }, { RealClock }] = await Promise.all([import('../../test/sim/index'), import('../../test/sim/clock')]);
  const sim = await startSimulatedCluster({ clock: new RealClock(), seed, ...(port !== undefined ? { port } : {}), ...(nodes ? { nodes } : {}) });
  let interrupted = false;
  const stopped = new Promise<void>((done) => {
    const stop = () => {
      interrupted = true;
      void sim.stop().then(done, done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  try {
    await sim.writeKubeconfig(kubeconfig);
    process.stdout.write(`simulated cluster at ${sim.url} (nodes: ${sim.nodes.map((n) => n.name).join(', ')})\n`);
    process.stdout.write(`kubeconfig: ${kubeconfig}\n  export KUBECONFIG=${kubeconfig}\n`);
    for (const name of names) {
      if (interrupted) break;
      const inst = FAULTS[name]!.instantiate(seed);
      await sim.apply(inst);
      process.stdout.write(`${name}: set up ${inst.workload.kind} ${inst.namespace}/${inst.workload.name}\n`);
      if (!values.inject) continue;
      // Inject once the baseline is healthy, so the fault arrives as a change to a working service.
      let healthy = false;
      for (let i = 0; i < 60 && !healthy && !interrupted; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        healthy = await inst.oracle(sim.client).catch(() => false);
      }
      if (interrupted) break;
      await inst.inject(sim.client);
      // Later steps and background noise run on their own times.
      inst.schedule?.(sim.client, sim.clock, sim.clock.now().getTime(), (e) => process.stderr.write(`${name}: timeline step failed: ${(e as Error).message}\n`));
      process.stdout.write(`${name}: fault injected${healthy ? '' : ' (baseline was not healthy after 60 s)'}\n`);
    }
    if (!interrupted) process.stdout.write('serving; Ctrl-C to stop\n');
  } catch (e) {
    // Requests cut off by a stop while setting up are not an error of their own.
    if (!interrupted) {
      await sim.stop();
      throw e;
    }
  }
  await stopped;
  process.stdout.write('stopped\n');
  return EXIT.ok;
}

export const command = defineCommand({
  subcommands: {
    serve: {
      summary: "run the simulated cluster in real time until SIGINT/SIGTERM, writing a kubeconfig for kubectl or 'eks-reflexion run'",
      spec: defineCommand<ServeOptions>({
        description: `Runs the simulated cluster (API server, controllers, scheduler and kubelet
emulators) in real time until SIGINT/SIGTERM, and writes a kubeconfig for
kubectl or 'eks-reflexion run'.`,
        configure: (cmd) =>
          cmd
            .option('--scenario <name>', 'set up this fault scenario (repeatable), wait for its healthy baseline, then inject the fault', (v: string, p: string[] | undefined) => [...(p ?? []), v])
            .option('--scenario-file <path>', 'set up the scenario of this file (YAML or JSON, anywhere; repeatable), validated before anything starts', (v: string, p: string[] | undefined) => [...(p ?? []), v])
            .option('--seed <n>', 'seed for scenario names, images and sizes (default 1)')
            .option('--port <p>', 'listen on this port (default: a free one)')
            .option('--kubeconfig-out <path>', 'where to write the kubeconfig (default: a new temp folder)')
            .option('--no-inject', 'set scenarios up but leave them healthy'),
        run: serve,
      }),
    },
    scenarios: {
      summary: 'list the fault catalogue, or the scenario files of a directory (validated)',
      spec: defineCommand<{ dir?: string }>({
        configure: (cmd) => cmd.option('--dir <dir>', 'list (and validate) the scenario files of this directory instead of the catalogue'),
        async run({ io, opts }) {
          io.stdout(scenariosTable(opts.dir ? await loadSet({ dir: resolve(opts.dir) }) : await loadFaults(), opts.dir !== undefined) + '\n');
          return EXIT.ok;
        },
      }),
    },
  },
});
