import type { StreamBenchReport } from './stream';
import type { Arm, ArmMetrics, Comparison } from './stream-metrics';
import type { Share } from './stats';

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : 'n/a');
const pts = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}` : 'n/a');
const cell = (s: Share) => `${pct(s.rate)} (${s.successes}/${s.n})`;
const p = (x: number) => (x < 0.001 ? '<0.001' : x.toFixed(3));

export function armRows(arms: Partial<Record<Arm, ArmMetrics>>): string[] {
  return (Object.entries(arms) as [Arm, ArmMetrics][]).map(([arm, m]) => {
    const rc = m.reconvergence;
    const reconv = rc ? `${pct(rc.before.rate)} → ${pct(rc.after.rate)}; ${rc.incidentsToReturn === null ? 'not back within the stream' : `back after ${rc.incidentsToReturn}`}` : '—';
    return `| ${arm} | ${cell(m.lateFirstTrialSuccess)} | ${cell(m.firstTrialSuccess)} | ${cell(m.successWithinMaxTrials)} | ${m.regret.wrongFirstActions} | ${m.regret.extraMinutes.toFixed(1)} | ${m.regret.unrecovered} | ${m.falseActions} | ${m.escalations.correct} / ${m.escalations.unnecessary} | ${arm === 'memory-on' || arm === 'shuffled' ? m.recurrences : '—'} | ${reconv} | ${m.errors} |`;
  });
}

export const ARM_HEADER = [
  '| arm | late first-trial success (n) | first-trial success | success ≤ max trials | wrong first actions | extra minutes | unrecovered | false actions | escalations right / needless | resolved, then recurred (watched in the learning arms) | after the shift (late level → first window; incidents to return) | errors (not run) |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
];

export function comparisonRows(scope: string, comparisons: readonly Comparison[]): string[] {
  return comparisons.map(
    (c) =>
      `| ${scope} | ${c.metric === 'lateFirstTrialSuccess' ? 'late first-trial' : 'success ≤ max trials'} | ${c.b} | ${pct(c.aRate)} | ${pct(c.bRate)} | ${pts(c.diff)} | [${pts(c.ciLow)}, ${pts(c.ciHigh)}] | ${c.aOnly} / ${c.bOnly} | ${p(c.pExact)} | ${c.n} (${c.streams}) |`,
  );
}

export const COMPARISON_HEADER = [
  '| scope | metric | memory-on vs | memory-on | baseline | diff (points) | 95 % CI (streams resampled) | discordant on-only / baseline-only | exact McNemar p | n pairs (streams) |',
  '|---|---|---|---|---|---|---|---|---|---|',
];

export function streamMarkdown(r: StreamBenchReport): string {
  const t = r.throughput;
  const lines = [
    '# eks-reflexion stream bench',
    '',
    `\`${r.command}\` on ${r.machine.cpus} cores, Node ${r.machine.node}, started ${r.startedAt}. ${r.complete ? 'Complete' : `**Partial** (${r.error ? `stopped: ${r.error}` : 'still running'})`}: ${t.incidentsRun} of ${t.incidentsPlanned} incidents in ${t.wallSeconds.toFixed(0)} s (${t.incidentsPerSecond.toFixed(2)} incidents/s through the whole state machine; ${t.meanIncidentWallMs.toFixed(0)} ms each, ${r.config.workers || 'no'} worker processes).`,
    '',
    `${r.config.streams} streams × ${r.config.length} incidents, families from \`${r.config.familiesDir}\`, seed ${r.config.seed}; arms paired by (stream, position); the late window is positions ${r.config.lateFrom}–${r.config.length - 1}; the cause mix shifts at position ${r.config.shiftAt} in families that declare a shift. Success is each scenario's oracle. Memory namespaces \`${r.config.memoryNamespaces}\` in the bench's own tables. The oracle arm is computed from ground truth, not run.`,
    ...(r.skippedArms.length ? ['', ...r.skippedArms.map((s) => `Arm **${s.arm}** not run: ${s.reason}.`)] : []),
    '',
    '## Families (who wrote them)',
    '',
    '| family | authors | causes | right remedy depends on the cause | shift |',
    '|---|---|---|---|---|',
    ...r.families.map((f) => `| ${f.name} | ${f.authors.join(', ') || '—'} | ${f.causes.join(', ')} | ${f.latentChoice ? 'yes' : 'no (reported apart)'} | ${f.shift ? Object.entries(f.shift).map(([c, w]) => `${c} ×${w}`).join(', ') : '—'} |`),
    '',
    '## Arms, all families',
    '',
    ...ARM_HEADER,
    ...armRows(r.arms),
    '',
    '## memory-on against each baseline',
    '',
    ...COMPARISON_HEADER,
    ...comparisonRows('all families', r.comparisons),
    ...comparisonRows(`remedy depends on cause (${r.groups.latent.families.length})`, r.groups.latent.comparisons),
    ...comparisonRows(`remedy fixed (${r.groups.fixed.families.length})`, r.groups.fixed.comparisons),
    ...Object.entries(r.perFamily).flatMap(([name, f]) => comparisonRows(name, f.comparisons.filter((c) => c.metric === 'lateFirstTrialSuccess'))),
    '',
    ...(r.errors.count > 0
      ? ['## Incidents that could not be run', '', `${r.errors.count} (recorded as \`error\` for that arm, out of every share and pair; the run went on):`, '', ...r.errors.incidents.map((e) => `- stream ${e.stream} position ${e.index} (${e.family}, ${e.arm}): ${e.error.split('\n')[0]}`), '']
      : []),
    '## Arms per family',
    '',
    ...Object.entries(r.perFamily).flatMap(([name, f]) => [`### ${name}${f.latentChoice ? '' : ' (remedy does not depend on the cause)'}`, '', ...ARM_HEADER, ...armRows(f.arms), '']),
  ];
  return lines.join('\n');
}
