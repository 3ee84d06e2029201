import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startDynamoDbLocal } from '../../functions/local/dynamodb-local';
import type { StateVisit } from '../../functions/local/runner';
// Types only: the simulator and the harness (test/) are loaded when the demo runs.
import type { IncidentRun } from '../../test/harness/fault-driver';
import type { FaultExpectation } from '../../test/sim/faults/kit';
import { defineCommand } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { outputWidth, storyLines, wrap } from '../story';

/** The closing line of an incident: controls (where leaving it alone is right) are described as controls. */
function resultLine(expected: FaultExpectation, r: IncidentRun): string {
  if (!r.detected && r.writes === 0 && (expected.kind === null || !expected.fixable)) {
    return `  control   ${expected.kind === null ? 'no fault: nothing detected' : 'must not be touched: correctly left alone'}; writes 0`;
  }
  if (!r.detected) return `  result    NOT detected; oracle says ${r.oracleFixed ? 'healthy' : 'still broken'}; writes ${r.writes}`;
  return (
    `  result    ${r.outcome} after ${r.trials} trial(s)` +
    `${r.timeToRecoverSeconds !== undefined ? `, recovered ${r.timeToRecoverSeconds.toFixed(0)} s after detection` : ''}` +
    `; oracle says ${r.oracleFixed ? 'healthy' : 'not fixed'}; writes ${r.writes}`
  );
}

/** The faults the demo walks through, in order; each round repeats them on new instances. */
export const DEMO_FAULTS = [
  'bad-image-tag',
  'crashloop-bad-config',
  'transient-crashloop',
  'oom-low-limit',
  'liveness-too-aggressive',
  'hpa-at-max',
  'registry-auth',
  'no-fault',
  'protected-namespace',
];

interface Options {
  rounds: string;
  faults?: string;
  out: string;
  quiet?: boolean;
}

async function run({ opts: values, argv }: { opts: Options; argv: string[] }): Promise<number> {
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new UsageError(`--rounds must be an integer from 1 to 20, got '${values.rounds}'`);
  const [{ FAULTS }, { runFault }, { renderReport }] = await Promise.all([
    import('../../test/sim/faults'),
    import('../../test/harness/fault-driver'),
    import('../../test/harness/report'),
  ]);
  const faults = values.faults ? values.faults.split(',').map((f) => f.trim()) : DEMO_FAULTS;
  const unknown = faults.filter((f) => !FAULTS[f]);
  if (unknown.length > 0) throw new UsageError(`unknown fault(s): ${unknown.join(', ')}; known: ${Object.keys(FAULTS).join(', ')}`);

  const out = resolve(values.out);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const width = outputWidth();
  say('eks-reflexion demo: starting DynamoDB Local and the simulated cluster…');
  const dynamo = await startDynamoDbLocal();
  const tables = { episodes: 'demo-episodes', strategies: 'demo-strategies', locks: 'demo-locks' };
  const arms: { name: 'memory-on' | 'memory-off'; runs: IncidentRun[] }[] = [
    { name: 'memory-off', runs: [] },
    { name: 'memory-on', runs: [] },
  ];
  try {
    for (const arm of arms) {
      say(`\n=== ${arm.name === 'memory-on' ? 'memory ON: every incident can use what earlier ones taught' : 'memory OFF: every incident starts from scratch (the baseline)'} ===`);
      let index = 0;
      for (let round = 1; round <= rounds; round++) {
        for (const [i, name] of faults.entries()) {
          index++;
          const seed = round * 1000 + i;
          const scenario = FAULTS[name]!;
          say(`\n[${arm.name} ${index}/${rounds * faults.length}] ${name} (seed ${seed}): ${scenario.description}`);
          const result = await runFault({
            scenario,
            seed,
            memoryNamespace: arm.name === 'memory-on' ? 'demo-on' : `demo-off-${round}-${i}`,
            dynamoEndpoint: dynamo.endpoint,
            tables,
            ...(values.quiet
              ? {}
              : {
                  onVisit: (v: StateVisit) => {
                    for (const line of storyLines(v, { width, converging: false })) say(line);
                  },
                }),
          });
          arm.runs.push(result);
          say(resultLine(scenario.expected, result));
        }
      }
    }
  } finally {
    await dynamo.stop();
  }

  const [off, on] = [arms[0]!.runs, arms[1]!.runs];
  const summarise = (runs: IncidentRun[]) => {
    const fixable = runs.filter((r) => r.expectedFixable && r.detected);
    const pct = (n: number) => (fixable.length ? `${((100 * n) / fixable.length).toFixed(0)}%` : 'n/a');
    return {
      pass1: pct(fixable.filter((r) => r.firstTrialSuccess).length),
      resolved: pct(fixable.filter((r) => r.resolved).length),
      trials: fixable.length ? (fixable.reduce((s, r) => s + r.trials, 0) / fixable.length).toFixed(2) : 'n/a',
      falseActions: runs.reduce((s, r) => s + r.falseActions, 0),
    };
  };
  const a = summarise(on);
  const b = summarise(off);
  await mkdir(out, { recursive: true });
  const reportPath = join(out, 'report.html');
  await writeFile(
    reportPath,
    renderReport({ title: 'eks-reflexion demo', generatedAt: new Date().toISOString(), command: argv.length > 0 ? `npm run demo -- ${argv.join(' ')}` : 'npm run demo', memoryOn: on, memoryOff: off }),
  );
  await writeFile(join(out, 'runs.json'), JSON.stringify({ memoryOn: on, memoryOff: off }, null, 2));
  const fixableOf = (runs: IncidentRun[]) => runs.filter((r) => r.expectedFixable && r.detected).length;
  say('\n=== summary ===');
  say(
    wrap(
      '',
      `Percentages are over the fixable incidents that were detected (memory on: ${fixableOf(on)} of ${on.length} runs; memory off: ${fixableOf(off)} of ${off.length}); controls (no fault, protected namespace) and faults no catalogue action can fix are left out of them. False actions count writes on any run where none should happen.`,
      width,
    ).join('\n'),
  );
  say(`                 first-trial success   resolved   trials/incident   false actions`);
  say(`  memory on      ${a.pass1.padStart(19)}   ${a.resolved.padStart(8)}   ${a.trials.padStart(15)}   ${String(a.falseActions).padStart(13)}`);
  say(`  memory off     ${b.pass1.padStart(19)}   ${b.resolved.padStart(8)}   ${b.trials.padStart(15)}   ${String(b.falseActions).padStart(13)}`);
  say(`\nreport: ${reportPath}`);
  return a.falseActions + b.falseActions === 0 ? EXIT.ok : EXIT.failed;
}

export const command = defineCommand<Options>({
  description: `Runs the fault sequence through the whole local stack twice — memory on (one
memory shared by all incidents) and memory off (a fresh memory per incident) —
printing each incident's story, then a summary and an HTML report.`,
  configure: (cmd) =>
    cmd
      .option('--rounds <n>', 'how many times the sequence repeats on fresh instances', '2')
      .option('--faults <a,b,...>', `comma-separated fault names (default: ${DEMO_FAULTS.join(',')})`)
      .option('--out <dir>', 'where report.html and runs.json go', '.out/demo')
      .option('--quiet', 'one line per incident instead of one per step'),
  run,
});
