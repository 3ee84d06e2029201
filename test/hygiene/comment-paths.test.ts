import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSources } from './module-graph';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Comments in functions/, lib/ and bin/ that name a file of this repository
 * name one that exists. A path counts when it starts at a top-level folder
 * (`functions/app/undo.ts`, `docs/events.md`) or is relative (`./keys.ts`);
 * upper-case placeholders (`bin/commands/NAME.ts`) are examples, not citations.
 * A design document that lives outside the repository is not cited at all.
 */
const TOP = ['functions', 'lib', 'bin', 'test', 'docs', 'schemas', 'scenarios'];
const PATH = new RegExp(`(?<![\\w/.@-])((?:\\.{1,2}/)+[\\w./-]+|(?:${TOP.join('|')})/[\\w./-]+)\\.(ts|mjs|js|json|md|ya?ml)\\b`, 'g');
const OUTSIDE = /\bDESIGN(?:\.md| §)/;

/** The comment text of a source: `//` lines and block comments (strings are not comments). */
function commentLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let inBlock = false;
  text.split('\n').forEach((raw, i) => {
    if (inBlock) {
      out.push({ line: i + 1, text: raw });
      if (raw.includes('*/')) inBlock = false;
      return;
    }
    const line = raw.trim();
    if (line.startsWith('//')) out.push({ line: i + 1, text: line });
    else if (line.startsWith('/*')) {
      out.push({ line: i + 1, text: line });
      if (!line.includes('*/')) inBlock = true;
    } else {
      const trailing = raw.indexOf(' // ');
      if (trailing >= 0) out.push({ line: i + 1, text: raw.slice(trailing) });
    }
  });
  return out;
}

function badCitations(root: string, file: string, text: string): string[] {
  const bad: string[] = [];
  for (const { line, text: comment } of commentLines(text)) {
    if (OUTSIDE.test(comment)) bad.push(`${file}:${line}: cites a design document outside the repository`);
    for (const m of comment.matchAll(PATH)) {
      const cited = `${m[1]}.${m[2]}`;
      if (/[A-Z]{3,}/.test(cited.split('/').pop() ?? '')) continue;
      const base = cited.startsWith('.') ? join(root, dirname(file), cited) : join(root, cited);
      if (!existsSync(base)) bad.push(`${file}:${line}: ${cited} does not exist`);
    }
  }
  return bad;
}

describe('comments cite files that exist', () => {
  it('finds a missing file, a missing relative file and an outside design document (synthetic)', () => {
    const text = [
      '/** See functions/app/undo.ts and docs/events.md. */',
      '// The old home was functions/app/nowhere.ts.',
      '/*',
      ' * Relative: ./module-graph.ts exists, ./gone.ts does not (DESIGN §4).',
      ' */',
      "const s = 'functions/not-a-comment.ts';",
      'f(); // trailing: lib/missing.ts',
      '// A placeholder: bin/commands/NAME.ts',
    ].join('\n');
    expect(badCitations(ROOT, 'test/hygiene/example.ts', text)).toEqual([
      'test/hygiene/example.ts:2: functions/app/nowhere.ts does not exist',
      'test/hygiene/example.ts:4: cites a design document outside the repository',
      'test/hygiene/example.ts:4: ./gone.ts does not exist',
      'test/hygiene/example.ts:7: lib/missing.ts does not exist',
    ]);
  });

  it('in functions/, lib/ and bin/', () => {
    const files = listSources(ROOT, ['functions', 'lib', 'bin']);
    const bad = files.flatMap((f) => badCitations(ROOT, f, readFileSync(join(ROOT, f), 'utf8')));
    expect(bad).toEqual([]);
  });
});
