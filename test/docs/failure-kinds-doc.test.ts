import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DETECTORS } from '../../functions/domain/detectors/index';
import { FactSchema } from '../../functions/domain/facts';
import { FAILURE_KINDS } from '../../functions/domain/incident';
import { PLAYBOOKS } from '../../functions/domain/playbooks/index';

/**
 * docs/failure-kinds.md against the code: every file it names exists, and
 * what it promises holds — a detector, a fact schema and a playbook for
 * every kind — so the page cannot drift from the layout it describes.
 */
const DOC = readFileSync(join(process.cwd(), 'docs/failure-kinds.md'), 'utf8');
const PATHS = [...DOC.matchAll(/`((?:functions|test|scenarios|docs)\/[^`<>*]+?)`/g)].map((m) => m[1]!);

describe('docs/failure-kinds.md', () => {
  it('names only files and folders that exist', () => {
    // Why: comments and docs that cite missing files were a finding of #11.
    expect(PATHS.length).toBeGreaterThan(10);
    expect(PATHS.filter((p) => !existsSync(join(process.cwd(), p)))).toEqual([]);
  });

  it.each(FAILURE_KINDS)('%s has a registered detector and playbook', (kind) => {
    expect(DETECTORS.some((d) => d.kind === kind)).toBe(true);
    expect(PLAYBOOKS[kind].kind).toBe(kind);
  });

  it('every fact kind the union admits is a distinct literal (one schema per fact)', () => {
    const kinds = FactSchema.options.map((o) => o.shape.kind.value);
    expect(new Set(kinds).size).toBe(kinds.length);
  });
});
