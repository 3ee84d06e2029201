import type { Episode, Lesson, Strategy } from '../../functions/domain/model';
import { defineCommand, type CommandIo } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { DEFAULT_DATA_DIR, memoryOptions, openMemory, type MemoryFlags } from '../framework/memory-source';
import { outputWidth } from '../story';

interface Options extends MemoryFlags {
  signature?: string;
  limit: string;
  json?: boolean;
}


/** A plain text table; the last column takes what is left of the width and is cut with '…'. */
function table(header: string[], rows: string[][], width: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fixed = widths.slice(0, -1).reduce((a, b) => a + b + 2, 0);
  const lastRoom = Math.max(20, width - fixed);
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? (c.length > lastRoom ? `${c.slice(0, lastRoom - 1)}…` : c) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const episodeRow = (e: Episode): string[] => [
  e.endedAt.replace(/\.\d+Z$/, 'Z'),
  `${e.incident.namespace}/${e.incident.target.name}`,
  e.signature,
  String(e.trial),
  e.decision?.action.action ?? '-',
  e.outcome,
  e.reflection?.text ?? e.error?.message ?? '',
];

const strategyRow = (s: Strategy): string[] => [
  s.signature,
  s.action,
  `${s.successes}/${s.successes + s.failures}`,
  s.meanTimeToRecoverSeconds !== undefined ? `${s.meanTimeToRecoverSeconds.toFixed(0)} s` : '-',
  s.source,
  s.retired ? 'retired' : '',
  s.description,
];

const lessonRow = (l: Lesson): string[] => [l.signature, l.outcome ?? '-', l.action ?? '-', l.text];

function lessonsOf(episodes: Episode[]): Lesson[] {
  return episodes.flatMap((e) => e.reflection?.lessons ?? []);
}

const kinds = {
  episodes: 'each trial: when, which workload, what was tried, how it ended, what was reflected',
  strategies: 'what the bandit knows: per signature and action, successes/trials and time to recover',
  lessons: 'the lessons reflections wrote, which later analyses read',
} as const;
type Kind = keyof typeof kinds;

async function show(kind: Kind, { opts, io }: { opts: Options; io: CommandIo }): Promise<number> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError(`--limit must be an integer from 1 to 10000, got '${opts.limit}'`);
  const source = await openMemory(opts, { dataDir: DEFAULT_DATA_DIR });
  if (!source) throw new UsageError('give --data-dir or --dynamodb-endpoint');
  try {
    const width = outputWidth();
    const filter = { ...(opts.signature ? { signature: opts.signature } : {}), limit };
    if (kind === 'strategies') {
      const all = opts.signature ? await source.memory.strategies.listForSignature(opts.signature) : await source.memory.strategies.listAll();
      const rows = all.slice(0, limit);
      if (opts.json) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else io.stdout(`${table(['SIGNATURE', 'ACTION', 'SUCCESS', 'MTTR', 'SOURCE', '', 'DESCRIPTION'], rows.map(strategyRow), width)}\n\n${rows.length} strateg${rows.length === 1 ? 'y' : 'ies'} in ${source.where}\n`);
      return EXIT.ok;
    }
    const episodes = await source.memory.episodes.list(filter);
    episodes.sort((a, b) => b.endedAt.localeCompare(a.endedAt));
    if (kind === 'episodes') {
      if (opts.json) io.stdout(`${JSON.stringify(episodes, null, 2)}\n`);
      else io.stdout(`${table(['ENDED', 'WORKLOAD', 'SIGNATURE', 'TRIAL', 'ACTION', 'OUTCOME', 'REFLECTION'], episodes.map(episodeRow), width)}\n\n${episodes.length} episode(s) in ${source.where}\n`);
      return EXIT.ok;
    }
    const lessons = lessonsOf(episodes);
    if (opts.json) io.stdout(`${JSON.stringify(lessons, null, 2)}\n`);
    else io.stdout(`${table(['SIGNATURE', 'FROM', 'ACTION', 'LESSON'], lessons.map(lessonRow), width)}\n\n${lessons.length} lesson(s) from ${episodes.length} episode(s) in ${source.where}\n`);
    return EXIT.ok;
  } finally {
    await source.close();
  }
}

const sub = (kind: Kind) => ({
  summary: kinds[kind],
  spec: defineCommand<Options>({
    configure: (cmd) =>
      memoryOptions(cmd, { dataDir: DEFAULT_DATA_DIR })
        .option('--signature <s>', 'only this failure signature (e.g. ImagePullBackOff:tag-not-found)')
        .option('--limit <n>', 'at most this many rows', '200')
        .option('--json', 'JSON instead of a table'),
    run: (ctx) => show(kind, ctx),
  }),
});

export const command = defineCommand({
  description: `What the system learned, read from the memory 'run' (or 'invoke') used:
episodes, strategies and lessons. Reads only; DynamoDB Local is started on the
data directory for the read, so not while a 'run' holds it (use
--dynamodb-endpoint to read a running one's memory).`,
  subcommands: { episodes: sub('episodes'), strategies: sub('strategies'), lessons: sub('lessons') },
});
