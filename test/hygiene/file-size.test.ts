import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listSources } from './module-graph';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Files in functions/ and lib/ stay at most MAX_LINES lines, unless their header
 * says why not: a `// size: <reason>` line (or ` * size: <reason>` inside the
 * header's doc comment) among the first HEADER_LINES lines, the reason at
 * least a few words long.
 */
const MAX_LINES = 400;
const HEADER_LINES = 30;
const SIZE_MARKER = /^[ \t]*(?:\/\/|\*)[ \t]*size:[ \t]*(\S.{15,})$/m;

/**
 * Oversized files another change is splitting; each names its issue and owner.
 * Delete the entry when the file is split (the test fails on a stale one).
 */
const BEING_SPLIT: Record<string, string> = {};

const lineCount = (text: string): number => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

/** Why a file of this text may exceed the limit, or undefined. */
function sizeReason(text: string): string | undefined {
  const header = text.split('\n').slice(0, HEADER_LINES).join('\n');
  return SIZE_MARKER.exec(header)?.[1]?.trim();
}

/** The files over the limit without a reason in their header. */
function oversized(root: string, dirs: readonly string[]): { file: string; lines: number }[] {
  return listSources(root, dirs)
    .map((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      return { file, lines: lineCount(text), reason: sizeReason(text) };
    })
    .filter((f) => f.lines > MAX_LINES && f.reason === undefined)
    .map(({ file, lines }) => ({ file, lines }));
}

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe('file size', () => {
  const lines = (n: number): string => Array.from({ length: n }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n';

  it('the check fails on a synthetic oversized file and passes at the limit or with a reason', () => {
    const root = mkdtempSync(join(tmpdir(), 'hygiene-size-'));
    scratch.push(root);
    const files: Record<string, string> = {
      'functions/big.ts': lines(MAX_LINES + 1),
      'functions/at-limit.ts': lines(MAX_LINES),
      'lib/explained.ts': `// size: one table of every event kind; splitting it would scatter the table\n${lines(MAX_LINES + 50)}`,
      'lib/explained-in-doc.ts': `/**\n * The catalogue.\n * size: the catalogue is one list a reader scans top to bottom\n */\n${lines(MAX_LINES + 50)}`,
      // A marker without a reason does not count.
      'lib/bare-marker.ts': `// size:\n${lines(MAX_LINES + 1)}`,
      // A marker far below the header does not count.
      'lib/late-marker.ts': `${lines(MAX_LINES)}// size: the reason comes too late to be a header\n`,
    };
    for (const [p, t] of Object.entries(files)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), t);
    }
    expect(oversized(root, ['functions', 'lib']).map((f) => f.file)).toEqual(['functions/big.ts', 'lib/bare-marker.ts', 'lib/late-marker.ts']);
  });

  it(`no file in functions/ or lib/ is over ${MAX_LINES} lines without a reason in its header`, () => {
    const found = oversized(ROOT, ['functions', 'lib']).filter((f) => !(f.file in BEING_SPLIT));
    expect(found, `add a '// size: <why>' line to the header, or split the file`).toEqual([]);
  });

  it('lists no file as being split that is already small or explained (delete its entry in BEING_SPLIT)', () => {
    const still = new Set(oversized(ROOT, ['functions', 'lib']).map((f) => f.file));
    expect(Object.keys(BEING_SPLIT).filter((f) => !still.has(f))).toEqual([]);
  });
});
