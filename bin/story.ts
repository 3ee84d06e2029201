import type { WorkflowState } from '../functions/domain/workflow-state';
import type { StateVisit } from '../functions/local/runner';

/**
 * An incident's story, one state at a time, for people: what was analysed,
 * what was decided and why, the exact change (each field before → after),
 * what verification saw, what was learned. Shared by `run` and `demo`.
 * Long text is wrapped at the terminal's width, never cut.
 */

/** Wraps `text` to `width` columns: the first line after `label`, the rest indented under it. */
export function wrap(label: string, text: string, width: number): string[] {
  const indent = ' '.repeat(label.length);
  const room = Math.max(20, width - label.length);
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      // A word longer than a line (a URL, an image reference) is split rather than overflowing.
      for (let w = word; w.length > 0; ) {
        const piece = w.length > room ? w.slice(0, room) : w;
        w = w.slice(piece.length);
        if (line.length === 0) line = piece;
        else if (line.length + 1 + piece.length <= room) line += ` ${piece}`;
        else {
          lines.push(line);
          line = piece;
        }
      }
    }
    lines.push(line);
  }
  return lines.map((l, i) => `${i === 0 ? label : indent}${l}`.trimEnd());
}

const show = (v: unknown): string => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));

/** Flattens `{a: {b: 1}}` to `[['a.b', 1]]`. */
function leaves(value: unknown, prefix = ''): [string, unknown][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [[prefix, value]];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [[prefix, value]];
  return entries.flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

/**
 * Each field an action changes (or would change), before → after, from the
 * `fromX`/`toX` pairs of the action's details (functions/app/actions/*):
 * `fromResources.limits.memory: 64Mi` and `toResources...: 128Mi` give
 * `resources.limits.memory: 64Mi → 128Mi`.
 */
export function fieldChanges(details: Record<string, unknown> | undefined): string[] {
  if (!details) return [];
  const out: string[] = [];
  const container = typeof details['container'] === 'string' ? `container ${details['container']}: ` : '';
  for (const [key, from] of Object.entries(details)) {
    const m = /^from([A-Z]\w*)$/.exec(key);
    if (!m) continue;
    const field = m[1]!.charAt(0).toLowerCase() + m[1]!.slice(1);
    const to = details[`to${m[1]}`];
    const before = new Map(leaves(from, field));
    const after = new Map(leaves(to, field));
    for (const path of new Set([...before.keys(), ...after.keys()])) {
      const b = before.get(path);
      const a = after.get(path);
      if (JSON.stringify(b) !== JSON.stringify(a)) out.push(`${container}${path}: ${show(b)} → ${show(a)}`);
    }
  }
  return out;
}

export interface StoryOptions {
  width: number;
  /** Print each 'still converging' check (run: yes, as progress; demo: no, the result says it). */
  converging?: boolean;
}

/** The lines one state visit adds to the story (none for states with nothing to say). */
export function storyLines(visit: StateVisit, options: StoryOptions): string[] {
  if (!visit.type.endsWith(':exit')) return [];
  const s = visit.output as Partial<WorkflowState> | undefined;
  if (!s || typeof s !== 'object') return [];
  const w = options.width;
  switch (visit.state) {
    case 'Analyse':
      return wrap('  analyse   ', `${s.incident?.signature} on ${s.incident?.namespace}/${s.incident?.target.kind}/${s.incident?.target.name}: ${s.analysis?.summary ?? ''}`, w);
    case 'SelectStrategy':
      return wrap('  decide    ', `trial ${s.trial}: ${s.decision?.action.action} (${s.decision?.mode}) because ${s.decision?.why ?? ''}`, w);
    case 'Restart':
    case 'Rollback':
    case 'Scale':
    case 'Patch': {
      const r = s.remediation;
      if (!r) return [];
      const verb = r.applied ? 'changed' : r.noop ? 'already so' : r.dryRun ? 'would change' : 'not changed';
      const changes = fieldChanges(r.details);
      return [
        ...wrap('  act       ', r.message, w),
        ...changes.flatMap((c) => wrap(`            ${verb}: `, c, w)),
      ];
    }
    case 'Verify': {
      const v = s.verification;
      if (!v) return [];
      if (v.status === 'converging') return options.converging === false ? [] : wrap('  verify    ', `still converging (check ${v.checks}): ${(v.evidence ?? []).slice(0, 1).join('')}`, w);
      return wrap('  verify    ', `${v.status}: ${(v.evidence ?? []).join('; ')}`, w);
    }
    case 'Reflect':
      return wrap('  reflect   ', `${s.reflections?.at(-1)?.text ?? ''} → ${s.next}`, w);
    default:
      return [];
  }
}

/** Terminal width for wrapping (100 when not a terminal). */
export const outputWidth = (): number => Math.min(Math.max(process.stdout.columns ?? 100, 60), 160);
