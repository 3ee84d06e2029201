import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Compares two fault-suite runs incident by incident (`npx tsx
 * test/bench/compare-fault-suite.ts BEFORE/bench.json AFTER/bench.json`):
 * what the system observed and did (detection, signature, outcome, trials,
 * actions, times, writes) must match for the same fault and seed. Wall
 * times are not compared. Exit 1 when any incident differs.
 */

interface Run {
  fault: string;
  seed: number;
  trialsDetail: { action: string }[];
  disagreement?: boolean;
  [key: string]: unknown;
}
type Arms = Record<string, Run[]>;

const FIELDS = ['detected', 'signature', 'timeToDetectSeconds', 'outcome', 'trials', 'firstTrialSuccess', 'resolved', 'timeToRecoverSeconds', 'writes', 'falseActions'];

export function compareRuns(before: Arms, after: Arms): { incidents: number; differences: string[]; disagreements: number } {
  const differences: string[] = [];
  let incidents = 0;
  let disagreements = 0;
  for (const [arm, runs] of Object.entries(after)) {
    const old = new Map((before[arm] ?? []).map((r) => [`${r.fault}@${r.seed}`, r]));
    for (const r of runs) {
      incidents++;
      if (r.disagreement) disagreements++;
      const o = old.get(`${r.fault}@${r.seed}`);
      if (!o) {
        differences.push(`${arm} ${r.fault}@${r.seed}: not in the first run`);
        continue;
      }
      for (const f of FIELDS) if (JSON.stringify(o[f]) !== JSON.stringify(r[f])) differences.push(`${arm} ${r.fault}@${r.seed}: ${f} ${JSON.stringify(o[f])} → ${JSON.stringify(r[f])}`);
      const [a, b] = [o.trialsDetail.map((t) => t.action).join(','), r.trialsDetail.map((t) => t.action).join(',')];
      if (a !== b) differences.push(`${arm} ${r.fault}@${r.seed}: actions ${a} → ${b}`);
    }
  }
  return { incidents, differences, disagreements };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [beforeFile, afterFile] = process.argv.slice(2);
  if (!beforeFile || !afterFile) {
    process.stderr.write('usage: compare-fault-suite.ts BEFORE.json AFTER.json\n');
    process.exit(2);
  }
  const read = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { faultSuite: { runs: Arms } }).faultSuite.runs;
  const { incidents, differences, disagreements } = compareRuns(read(beforeFile), read(afterFile));
  process.stdout.write(`${incidents} incidents compared, ${differences.length} differ; oracle/system disagreements in the second run: ${disagreements}\n${differences.join('\n')}\n`);
  process.exit(differences.length ? 1 : 0);
}
