import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { createTables, startDynamoDbLocal } from '../../functions/local/dynamodb-local';
import { createDynamoClients } from '../../functions/adapters/dynamodb/client';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';

/** `bench --stream` flags (the rest of bench's flags belong to the fault suite and the performance benches). */
export interface StreamFlags {
  families?: string;
  streams?: string;
  length?: string;
  quick?: boolean;
  seed: string;
  workers?: string;
  shiftAt?: string;
  out?: string;
}

/** Full: ≥ 6 families × 10 streams × 40 incidents. Quick: a smaller plan (≤ 5 minutes on this machine kind). */
export const STREAM_DEFAULTS = { full: { streams: 10, length: 40 }, quick: { streams: 3, length: 18 } } as const;

function integer(name: string, value: string, lo: number, hi: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`${name} must be an integer from ${lo} to ${hi}, got '${value}'`);
  return n;
}

/**
 * The stream benchmark from the CLI: every flag checked and the families
 * loaded (a malformed file is named) before DynamoDB Local starts; then the
 * bench's own DynamoDB Local, its own tables and namespaces, and the run.
 */
export async function runStreamCommand(values: StreamFlags, argv: string[], say: (line: string) => void): Promise<number> {
  const defaults = values.quick ? STREAM_DEFAULTS.quick : STREAM_DEFAULTS.full;
  const streams = integer('--streams', values.streams ?? String(defaults.streams), 1, 200);
  const length = integer('--length', values.length ?? String(defaults.length), 2, 1000);
  const seed = integer('--seed', values.seed, 0, 2 ** 31 - 1);
  const workers = integer('--workers', values.workers ?? String(Math.min(2, cpus().length)), 0, 16);
  const shiftAt = values.shiftAt === undefined ? undefined : integer('--shift-at', values.shiftAt, 1, length);
  const loaded = await loadFamiliesOption(values.families);
  const { runStreamBench } = await import('../../test/bench/stream');
  const out = resolve(values.out ?? join('.out', 'bench-stream'));
  const runId = Date.now().toString(36).slice(-7);
  // The bench's own DynamoDB Local, tables and namespaces: nothing here can reach a deployment's memory.
  const tables = { episodes: `bench-${runId}-episodes`, strategies: `bench-${runId}-strategies`, locks: `bench-${runId}-locks` };
  say(`stream bench: ${loaded.families.length} families from ${loaded.dir} (${loaded.families.map((f) => f.name).join(', ')})`);
  say(`  ${streams} streams × ${length} incidents × arms memory-on, memory-off, reasoner-only (when selection has it), shuffled (oracle computed); ${workers || 'no'} worker processes; writing ${out}`);
  const dynamo = await startDynamoDbLocal();
  try {
    await createTables(createDynamoClients({ endpoint: dynamo.endpoint }).client, tables, { expireByTtl: false }); // a virtual clock (createTables)
    const { report } = await runStreamBench({
      familiesDir: loaded.dir,
      streams,
      length,
      seed,
      ...(shiftAt !== undefined ? { shiftAt } : {}),
      dynamoEndpoint: dynamo.endpoint,
      tables,
      namespacePrefix: `sb-${runId}`,
      out,
      workers,
      command: `eks-reflexion bench ${argv.join(' ')}`.trim(),
      onRecord: (r) =>
        say(`  ${r.arm.padEnd(13)} stream ${String(r.stream).padStart(2)} #${String(r.index).padEnd(3)} ${r.family.padEnd(28)} ${(r.control ? (r.writes ? 'WROTE ON A CONTROL' : 'control, left alone') : r.firstTrialSuccess ? 'first action right' : r.success ? `fixed in ${r.trials}` : 'not fixed').padEnd(20)} ${(r.wallMs / 1000).toFixed(1)} s`),
    });
    for (const s of report.skippedArms) say(`  arm ${s.arm} not run: ${s.reason}`);
    const on = report.arms['memory-on'];
    say(`\n${report.throughput.incidentsRun} incidents in ${report.wallSeconds.toFixed(0)} s (${report.throughput.incidentsPerSecond.toFixed(2)}/s)`);
    for (const c of report.comparisons.filter((x) => x.metric === 'lateFirstTrialSuccess')) {
      say(`  late first-trial success memory-on ${(100 * c.aRate).toFixed(0)}% vs ${c.b} ${(100 * c.bRate).toFixed(0)}%: ${(100 * c.diff).toFixed(1)} points [${(100 * c.ciLow).toFixed(1)}, ${(100 * c.ciHigh).toFixed(1)}], exact p ${c.pExact.toFixed(3)}, n ${c.n}`);
    }
    say(`wrote ${join(out, 'bench.json')}, bench.md, report.html and incidents.jsonl`);
    const falseActions = Object.values(report.arms).reduce((s, a) => s + (a?.falseActions ?? 0), 0);
    return falseActions === 0 && on !== undefined ? EXIT.ok : EXIT.failed;
  } finally {
    await dynamo.stop();
  }
}

/** The families of `--families DIR` (default: the repository's), a bad folder or file refused as a usage error naming it. */
export async function loadFamiliesOption(dir: string | undefined): Promise<ReturnType<typeof import('../../test/bench/stream-families').loadStreamFamilies>> {
  const [{ loadStreamFamilies }, { ScenarioInputError }] = await Promise.all([import('../../test/bench/stream-families'), import('../../test/sim/scenario/cli')]);
  try {
    return loadStreamFamilies(dir ? resolve(dir) : undefined);
  } catch (e) {
    throw new UsageError(e instanceof ScenarioInputError ? e.message : `--families: ${e instanceof Error ? e.message : String(e)}`);
  }
}
