import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { ActionResult } from '../../../functions/domain/actions';
import { DeterministicReasoner, type DeterministicReasonerOptions } from '../../../functions/domain/deterministic-reasoner';
import { detectIncidents } from '../../../functions/domain/detectors/index';
import type { Incident } from '../../../functions/domain/incident';
import type { ClusterSnapshot } from '../../../functions/domain/k8s';
import type { Lesson } from '../../../functions/domain/model';
import { snapshotFromFiles } from '../../detectors/support';

/**
 * The reasoner's whole output over a broad table of incidents, each produced
 * by the detectors from a snapshot: every fault scenario × three seeds × two
 * moments (recorded from the simulator by record-snapshots.ts, with the log
 * tails the analyse step would read), and every detector fixture. For each
 * incident: the analysis, every proposal in rank order (each one ruled out by
 * a failure lesson in turn, as Reflexion does across trials), and the
 * reflection of the first proposal for each outcome. Run twice per incident:
 * as detected, and without rollout history (nothing to roll back to), and
 * under the default and a tight policy.
 */

interface Recorded {
  seed: number;
  moment: string;
  snapshot: ClusterSnapshot;
  logs: Record<string, string>;
}

const LIMITS: Record<string, DeterministicReasonerOptions> = {
  default: {},
  tight: { maxMemory: '1Gi', hpaMaxReplicasCeiling: 12, maxReplicaStep: 2, maxHpaStep: 2 },
};

function withLogs(incident: Incident, logs: Record<string, string>): Incident {
  const found = incident.evidence.containers.flatMap((c) =>
    [true, false].flatMap((previous) => {
      const text = logs[`${incident.namespace}/${c.pod}/${c.container}/${previous}`];
      return text ? [{ pod: c.pod, container: c.container, previous, text: text.slice(-4096) }] : [];
    }),
  );
  return { ...incident, evidence: { ...incident.evidence, logs: found.slice(0, 4) } };
}

export function sources(): { name: string; incidents: Incident[] }[] {
  const out: { name: string; incidents: Incident[] }[] = [];
  const recorded = JSON.parse(gunzipSync(readFileSync(new URL('./scenario-snapshots.json.gz', import.meta.url))).toString()) as Recorded[];
  for (const r of recorded) {
    const { incidents } = detectIncidents(r.snapshot, { source: 'schedule', protectedNamespaces: [], strict: true });
    out.push({ name: `scenarios seed ${r.seed} ${r.moment}`, incidents: incidents.map((i) => withLogs(i, r.logs)) });
  }
  const dir = new URL('../../fixtures/k8s/', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'nodes.json' && f !== 'namespaces.json').sort()) {
    const { incidents } = detectIncidents(snapshotFromFiles(file, 'nodes.json', 'namespaces.json'), {
      source: 'schedule',
      protectedNamespaces: [],
      strict: true,
    });
    out.push({ name: `fixture ${file}`, incidents });
  }
  return out;
}

const resultOf = (action: { action: string }): ActionResult =>
  ({ action: action.action, applied: true, dryRun: false, message: 'applied', details: { toRevision: 3 } }) as unknown as ActionResult;

/** Everything the reasoner says about one incident. */
export async function transcript(incident: Incident, limits: DeterministicReasonerOptions): Promise<unknown> {
  const reasoner = new DeterministicReasoner(limits);
  const analysis = await reasoner.analyse({ incident, lessons: [] });
  const proposals: { action: unknown; rationale: string }[] = [];
  const lessons: Lesson[] = [];
  const signature = analysis.subReason ? `${incident.kind}:${analysis.subReason}` : incident.signature;
  for (let i = 0; i < 10; i++) {
    const p = await reasoner.propose({ incident, analysis, lessons, candidates: [], previousReflections: [] });
    if (!p) break;
    proposals.push({ action: p.action, rationale: p.rationale });
    lessons.push({ text: `${p.action.action} did not fix ${signature}`, signature, action: p.action.action, outcome: 'failure' });
  }
  const reflections: Record<string, unknown> = {};
  const first = proposals[0]?.action as Parameters<DeterministicReasoner['reflect']>[0]['action'] | undefined;
  if (first) {
    for (const outcome of ['resolved', 'failed', 'escalated', 'dry-run']) {
      const r = await reasoner.reflect({
        incident,
        trial: 1,
        action: first,
        result: resultOf(first),
        outcome,
        ...(outcome === 'resolved' ? { timeToRecoverSeconds: 42.4 } : {}),
      });
      reflections[outcome] = { text: r.text, lessons: r.lessons };
    }
  }
  return { analysis: { summary: analysis.summary, hypotheses: analysis.hypotheses, subReason: analysis.subReason }, proposals, reflections };
}

export function allCases(): { id: string; incident: Incident; limits: DeterministicReasonerOptions }[] {
  const cases: { id: string; incident: Incident; limits: DeterministicReasonerOptions }[] = [];
  for (const { name, incidents } of sources()) {
    for (const incident of incidents) {
      const where = `${incident.namespace}/${incident.target.kind}/${incident.target.name} ${incident.signature}`;
      const noHistory: Incident = { ...incident, evidence: { ...incident.evidence, rolloutHistory: [] } };
      for (const [limitName, limits] of Object.entries(LIMITS)) {
        cases.push({ id: `${name} | ${where} | ${limitName}`, incident, limits });
        cases.push({ id: `${name} | ${where} | ${limitName} | no history`, incident: noHistory, limits });
      }
    }
  }
  return cases;
}
