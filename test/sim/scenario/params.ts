import { mulberry32 } from '../../../functions/domain/selection';
import { evalExpression, expandDeep, type Scope } from './expr';
import type { Cause, Parameter, ScenarioFile } from './schema';

/**
 * Parameters of one instance, drawn from the seed. The stream is mulberry32
 * seeded with `seed ^ hash(scenario name)`; the built-in identity (app, team,
 * namespace suffix, version, replicas) takes the first seven draws, then each
 * declared parameter takes one draw (or none, for `value`), in file order —
 * the same draws the TypeScript catalogue made, so a scenario rewritten as a
 * file names, sizes and breaks things exactly as before for the same seed.
 *
 * A family (a file with `causes`) then draws its hidden cause with one more
 * number from the same stream — weights from each cause's prior, conditioned
 * on what was drawn before it, times the caller's override — and then the
 * drawn cause's own parameters. The other causes' parameters are null.
 */

const APPS = ['checkout', 'cart', 'catalog', 'payments', 'search', 'profile', 'orders', 'inventory', 'billing', 'ledger', 'notify', 'gateway'];
const TEAMS = ['shop', 'core', 'growth', 'platform', 'data', 'edge'];

/** Names every scenario can use without declaring them. */
export const BUILT_INS = ['seed', 'app', 'team', 'suffix', 'namespace', 'repo', 'tag', 'nextTag', 'replicas', 'major', 'minor', 'patch'] as const;

/** The name a family's drawn cause has in templates, `when` and oracle expressions. */
export const CAUSE = 'cause';

export class CauseDrawError extends Error {
  override readonly name = 'CauseDrawError' as const;
}

/** Each cause's prior weight for this instance: the first conditional prior that holds, else its weight; times the override. */
export function causeWeights(causes: readonly Cause[], scope: Scope, override: Readonly<Record<string, number>> = {}): number[] {
  for (const name of Object.keys(override)) {
    if (!causes.some((c) => c.name === name)) throw new CauseDrawError(`causeWeights names '${name}', which is not a cause (causes: ${causes.map((c) => c.name).join(', ')})`);
    const f = override[name]!;
    if (!(Number.isFinite(f) && f >= 0)) throw new CauseDrawError(`causeWeights.${name} must be a finite number ≥ 0, got ${f}`);
  }
  return causes.map((c) => {
    const prior = c.priors.find((p) => Boolean(evalExpression(p.when, scope)));
    return (prior ? prior.weight : c.weight) * (override[c.name] ?? 1);
  });
}

export function saltOf(name: string): number {
  let salt = 0;
  for (const ch of name) salt = (Math.imul(salt, 31) + ch.charCodeAt(0)) >>> 0;
  return salt;
}

export function drawParameters(
  file: Pick<ScenarioFile, 'name' | 'identity' | 'parameters' | 'causes'>,
  seed: number,
  options: { causeWeights?: Readonly<Record<string, number>>; cause?: string } = {},
): Record<string, unknown> {
  const override = options.causeWeights;
  const r = mulberry32((seed ^ saltOf(file.name)) >>> 0);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const app = pick(file.identity?.apps ?? APPS);
  const team = pick(file.identity?.teams ?? TEAMS);
  const suffix = int(0, 0xfffff).toString(16).padStart(5, '0');
  const major = int(1, 4);
  const minor = int(0, 30);
  const patch = int(0, 9);
  const scope: Record<string, unknown> = {
    seed,
    app,
    team,
    suffix,
    namespace: `${team}-${suffix}`,
    repo: `registry.sim.local/${team}/${app}`,
    tag: `${major}.${minor}.${patch}`,
    nextTag: `${major}.${minor + 1}.0`,
    replicas: int(2, 3),
    major,
    minor,
    patch,
  };
  for (const p of file.parameters) scope[p.name] = draw(p, scope, r, int, pick);
  if (!file.causes) {
    // A file without causes has one, named like the file.
    const other = [...Object.keys(override ?? {}), ...(options.cause !== undefined ? [options.cause] : [])].find((n) => n !== file.name);
    if (other !== undefined) throw new CauseDrawError(`cause '${other}' is not one of ${file.name}'s (it has no causes section: its one cause is '${file.name}')`);
    return scope;
  }
  const forced = options.cause === undefined ? undefined : file.causes.findIndex((c) => c.name === options.cause);
  if (forced === -1) throw new CauseDrawError(`cause '${options.cause}' is not one of ${file.name}'s (${file.causes.map((c) => c.name).join(', ')})`);
  const weights = causeWeights(file.causes, scope, override);
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0) && forced === undefined) throw new CauseDrawError(`no cause of ${file.name} has a positive weight for seed ${seed} (team ${team})`);
  let x = r() * total;
  let chosen = weights.findLastIndex((w) => w > 0);
  for (const [i, w] of weights.entries()) {
    if (w > 0 && x < w) {
      chosen = i;
      break;
    }
    x -= w;
  }
  const cause = file.causes[forced ?? chosen]!;
  scope[CAUSE] = cause.name;
  for (const c of file.causes) for (const p of c.parameters) scope[p.name] ??= null;
  for (const p of cause.parameters) scope[p.name] = draw(p, scope, r, int, pick);
  return scope;
}

function draw(p: Parameter, scope: Scope, r: () => number, int: (lo: number, hi: number) => number, pick: <T>(xs: readonly T[]) => T): unknown {
  if ('int' in p) return int(p.int[0], p.int[1]);
  if ('uniform' in p) return p.uniform[0] + r() * (p.uniform[1] - p.uniform[0]);
  if ('pick' in p) return expandDeep(pick(p.pick), scope);
  if ('bernoulli' in p) return r() < p.bernoulli;
  if ('choice' in p) {
    const total = p.choice.reduce((s, c) => s + c.weight, 0);
    let x = r() * total;
    for (const c of p.choice) {
      x -= c.weight;
      if (x < 0) return expandDeep(c.value, scope);
    }
    return expandDeep(p.choice.at(-1)!.value, scope);
  }
  return expandDeep(p.value, scope);
}
