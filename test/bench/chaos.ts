/**
 * `bench --chaos SHARE`: the fault suite with faults injected on SHARE of the
 * system's Kubernetes requests (the chaos proxy: 429, 500, 409 on writes,
 * timeouts) and DynamoDB requests (throttling), beside the same incidents run
 * through the same proxy at share 0.
 *
 * Every figure is counted from evidence the system did not write about
 * itself:
 * - episodes lost: the executions' state paths (one Reflect per trial) against
 *   the episodes table, read with a client of our own;
 * - actions applied twice: the proxy's log of writes the API server accepted
 *   (the last-action marker in each patch names its action id; a pod delete's
 *   answer names the uid it deleted);
 * - locks left held: the locks table after every execution ended;
 * - executions failed: the runner's execution results (Escalated is an outcome,
 *   any other failure is a failure);
 * - audit events missing: applied actions without their Event in the cluster.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoClients } from '../../functions/adapters/dynamodb/client';
import { EVENT_REASON, LAST_ACTION_ANNOTATION } from '../../functions/app/actions/common';
import { eventNameFor } from '../../functions/app/execute-action';
import { DEDUP_WINDOW_SECONDS } from '../../functions/app/incident-executions';
import type { KubeEvent } from '../../functions/domain/k8s';
import type { ExecutionResult } from '../../functions/local/runner';
import type { FaultScenario } from '../sim/faults';
import { draw, type FaultKind, type ProxyRecord } from '../harness/chaos-proxy';
import { runFault, type IncidentRun } from '../harness/fault-driver';
import type { LocalStack } from '../harness/local-stack';
import { spread, type Spread } from './fault-suite';

/** What the API server accepted, attributed to actions. */
export interface AppliedWrites {
  /** Applied patches per action id (the marker in the patch body), restart_pod's bookkeeping marker excluded. */
  patchesByAction: Record<string, { object: string; count: number }>;
  /** Applied pod deletes per pod (namespace/name) with the uids they deleted. */
  podDeletes: Record<string, string[]>;
  /** Applied writes that name no action (neither a marker nor a pod delete). */
  unattributed: string[];
  /** Actions that changed the cluster more than once: an action id with >1 applied patches, a pod name deleted under >1 uids. */
  appliedTwice: string[];
}

const ok = (status: number | undefined) => status !== undefined && status >= 200 && status < 300;

/** The marker a JSON patch sets, if any: `{ action, actionId }`. */
export function markerOf(body: string | undefined): { action: string; actionId: string } | undefined {
  if (!body) return undefined;
  let ops: unknown;
  try {
    ops = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(ops)) return undefined;
  const pointer = `/metadata/annotations/${LAST_ACTION_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  for (const op of ops as { path?: string; value?: unknown }[]) {
    const raw = op.path === pointer ? op.value : op.path === '/metadata/annotations' ? (op.value as Record<string, unknown> | undefined)?.[LAST_ACTION_ANNOTATION] : undefined;
    if (typeof raw !== 'string') continue;
    try {
      const marker = JSON.parse(raw) as { action?: unknown; actionId?: unknown };
      if (typeof marker.action === 'string' && typeof marker.actionId === 'string') return { action: marker.action, actionId: marker.actionId };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Reads the proxy's log: every non-dry-run write the upstream answered 2xx, Events aside. */
export function appliedWrites(log: readonly ProxyRecord[]): AppliedWrites {
  const out: AppliedWrites = { patchesByAction: {}, podDeletes: {}, unattributed: [], appliedTwice: [] };
  for (const r of log) {
    if (r.method === 'GET' || r.dryRun || !ok(r.upstreamStatus)) continue;
    const path = new URL(r.url, 'https://proxy').pathname;
    if (/\/events(\/|$)/.test(path)) continue;
    const pod = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(path);
    if (r.method === 'DELETE' && pod) {
      let uid = '?';
      try {
        uid = String((JSON.parse(r.answer ?? '{}') as { metadata?: { uid?: string } }).metadata?.uid ?? '?');
      } catch {
        // An answer that is not JSON leaves the uid unknown.
      }
      const key = `${pod[1]}/${pod[2]}`;
      const uids = (out.podDeletes[key] ??= []);
      // The same pod deleted again (a graceful delete answered twice) is one deletion.
      if (!uids.includes(uid)) uids.push(uid);
      continue;
    }
    const marker = r.method === 'PATCH' ? markerOf(r.body) : undefined;
    if (marker) {
      if (marker.action === 'restart_pod') continue; // bookkeeping on the pod's Deployment: the delete is the action
      const entry = (out.patchesByAction[marker.actionId] ??= { object: path, count: 0 });
      entry.count += 1;
      continue;
    }
    out.unattributed.push(`${r.method} ${path}`);
  }
  for (const [id, e] of Object.entries(out.patchesByAction)) if (e.count > 1) out.appliedTwice.push(`${id}: ${e.count} patches of ${e.object}`);
  for (const [pod, uids] of Object.entries(out.podDeletes)) if (uids.length > 1) out.appliedTwice.push(`pod ${pod}: ${uids.length} pods of that name deleted`);
  return out;
}

export interface IncidentEvidence {
  fault: string;
  seed: number;
  executions: number;
  /** Executions that ended FAILED with anything but Escalated (LockFailed, States.*, an uncaught error). */
  executionsFailed: string[];
  /** (execution, trial) pairs that ran Reflect (or got past the lock) with no episode in the table. */
  episodesLost: string[];
  locksLeftHeld: string[];
  appliedTwice: string[];
  unattributedWrites: string[];
  /** Applied actions with no audit Event of theirs in the cluster. */
  auditEventsMissing: string[];
  applied: number;
  kubeRequests: number;
  kubeFaults: Record<FaultKind | 'timeout-after-apply', number>;
  dynamoAttempts: number;
  dynamoThrottled: number;
}

async function scanAll(doc: DynamoDBDocumentClient, table: string, prefix: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': prefix },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * A workload lock still in the table after every execution ended is held. A
 * start claim (`start/...`) stays by design, shortened at the execution's end
 * to at most the dedup window; one still on its whole-run lease (the
 * execution budget, always longer than the window) was never settled.
 */
export function leftHeld(item: Record<string, unknown>): boolean {
  const key = String(item.lockKey ?? '');
  if (!key.startsWith('start/')) return true;
  const lease = Number(item.expiresAtMs) - Date.parse(String(item.acquiredAt));
  return !(lease <= DEDUP_WINDOW_SECONDS * 1000);
}

/** Trials each execution ran (Reflect entries; at least one once past the lock): the episodes the table must hold. */
export function expectedEpisodes(results: readonly ExecutionResult[]): { execution: string; trial: number }[] {
  const out: { execution: string; trial: number }[] = [];
  for (const r of results) {
    if (!r.path.includes('Analyse')) continue; // never held the lock: no incident story to record
    const trials = Math.max(1, r.path.filter((s) => s === 'Reflect').length);
    for (let t = 1; t <= trials; t++) out.push({ execution: r.name, trial: t });
  }
  return out;
}

/** Gathers one incident's evidence from the execution results, the tables and the cluster. */
export async function gatherEvidence(
  stack: LocalStack,
  results: readonly ExecutionResult[],
  options: { fault: string; seed: number; namespace: string; doc: DynamoDBDocumentClient },
): Promise<IncidentEvidence> {
  const episodes = await scanAll(options.doc, stack.tables.episodes, `${options.namespace}#EP#`);
  const have = new Set(episodes.map((e) => `${String(e.executionId)}#${String(e.trial)}`));
  const episodesLost = expectedEpisodes(results)
    .map((e) => `${e.execution}#${e.trial}`)
    .filter((k) => !have.has(k));
  const locks = await scanAll(options.doc, stack.tables.locks, `${options.namespace}#LOCK#`);
  const locksLeftHeld = locks.filter(leftHeld).map((l) => String(l.lockKey ?? l.pk));
  const log = stack.chaos?.proxy.log ?? [];
  const applied = appliedWrites(log);
  const events = await stack.kube.list<KubeEvent>('/api/v1/events');
  const ours = events.filter((e) => e.reason === EVENT_REASON);
  const eventNames = new Set(ours.map((e) => e.metadata?.name));
  const missing: string[] = [];
  for (const [actionId, e] of Object.entries(applied.patchesByAction)) {
    const name = e.object.split('/').at(-1) ?? '';
    if (!eventNames.has(eventNameFor(name, actionId))) missing.push(`${actionId} on ${e.object}`);
  }
  for (const pod of Object.keys(applied.podDeletes)) {
    const [ns, name] = pod.split('/');
    if (!ours.some((e) => e.involvedObject?.kind === 'Pod' && e.involvedObject.name === name && e.metadata?.namespace === ns)) missing.push(`delete of pod ${pod}`);
  }
  const dynamo = stack.chaos?.dynamo;
  return {
    fault: options.fault,
    seed: options.seed,
    executions: results.length,
    executionsFailed: results.filter((r) => r.status === 'FAILED' && r.error?.name !== 'Escalated').map((r) => `${r.name}: ${r.error?.name ?? '?'}: ${(r.error?.cause ?? '').slice(0, 200)}`),
    episodesLost,
    locksLeftHeld,
    appliedTwice: applied.appliedTwice,
    unattributedWrites: applied.unattributed,
    auditEventsMissing: missing,
    applied: Object.keys(applied.patchesByAction).length + Object.keys(applied.podDeletes).length,
    kubeRequests: log.length,
    kubeFaults: stack.chaos?.proxy.injected() ?? { '429': 0, '500': 0, '409': 0, timeout: 0, 'timeout-after-apply': 0 },
    dynamoAttempts: dynamo?.attempts ?? 0,
    dynamoThrottled: dynamo ? dynamo.throttled.ProvisionedThroughputExceededException + dynamo.throttled.ThrottlingException : 0,
  };
}

export interface ChaosArm {
  share: number;
  incidents: number;
  /** Share of incidents the scenario's oracle calls a success. */
  successRate: number;
  /** Time to recover of the fixable incidents resolved (cluster seconds). */
  timeToRecoverSeconds: Spread;
  episodesLost: number;
  actionsAppliedTwice: number;
  locksLeftHeld: number;
  executionsFailed: number;
  unattributedWrites: number;
  auditEventsMissing: number;
  actionsApplied: number;
  kubeRequests: number;
  kubeFaults: Record<FaultKind | 'timeout-after-apply', number>;
  dynamoAttempts: number;
  dynamoThrottled: number;
}

export interface ChaosResult {
  share: number;
  kinds: readonly FaultKind[];
  faults: string[];
  seeds: number[];
  chaos: ChaosArm;
  faultFree: ChaosArm;
  /** Every incident, with its evidence and the list of what went wrong (empty is good). */
  incidents: { chaos: (IncidentEvidence & { run: Pick<IncidentRun, 'outcome' | 'oracleFixed' | 'trials' | 'timeToRecoverSeconds'> })[]; faultFree: (IncidentEvidence & { run: Pick<IncidentRun, 'outcome' | 'oracleFixed' | 'trials' | 'timeToRecoverSeconds'> })[] };
}

function arm(share: number, runs: IncidentRun[], evidence: IncidentEvidence[]): ChaosArm {
  const sum = (f: (e: IncidentEvidence) => number) => evidence.reduce((s, e) => s + f(e), 0);
  const kubeFaults = { '429': 0, '500': 0, '409': 0, timeout: 0, 'timeout-after-apply': 0 };
  for (const e of evidence) for (const k of Object.keys(kubeFaults) as (keyof typeof kubeFaults)[]) kubeFaults[k] += e.kubeFaults[k];
  return {
    share,
    incidents: runs.length,
    successRate: runs.length ? runs.filter((r) => r.oracleFixed).length / runs.length : 0,
    timeToRecoverSeconds: spread(runs.filter((r) => r.expectedFixable && r.resolved).map((r) => r.timeToRecoverSeconds ?? 0)),
    episodesLost: sum((e) => e.episodesLost.length),
    actionsAppliedTwice: sum((e) => e.appliedTwice.length),
    locksLeftHeld: sum((e) => e.locksLeftHeld.length),
    executionsFailed: sum((e) => e.executionsFailed.length),
    unattributedWrites: sum((e) => e.unattributedWrites.length),
    auditEventsMissing: sum((e) => e.auditEventsMissing.length),
    actionsApplied: sum((e) => e.applied),
    kubeRequests: sum((e) => e.kubeRequests),
    kubeFaults,
    dynamoAttempts: sum((e) => e.dynamoAttempts),
    dynamoThrottled: sum((e) => e.dynamoThrottled),
  };
}

/** The zero figures; a non-empty answer names what broke (the bench's exit status). */
export function chaosViolations(a: ChaosArm): string[] {
  const out: string[] = [];
  if (a.episodesLost) out.push(`${a.episodesLost} episode(s) lost`);
  if (a.actionsAppliedTwice) out.push(`${a.actionsAppliedTwice} action(s) applied twice`);
  if (a.locksLeftHeld) out.push(`${a.locksLeftHeld} lock(s) left held`);
  if (a.executionsFailed) out.push(`${a.executionsFailed} execution(s) failed`);
  return out;
}

export async function runChaosBench(options: {
  scenarios: FaultScenario[];
  seeds: number;
  share: number;
  kinds?: readonly FaultKind[];
  runId: string;
  dynamoEndpoint: string;
  tables: { episodes: string; strategies: string; locks: string };
  onRun?: (arm: string, run: IncidentRun, evidence: IncidentEvidence) => void;
  /** Tests only: runs before the evidence is read in the chaos arm (a negative case proves the counters can fail). */
  tamper?: (stack: LocalStack, namespace: string) => Promise<void>;
}): Promise<ChaosResult> {
  const kinds = options.kinds ?? (['429', '500', '409', 'timeout'] as const);
  const seeds = Array.from({ length: options.seeds }, (_, i) => 10_000 + i);
  const { doc } = createDynamoClients({ endpoint: options.dynamoEndpoint });
  const runArm = async (label: 'chaos' | 'fault-free', share: number) => {
    const runs: IncidentRun[] = [];
    const evidence: IncidentEvidence[] = [];
    for (const [index, scenario] of options.scenarios.entries()) {
      for (const seed of seeds) {
        const namespace = `${label === 'chaos' ? 'chaos' : 'calm'}-${options.runId}-${seed}-${index}`;
        let found: IncidentEvidence | undefined;
        const run = await runFault({
          scenario,
          seed,
          memoryNamespace: namespace,
          dynamoEndpoint: options.dynamoEndpoint,
          tables: options.tables,
          // The fault-free arm goes through the same proxy at share 0: the same path, no faults.
          // Faults drawn per incident (seed and fault name), so incidents sharing a seed do not share a fault pattern.
          chaos: { share, seed: Math.floor(draw(seed, scenario.name) * 2 ** 31), kinds },
          inspect: async (stack, results) => {
            // The system's work is done; the evidence is read without faults.
            stack.chaos?.dynamoOff();
            if (label === 'chaos') await options.tamper?.(stack, namespace);
            found = await gatherEvidence(stack, results, { fault: scenario.name, seed, namespace, doc });
          },
        });
        if (!found) throw new Error(`chaos bench: no evidence gathered for ${scenario.name} seed ${seed}`);
        runs.push(run);
        evidence.push(found);
        options.onRun?.(label, run, found);
      }
    }
    return { runs, evidence };
  };
  const [chaos, calm] = await Promise.all([runArm('chaos', options.share), runArm('fault-free', 0)]);
  const pick = (r: IncidentRun) => ({
    ...(r.outcome ? { outcome: r.outcome } : {}),
    oracleFixed: r.oracleFixed,
    trials: r.trials,
    ...(r.timeToRecoverSeconds !== undefined ? { timeToRecoverSeconds: r.timeToRecoverSeconds } : {}),
  });
  return {
    share: options.share,
    kinds,
    faults: options.scenarios.map((s) => s.name),
    seeds,
    chaos: arm(options.share, chaos.runs, chaos.evidence),
    faultFree: arm(0, calm.runs, calm.evidence),
    incidents: {
      chaos: chaos.evidence.map((e, i) => ({ ...e, run: pick(chaos.runs[i]!) })),
      faultFree: calm.evidence.map((e, i) => ({ ...e, run: pick(calm.runs[i]!) })),
    },
  };
}

/** The bench.md section. */
export function chaosMarkdown(r: ChaosResult): string {
  const row = (name: string, f: (a: ChaosArm) => string) => `| ${name} | ${f(r.faultFree)} | ${f(r.chaos)} |`;
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const ttr = (s: Spread) => (s.n ? `${s.mean.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)}), n=${s.n}` : '—');
  const faults = (a: ChaosArm) => Object.entries(a.kubeFaults).map(([k, v]) => `${k}: ${v}`).join(', ');
  return [
    `Faults on ${pct(r.share)} of the system's Kubernetes requests (${r.kinds.join(', ')}) and DynamoDB requests (throttling); ${r.faults.length} faults × ${r.seeds.length} seed(s).`,
    '',
    '| | fault-free (proxy at share 0) | chaos |',
    '|---|---|---|',
    row('incidents run', (a) => String(a.incidents)),
    row('episodes lost', (a) => String(a.episodesLost)),
    row('actions applied twice', (a) => String(a.actionsAppliedTwice)),
    row('locks left held', (a) => String(a.locksLeftHeld)),
    row('executions failed', (a) => String(a.executionsFailed)),
    row('audit Events missing', (a) => String(a.auditEventsMissing)),
    row('writes naming no action', (a) => String(a.unattributedWrites)),
    row('actions applied (cluster-side)', (a) => String(a.actionsApplied)),
    row('success rate (oracle)', (a) => pct(a.successRate)),
    row('time to recover, s (mean, range)', (a) => ttr(a.timeToRecoverSeconds)),
    row('Kubernetes requests / faults', (a) => `${a.kubeRequests} / ${faults(a)}`),
    row('DynamoDB attempts / throttled', (a) => `${a.dynamoAttempts} / ${a.dynamoThrottled}`),
    '',
  ].join('\n');
}
