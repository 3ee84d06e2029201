import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../cli';
import { RealClock } from '../../test/sim/clock';
import { FAULTS } from '../../test/sim/faults';
import { startSimulatedCluster } from '../../test/sim/index';

const HELP = `usage: eks-reflexion sim serve [--scenario NAME ...] [--seed N] [--port P] [--kubeconfig-out PATH] [--no-inject]
       eks-reflexion sim scenarios

serve      runs the simulated cluster (API server, controllers, scheduler and
           kubelet emulators) in real time until SIGINT/SIGTERM, and writes a
           kubeconfig for kubectl or 'eks-reflexion run'.
  --scenario NAME        set up this fault scenario (repeatable), wait for its healthy
                         baseline, then inject the fault
  --seed N               seed for scenario names, images and sizes (default 1)
  --port P               listen on this port (default: a free one)
  --kubeconfig-out PATH  where to write the kubeconfig (default: a new temp folder)
  --no-inject            set scenarios up but leave them healthy
scenarios  lists the fault catalogue`;

class UsageError extends Error {
  override readonly name = 'UsageError' as const;
}

function intOption(value: string | undefined, name: string, min: number, max: number, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name} must be in ${min}..${max}, got ${n}`);
  return n;
}

function scenariosTable(): string {
  const rows = Object.values(FAULTS).map((s) => [
    s.name,
    s.expected.kind ? `${s.expected.kind}${s.expected.subReason ? `:${s.expected.subReason}` : ''}` : '(none)',
    s.expected.fixable ? 'yes' : 'no',
    s.expected.fixes.join(',') || '-',
    s.realCluster ? 'yes' : 'sim only',
    s.description,
  ]);
  const header = ['NAME', 'EXPECTED', 'FIXABLE', 'FIXED BY', 'REAL CLUSTER', 'DESCRIPTION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      seed: { type: 'string' },
      port: { type: 'string' },
      'kubeconfig-out': { type: 'string' },
      'no-inject': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const names = values.scenario ?? [];
  const unknown = names.filter((n) => !FAULTS[n]);
  if (unknown.length > 0) throw new UsageError(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(FAULTS).join(', ')}`);
  const seed = intOption(values.seed, 'seed', 0, 2 ** 31 - 1, 1)!;
  const port = intOption(values.port, 'port', 0, 65535, undefined);
  const kubeconfig = values['kubeconfig-out'] ? resolve(values['kubeconfig-out']) : join(await mkdtemp(join(tmpdir(), 'eks-reflexion-sim-')), 'kubeconfig');

  const sim = await startSimulatedCluster({ clock: new RealClock(), seed, ...(port !== undefined ? { port } : {}) });
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
      if (values['no-inject']) continue;
      // Inject once the baseline is healthy, so the fault arrives as a change to a working service.
      let healthy = false;
      for (let i = 0; i < 60 && !healthy && !interrupted; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        healthy = await inst.oracle(sim.client).catch(() => false);
      }
      if (interrupted) break;
      await inst.inject(sim.client);
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
  return 0;
}

async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'serve') return await serve(rest);
    if (sub === 'scenarios') {
      if (rest.length > 0) throw new UsageError(`sim scenarios takes no arguments, got ${rest.join(' ')}`);
      process.stdout.write(scenariosTable() + '\n');
      return 0;
    }
    if (sub === undefined || sub === '--help' || sub === '-h') {
      process.stdout.write(HELP + '\n');
      return sub === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown subcommand '${sub}'`);
  } catch (e) {
    // parseArgs reports unknown or malformed options with a TypeError carrying an ERR_PARSE_ARGS code.
    const parseError = (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (e instanceof UsageError || parseError) {
      process.stderr.write(`eks-reflexion sim: ${(e as Error).message}\n\n${HELP}\n`);
      return 2;
    }
    throw e;
  }
}

export const command: Command = { summary: 'simulated cluster: serve it (with fault scenarios) for kubectl, or list the fault catalogue', run };
