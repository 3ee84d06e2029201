import { join, resolve } from 'node:path';
import { createTables, startDynamoDbLocal } from '../../functions/local/dynamodb-local';
import { createDynamoClients } from '../../functions/adapters/dynamodb/client';
// Types only: the simulator and the benchmark (test/) are loaded when the demo runs.
import type { StreamIncident } from '../../test/bench/stream-metrics';
import type { FamilyInfo } from '../../test/bench/stream-metrics';
import { defineCommand } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { outputWidth, wrap } from '../story';
import { loadFamiliesOption } from './bench-stream';

/** Used when the repository has no scenarios/families (or --family names none): a one-cause fault of the catalogue. */
const FALLBACK = 'crashloop-bad-config';

interface Options {
  family?: string;
  families?: string;
  streams: string;
  length: string;
  seed: string;
  workers: string;
  out: string;
}

function integer(name: string, value: string, lo: number, hi: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`${name} must be an integer from ${lo} to ${hi}, got '${value}'`);
  return n;
}

/** One line per arm of one incident: what it did first, and how it ended. */
function armLine(r: StreamIncident): string {
  const first = r.decisions[0];
  const verdict = r.control ? (r.writes === 0 ? 'left alone (right)' : `WROTE ${r.writes}× on a control`) : r.firstTrialSuccess ? 'first action right' : r.success ? `fixed on trial ${r.trials}` : r.detected ? 'not fixed' : 'not detected';
  return `${first ? `${first.action}${r.decisions.length > 1 ? ` → ${r.decisions.slice(1).map((d) => d.action).join(' → ')}` : ''}` : 'no action'}: ${verdict}`;
}

/** The family the demo streams: the one asked for, else the first whose right remedy depends on its hidden cause. */
function pickFamily(families: FamilyInfo[], asked?: string): FamilyInfo {
  if (asked) {
    const f = families.find((x) => x.name === asked);
    if (!f) throw new UsageError(`--family: no family '${asked}'; known: ${families.map((x) => x.name).join(', ')}`);
    return f;
  }
  return families.find((f) => f.latentChoice) ?? families.find((f) => f.name === FALLBACK) ?? families[0]!;
}

async function run({ opts: values, argv }: { opts: Options; argv: string[] }): Promise<number> {
  const streams = integer('--streams', values.streams, 1, 20);
  const length = integer('--length', values.length, 2, 200);
  const seed = integer('--seed', values.seed, 0, 2 ** 31 - 1);
  const workers = integer('--workers', values.workers, 0, 4);
  const loaded = await loadFamiliesOption(values.families);
  const family = pickFamily(loaded.families, values.family);
  const { runStreamBench } = await import('../../test/bench/stream');
  const out = resolve(values.out);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const width = outputWidth();
  say(`eks-reflexion demo: ${streams} stream(s) of ${length} incidents of one family, ${family.name} (by ${family.authors.join(', ') || 'no author given'}).`);
  say(
    wrap(
      '',
      family.latentChoice
        ? `One symptom, ${family.causes.length} hidden causes (${family.causes.join(', ')}), and the right remedy depends on which: the system never sees the cause, only what an operator would (team, what changed, logs, events). Memory off starts every incident from scratch; memory on keeps what earlier incidents taught. Same incidents, same random draws, side by side.`
        : `This family has one right remedy whatever its cause (${family.causes.join(', ')}), so memory has little to learn here. Memory off starts every incident from scratch; memory on keeps what earlier incidents taught.`,
      width,
    ).join('\n'),
  );
  say('Starting DynamoDB Local and the simulated cluster…\n');
  const dynamo = await startDynamoDbLocal();
  const runId = Date.now().toString(36).slice(-7);
  const tables = { episodes: `demo-${runId}-episodes`, strategies: `demo-${runId}-strategies`, locks: `demo-${runId}-locks` };
  // Incidents print when both arms have run them (the arms run side by side, in two processes).
  const pending = new Map<string, Partial<Record<string, StreamIncident>>>();
  const onRecord = (r: StreamIncident) => {
    const key = `${r.stream}:${r.index}`;
    const both = { ...pending.get(key), [r.arm]: r };
    pending.set(key, both);
    const off = both['memory-off'];
    const on = both['memory-on'];
    if (!off || !on) return;
    pending.delete(key);
    say(`[stream ${r.stream + 1}, incident ${r.index + 1}/${length}] hidden cause: ${r.truth.cause} (the system does not see this)`);
    say(`  memory off  ${armLine(off)}`);
    say(`  memory on   ${armLine(on)}`);
    const why = on.decisions[0]?.why;
    if (why) for (const line of wrap('  why (on)   ', why, width)) say(line);
  };
  let report: Awaited<ReturnType<typeof runStreamBench>>['report'];
  try {
    await createTables(createDynamoClients({ endpoint: dynamo.endpoint }).client, tables, { expireByTtl: false }); // a virtual clock (createTables)
    ({ report } = await runStreamBench({
      familiesDir: loaded.dir,
      families: [family.name],
      streams,
      length,
      seed,
      arms: ['memory-off', 'memory-on'],
      dynamoEndpoint: dynamo.endpoint,
      tables,
      namespacePrefix: `demo-${runId}`,
      workers,
      resamples: 5000,
      command: argv.length > 0 ? `npm run demo -- ${argv.join(' ')}` : 'npm run demo',
      out,
      onRecord,
    }));
  } finally {
    await dynamo.stop();
  }

  const on = report.arms['memory-on']!;
  const off = report.arms['memory-off']!;
  const c = report.comparisons.find((x) => x.b === 'memory-off' && x.metric === 'lateFirstTrialSuccess')!;
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : 'n/a');
  const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(0)}`;
  say('\n=== summary ===');
  say(`                  late first-trial success   fixed within max trials   wrong first actions   extra minutes   false actions`);
  for (const [name, m] of [['memory on', on], ['memory off', off]] as const) {
    say(`  ${name.padEnd(14)}  ${`${pct(m.lateFirstTrialSuccess.rate)} (${m.lateFirstTrialSuccess.successes}/${m.lateFirstTrialSuccess.n})`.padStart(24)}   ${pct(m.successWithinMaxTrials.rate).padStart(23)}   ${String(m.regret.wrongFirstActions).padStart(19)}   ${m.regret.extraMinutes.toFixed(0).padStart(13)}   ${String(m.falseActions).padStart(13)}`);
  }
  const verdict =
    c.n === 0
      ? 'No paired incidents in the late window: nothing to compare.'
      : c.ciLow > 0
        ? `Memory helped here: ${pts(c.diff)} points of first-trial success in the late half (95 % interval ${pts(c.ciLow)} to ${pts(c.ciHigh)}, exact p ${c.pExact.toFixed(3)}, ${c.n} paired incidents).`
        : c.ciHigh < 0
          ? `Memory did worse here: ${pts(c.diff)} points of first-trial success in the late half (95 % interval ${pts(c.ciLow)} to ${pts(c.ciHigh)}, exact p ${c.pExact.toFixed(3)}, ${c.n} paired incidents).`
          : `No clear difference on this run: ${pts(c.diff)} points of first-trial success in the late half, 95 % interval ${pts(c.ciLow)} to ${pts(c.ciHigh)} (exact p ${c.pExact.toFixed(3)}, ${c.n} paired incidents).`;
  say(wrap('', `${verdict} A demo is a few incidents; the measurement is \`eks-reflexion bench --stream\` (README, "Measured").`, width).join('\n'));
  say(`\nreport (learning and regret curves, every decision and its why): ${join(out, 'report.html')}`);
  return on.falseActions + off.falseActions === 0 ? EXIT.ok : EXIT.failed;
}

export const command = defineCommand<Options>({
  description: `Streams incidents of one scenario family whose right remedy depends on a hidden
cause through the whole local stack, memory off and memory on side by side
(same incidents, same random draws), printing what each arm did and why, then
the late first-trial success of both with a paired interval, and an HTML
report with the learning and regret curves.`,
  configure: (cmd) =>
    cmd
      .option('--family <name>', 'the family to stream (default: the first whose remedy depends on its cause)')
      .option('--families <dir>', 'where the families are (default scenarios/families, else the fault catalogue)')
      .option('--streams <n>', 'independent streams', '2')
      .option('--length <n>', 'incidents per stream', '12')
      .option('--seed <n>', 'the run seed (instances and decision draws are hashed from it)', '1')
      .option('--workers <n>', 'processes (2: the arms side by side; 0: one after the other in this process)', '2')
      .option('--out <dir>', 'where report.html, bench.json and incidents.jsonl go', '.out/demo'),
  run,
});
