import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StateVisit } from '../../functions/local/runner';
import type { Logger } from '../../functions/ports/logger';
import type { IncidentRun } from '../harness/fault-driver';
import { renderStreamReport } from '../harness/stream-report';
import { familiesByAuthor, loadStreamFamilies } from './stream-families';
import { streamMarkdown } from './stream-markdown';
import { RUN_ARMS, summarise, type FamilyInfo, type RunArm, type StreamIncident, type StreamSummary } from './stream-metrics';
import { defaultShiftAt, lateStart, planStreams, type PlannedIncident } from './stream-plan';
import { reasonerOnlyAvailable, runUnit, type StreamUnit, type UnitContext } from './stream-unit';
import type { FromWorker, ToWorker } from './stream-worker';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');

export interface StreamBenchOptions {
  familiesDir?: string;
  /** A subset of the directory's families (default: all). */
  families?: string[];
  streams: number;
  length: number;
  seed: number;
  shiftAt?: number;
  arms?: RunArm[];
  dynamoEndpoint: string;
  tables: UnitContext['tables'];
  /** Prefix of every memory namespace the bench writes (the bench's own, never a deployment's). */
  namespacePrefix: string;
  /** Where incidents.jsonl, bench.json, bench.md and report.html go (written as results accumulate). */
  out?: string;
  /** Worker processes (0: run in this process, one unit after another). */
  workers?: number;
  /** bench.json is rewritten at most this often while running (default 30 s). */
  checkpointSeconds?: number;
  resamples?: number;
  command: string;
  onRecord?: (record: StreamIncident) => void;
  /** In-process runs only: what the system logs and every state it visits (the hygiene test reads them). */
  logger?: Logger;
  onVisit?: (visit: StateVisit) => void;
  onRun?: (run: IncidentRun, incident: PlannedIncident, arm: RunArm) => void;
}

export interface StreamBenchReport extends StreamSummary {
  kind: 'stream-bench';
  command: string;
  startedAt: string;
  updatedAt: string;
  wallSeconds: number;
  /** False while running (and in a run that crashed): the figures cover the incidents measured so far. */
  complete: boolean;
  error?: string;
  machine: { node: string; cpus: number; platform: string };
  config: { familiesDir: string; streams: number; length: number; seed: number; shiftAt: number; lateFrom: number; arms: RunArm[]; workers: number; resamples: number; memoryNamespaces: string; tables: UnitContext['tables'] };
  skippedArms: { arm: RunArm; reason: string }[];
  families: FamilyInfo[];
  /** Who wrote which family. */
  authors: Record<string, string[]>;
  /** Incidents that could not be run (each recorded as an `error` of its arm; the run went on). The first 50 listed. */
  errors: { count: number; incidents: { stream: number; index: number; family: string; arm: string; error: string }[] };
  throughput: { incidentsRun: number; incidentsPlanned: number; wallSeconds: number; incidentsPerSecond: number; meanIncidentWallMs: number };
}

export async function runStreamBench(options: StreamBenchOptions): Promise<{ report: StreamBenchReport; records: StreamIncident[] }> {
  const loaded = loadStreamFamilies(options.familiesDir, options.families);
  const shiftAt = options.shiftAt ?? defaultShiftAt(options.length);
  const plan = planStreams({ families: loaded.families.map((f) => f.name), streams: options.streams, length: options.length, seed: options.seed, shiftAt });
  const skippedArms: StreamBenchReport['skippedArms'] = [];
  const arms = (options.arms ?? [...RUN_ARMS]).filter((arm) => {
    if (arm !== 'reasoner-only' || reasonerOnlyAvailable()) return true;
    skippedArms.push({ arm, reason: "this build's selection has no 'proposal-only' method yet" });
    return false;
  });
  // Stream by stream, every arm of a stream before the next: a partial run stays paired.
  const units: StreamUnit[] = plan.flatMap((incidents, stream) => arms.map((arm) => ({ stream, arm, incidents })));
  const workers = Math.min(options.workers ?? 0, units.length);
  const resamples = options.resamples ?? 10_000;
  const started = Date.now();
  const records: StreamIncident[] = [];

  const report = (complete: boolean, error?: string): StreamBenchReport => {
    const wallSeconds = (Date.now() - started) / 1000;
    const run = records.length;
    return {
      kind: 'stream-bench',
      command: options.command,
      startedAt: new Date(started).toISOString(),
      updatedAt: new Date().toISOString(),
      wallSeconds,
      complete,
      ...(error ? { error } : {}),
      machine: { node: process.version, cpus: cpus().length, platform: `${process.platform}/${process.arch}` },
      config: {
        familiesDir: loaded.dir,
        streams: options.streams,
        length: options.length,
        seed: options.seed,
        shiftAt,
        lateFrom: lateStart(options.length),
        arms,
        workers,
        resamples,
        memoryNamespaces: `${options.namespacePrefix}-*`,
        tables: options.tables,
      },
      skippedArms,
      families: loaded.families,
      authors: familiesByAuthor(loaded.families),
      errors: {
        count: records.filter((r) => r.error !== undefined).length,
        incidents: records
          .filter((r) => r.error !== undefined)
          .slice(0, 50)
          .map((r) => ({ stream: r.stream, index: r.index, family: r.family, arm: r.arm, error: r.error! })),
      },
      throughput: {
        incidentsRun: run,
        incidentsPlanned: units.length * options.length,
        wallSeconds,
        incidentsPerSecond: wallSeconds > 0 ? run / wallSeconds : 0,
        meanIncidentWallMs: run ? records.reduce((s, r) => s + r.wallMs, 0) / run : 0,
      },
      ...summarise(records, loaded.families, options.length, shiftAt, { resamples, seed: options.seed }),
    };
  };

  const out = options.out ? resolve(options.out) : undefined;
  const jsonl = out ? join(out, 'incidents.jsonl') : undefined;
  const write = async (r: StreamBenchReport) => {
    if (!out) return;
    // Written aside, then renamed: a reader (or a crash) never sees half a file.
    const files: [string, string][] = [
      ['bench.json', JSON.stringify(r, null, 2)],
      ['bench.md', streamMarkdown(r)],
      ['report.html', renderStreamReport(r, records)],
    ];
    for (const [name, text] of files) {
      await writeFile(join(out, `${name}.tmp`), text);
      await rename(join(out, `${name}.tmp`), join(out, name));
    }
  };
  if (out) {
    await mkdir(out, { recursive: true });
    writeFileSync(jsonl!, '');
    await write(report(false));
  }

  let lastCheckpoint = Date.now();
  let checkpointing: Promise<void> | undefined;
  const onRecord = (record: StreamIncident) => {
    records.push(record);
    // One line per incident, appended as soon as it is measured: a crash later loses nothing of it.
    if (jsonl) appendFileSync(jsonl, `${JSON.stringify(record)}\n`);
    options.onRecord?.(record);
    if (out && !checkpointing && Date.now() - lastCheckpoint > (options.checkpointSeconds ?? 30) * 1000) {
      lastCheckpoint = Date.now();
      checkpointing = write(report(false)).finally(() => (checkpointing = undefined));
    }
  };

  const context: Omit<UnitContext, 'scenarios' | 'logger' | 'onVisit' | 'onRun'> = {
    dynamoEndpoint: options.dynamoEndpoint,
    tables: options.tables,
    namespacePrefix: options.namespacePrefix,
    seed: options.seed,
  };
  try {
    if (workers <= 0) {
      const inProcess: UnitContext = {
        ...context,
        scenarios: loaded.scenarios,
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.onVisit ? { onVisit: options.onVisit } : {}),
        ...(options.onRun ? { onRun: options.onRun } : {}),
      };
      for (const unit of units) await runUnit(unit, inProcess, onRecord);
    } else {
      await runInWorkers(units, workers, { type: 'init', ...(options.familiesDir ? { familiesDir: loaded.dir } : {}), context }, onRecord);
    }
  } catch (error) {
    await checkpointing;
    const failed = report(false, error instanceof Error ? error.message : String(error));
    await write(failed);
    throw error;
  }
  await checkpointing;
  const final = report(true);
  await write(final);
  return { report: final, records };
}

/** Runs the units on `count` worker processes, each taking the next unit when it finishes one. */
async function runInWorkers(units: StreamUnit[], count: number, init: Extract<ToWorker, { type: 'init' }>, onRecord: (r: StreamIncident) => void): Promise<void> {
  const queue = [...units];
  const children: ChildProcess[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const child = fork(join(HERE, 'stream-worker.ts'), [], { cwd: REPO, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.push(child);
        await new Promise<void>((resolveAll, reject) => {
          const next = () => {
            const unit = queue.shift();
            if (unit) child.send({ type: 'unit', unit } satisfies ToWorker);
            else {
              child.send({ type: 'stop' } satisfies ToWorker);
              resolveAll();
            }
          };
          child.on('message', (m: FromWorker) => {
            if (m.type === 'ready' || m.type === 'done') next();
            else if (m.type === 'record') onRecord(m.record);
            else reject(new Error(`stream bench worker failed: ${m.message}`));
          });
          child.on('exit', (code) => {
            if (code !== 0) reject(new Error(`stream bench worker exited with code ${code}`));
          });
          child.on('error', reject);
          child.send(init);
        });
      }),
    );
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}
