import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { FaultScenario } from '../faults/kit';
import { compileScenario } from './compile';
import { ExpressionError, FUNCTION_NAMES, identifiersOf, parseExpression, templatesIn } from './expr';
import { BUILT_INS, CAUSE } from './params';
import { ScenarioFileSchema, type Parameter, type ScenarioFile, type Step } from './schema';

/**
 * Reads scenario files (YAML or JSON, anywhere on disk), validates them
 * completely — syntax, the schema, every template and oracle expression and
 * the names they use, then one trial instantiation — and compiles them into
 * the fault catalogue's FaultScenario. A malformed file is refused with its
 * path, the place in it (field path and line) and the problem, before
 * anything starts.
 */

export interface ScenarioProblem {
  /** Field path in the file, e.g. `timeline.steps[0].setContainer.container`; '' for the whole file. */
  path: string;
  line?: number;
  message: string;
}

export class ScenarioFileError extends Error {
  override readonly name = 'ScenarioFileError' as const;
  constructor(
    readonly file: string,
    readonly problems: ScenarioProblem[],
  ) {
    super(problems.map((p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'));
  }
}

/** Several files at once (a directory): every malformed file's problems, together. */
export class ScenarioSetError extends Error {
  override readonly name = 'ScenarioSetError' as const;
  constructor(readonly errors: ScenarioFileError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

export const SCENARIO_EXTENSIONS = ['.yaml', '.yml', '.json'];

const pathText = (path: readonly PropertyKey[]) =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '');

function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
    if (n === 0 && doc.contents && (isMap(doc.contents) || isSeq(doc.contents)) && doc.contents.range) return lines.linePos(doc.contents.range[0]).line;
  }
  return undefined;
}

type Issue = z.core.$ZodIssue;

/** zod issues as problems; a failed union reports the alternative the author evidently meant. */
function flatten(issues: readonly Issue[], base: PropertyKey[] = []): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  for (const issue of issues) {
    const at = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branches = issue.errors;
      const unknownKeys = branches.map((b) => b.find((i) => i.code === 'unrecognized_keys' && i.path.length === 0) as { keys?: string[] } | undefined);
      if (unknownKeys.every((u) => u?.keys?.length)) {
        const shared = unknownKeys[0]!.keys!.filter((k) => unknownKeys.every((u) => u!.keys!.includes(k)));
        if (shared.length > 0) {
          const expected = branches.flatMap((b) => b.filter((i) => i.code === 'invalid_type' && i.path.length === 1).map((i) => String(i.path[0])));
          out.push({ path: at, message: `unknown field '${shared[0]}'${expected.length ? `; expected one of: ${[...new Set(expected)].join(', ')}` : ''}` });
          continue;
        }
      }
      const score = (b: readonly Issue[]) => b.length * 100 - Math.max(0, ...b.map((i) => i.path.length));
      const best = [...branches].sort((a, b) => score(a) - score(b))[0]!;
      out.push(...flatten(best, at));
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...at, key], message: 'unknown field' });
      continue;
    }
    out.push({ path: at, message: issue.message });
  }
  return out;
}

const ORACLE_VARS = ['deployment', 'container', 'containers', 'pods', 'podNames', 'hpa'];

/** What a file must hold beside the schema: ground truth and oracle (the file's or every cause's), unique cause names. */
function checkStructure(file: ScenarioFile): { path: PropertyKey[]; message: string }[] {
  const problems: { path: PropertyKey[]; message: string }[] = [];
  if (!file.causes) {
    if (!file.groundTruth) problems.push({ path: ['groundTruth'], message: 'required (or give causes, each with its own groundTruth)' });
    if (!file.oracle) problems.push({ path: ['oracle'], message: 'required (or give causes, each with its own oracle)' });
    if (file.shift) problems.push({ path: ['shift'], message: 'a shift of the cause mix needs causes' });
    return problems;
  }
  if (file.groundTruth) problems.push({ path: ['groundTruth'], message: 'with causes, each cause has its own groundTruth; remove this one' });
  const names = new Set<string>();
  file.causes.forEach((c, i) => {
    if (names.has(c.name)) problems.push({ path: ['causes', i, 'name'], message: `cause '${c.name}' is declared twice` });
    names.add(c.name);
    if (!file.oracle && !c.oracle) problems.push({ path: ['causes', i, 'oracle'], message: 'required: the file has no oracle of its own' });
  });
  if (file.causes.every((c) => c.weight === 0 && c.priors.every((p) => p.weight === 0))) problems.push({ path: ['causes'], message: 'every cause has weight 0' });
  for (const name of Object.keys(file.shift?.causeWeights ?? {})) {
    if (!names.has(name)) problems.push({ path: ['shift', 'causeWeights', name], message: `not a cause (causes: ${[...names].join(', ')})` });
  }
  return problems;
}

/** Every template and oracle expression parses and uses only names it can see. */
function checkExpressions(file: ScenarioFile): { path: PropertyKey[]; message: string }[] {
  const problems: { path: PropertyKey[]; message: string }[] = [];
  const known = new Set<string>(BUILT_INS);
  const check = (expr: string, path: PropertyKey[], names: ReadonlySet<string>) => {
    try {
      const unknown = identifiersOf(parseExpression(expr)).filter((id) => !names.has(id));
      if (unknown.length) problems.push({ path, message: `{{ ${expr} }} uses '${unknown[0]}', which is not a parameter here (known: ${[...names].join(', ')}; functions: ${FUNCTION_NAMES.join(', ')})` });
    } catch (e) {
      problems.push({ path, message: e instanceof ExpressionError ? e.message : String(e) });
    }
  };
  const seen = new Set<string>();
  const declare = (p: Parameter, at: PropertyKey[]) => {
    for (const t of templatesIn(p, [])) check(t.expr, [...at, ...t.path], known);
    if (seen.has(p.name)) problems.push({ path: [...at, 'name'], message: `parameter '${p.name}' is declared twice` });
    if ((BUILT_INS as readonly string[]).includes(p.name) && !('value' in p)) problems.push({ path: [...at, 'name'], message: `'${p.name}' is a built-in; only a value parameter may override it (a drawn one would shift every later draw)` });
    if (file.causes && p.name === CAUSE) problems.push({ path: [...at, 'name'], message: `'${CAUSE}' names the drawn cause in a file with causes; choose another name` });
    seen.add(p.name);
    known.add(p.name);
  };
  file.parameters.forEach((p, i) => declare(p, ['parameters', i]));
  const causes = file.causes ?? [];
  // Priors see what was drawn before the cause: the built-ins and the file's parameters.
  causes.forEach((c, i) => c.priors.forEach((p, j) => check(p.when, ['causes', i, 'priors', j, 'when'], known)));
  if (file.causes) known.add(CAUSE);
  // A cause's parameters follow the draw; each cause may use its own (another cause's are null at run time).
  // Two causes may each declare a parameter of the same name (only one is drawn).
  const fileParams = [...seen];
  causes.forEach((c, i) => {
    seen.clear();
    for (const name of fileParams) seen.add(name);
    c.parameters.forEach((p, j) => declare(p, ['causes', i, 'parameters', j]));
  });
  const stepNames = new Set(known);
  const gts = file.causes ? causes.map((c) => c.groundTruth) : file.groundTruth ? [file.groundTruth] : [];
  const allSteps = [...file.timeline.steps, ...file.timeline.noise, ...gts.flatMap((g) => g.manualFix), ...causes.flatMap((c) => [...c.steps, ...c.noise])];
  for (const s of allSteps) if ('corruptPodState' in s && s.corruptPodState.as) stepNames.add(s.corruptPodState.as);
  for (const s of allSteps) if ('deletePod' in s && s.deletePod.as) stepNames.add(s.deletePod.as);
  const scan = (value: unknown, path: PropertyKey[], names: ReadonlySet<string>) => {
    for (const t of templatesIn(value, [])) check(t.expr, [...path, ...t.path], names);
  };
  scan(file.target, ['target'], known);
  const imageNames = new Set([...known, 'image']);
  file.images.forEach((im, i) => scan(im, ['images', i], imageNames));
  causes.forEach((c, i) => c.images.forEach((im, j) => scan(im, ['causes', i, 'images', j], imageNames)));
  scan(file.workloads, ['workloads'], known);
  const lists: [Step[], PropertyKey[]][] = [
    [file.timeline.steps, ['timeline', 'steps']],
    [file.timeline.noise, ['timeline', 'noise']],
    ...(file.groundTruth ? [[file.groundTruth.manualFix, ['groundTruth', 'manualFix']] as [Step[], PropertyKey[]]] : []),
    ...causes.flatMap((c, i): [Step[], PropertyKey[]][] => [
      [c.steps, ['causes', i, 'steps']],
      [c.noise, ['causes', i, 'noise']],
      [c.groundTruth.manualFix, ['causes', i, 'groundTruth', 'manualFix']],
    ]),
  ];
  for (const [list, at] of lists) {
    scan(list, at, stepNames);
    list.forEach((st, i) => st.when !== undefined && check(st.when, [...at, i, 'when'], stepNames));
  }
  const oracleNames = new Set([...stepNames, ...ORACLE_VARS]);
  const oracles: [NonNullable<ScenarioFile['oracle']>, PropertyKey[]][] = [
    ...(file.oracle ? [[file.oracle, ['oracle']] as [NonNullable<ScenarioFile['oracle']>, PropertyKey[]]] : []),
    ...causes.flatMap((c, i) => (c.oracle ? [[c.oracle, ['causes', i, 'oracle']] as [NonNullable<ScenarioFile['oracle']>, PropertyKey[]]] : [])),
  ];
  for (const [oracle, at] of oracles) {
    oracle.healthy.forEach((h, i) => {
      const { where, ...rest } = h;
      scan(rest, [...at, 'healthy', i], known);
      where.forEach((w, j) => check(w, [...at, 'healthy', i, 'where', j], oracleNames));
    });
  }
  return problems;
}

/** Parses and validates one file's text; throws ScenarioFileError. */
export function parseScenarioText(text: string, file: string): FaultScenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    throw new ScenarioFileError(
      file,
      doc.errors.map((e) => ({ path: '', line: lines.linePos(e.pos[0]).line, message: `not valid ${extname(file) === '.json' ? 'JSON/YAML' : 'YAML'}: ${e.message.split('\n')[0]}` })),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new ScenarioFileError(file, [{ path: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  if (raw === null || raw === undefined) throw new ScenarioFileError(file, [{ path: '', message: 'the file is empty' }]);
  const parsed = ScenarioFileSchema.safeParse(raw);
  const problems = (list: { path: PropertyKey[]; message: string }[]) =>
    list.map((p) => {
      const line = lineOf(doc, lines, p.path);
      return { path: pathText(p.path), ...(line ? { line } : {}), message: p.message };
    });
  if (!parsed.success) throw new ScenarioFileError(file, problems(flatten(parsed.error.issues)));
  const expressionProblems = [...checkStructure(parsed.data), ...checkExpressions(parsed.data)];
  if (expressionProblems.length > 0) throw new ScenarioFileError(file, problems(expressionProblems));
  const scenario = compileScenario(parsed.data, file);
  // One trial instance (per cause, for a family): a template that evaluates to the wrong type fails here, not mid-benchmark.
  const trials: { what: string; cause?: string }[] = parsed.data.causes ? parsed.data.causes.map((c) => ({ what: `seed 1 with cause ${c.name}`, cause: c.name })) : [{ what: 'seed 1' }];
  for (const t of trials) {
    try {
      scenario.instantiate(1, t.cause ? { cause: t.cause } : {});
    } catch (e) {
      throw new ScenarioFileError(file, [{ path: '', message: `instantiating ${t.what}: ${(e as Error).message}` }]);
    }
  }
  return scenario;
}

export function loadScenarioFile(path: string): FaultScenario {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioFileError(file, [{ path: '', message: `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  return parseScenarioText(text, file);
}

/** Every scenario file directly in `dir` (sorted by file name); all problems of all files, or none loaded. */
export function loadScenarioDir(dir: string): FaultScenario[] {
  const root = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new ScenarioSetError([new ScenarioFileError(root, [{ path: '', message: 'not a directory' }])]);
  const names = readdirSync(root).filter((n) => SCENARIO_EXTENSIONS.includes(extname(n))).sort();
  if (names.length === 0) throw new ScenarioSetError([new ScenarioFileError(root, [{ path: '', message: `no scenario files (${SCENARIO_EXTENSIONS.join(', ')}) in this directory` }])]);
  return loadScenarioFiles(names.map((n) => join(root, n)));
}

/** Loads every file; throws one ScenarioSetError with every malformed file's problems (and duplicate names). */
export function loadScenarioFiles(files: string[]): FaultScenario[] {
  const errors: ScenarioFileError[] = [];
  const out: FaultScenario[] = [];
  const byName = new Map<string, string>();
  for (const f of files) {
    try {
      const s = loadScenarioFile(f);
      const other = byName.get(s.name);
      if (other) errors.push(new ScenarioFileError(s.source!, [{ path: 'name', message: `scenario '${s.name}' is also defined in ${other}` }]));
      byName.set(s.name, s.source!);
      out.push(s);
    } catch (e) {
      if (e instanceof ScenarioFileError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length > 0) throw new ScenarioSetError(errors);
  return out;
}
