import { mulberry32 } from '../../../functions/domain/selection';
import { expandDeep, type Scope } from './expr';
import type { Parameter, ScenarioFile } from './schema';

/**
 * Parameters of one instance, drawn from the seed. The stream is mulberry32
 * seeded with `seed ^ hash(scenario name)`; the built-in identity (app, team,
 * namespace suffix, version, replicas) takes the first seven draws, then each
 * declared parameter takes one draw (or none, for `value`), in file order —
 * the same draws the TypeScript catalogue made, so a scenario rewritten as a
 * file names, sizes and breaks things exactly as before for the same seed.
 */

const APPS = ['checkout', 'cart', 'catalog', 'payments', 'search', 'profile', 'orders', 'inventory', 'billing', 'ledger', 'notify', 'gateway'];
const TEAMS = ['shop', 'core', 'growth', 'platform', 'data', 'edge'];

/** Names every scenario can use without declaring them. */
export const BUILT_INS = ['seed', 'app', 'team', 'suffix', 'namespace', 'repo', 'tag', 'nextTag', 'replicas', 'major', 'minor', 'patch'] as const;

export function saltOf(name: string): number {
  let salt = 0;
  for (const ch of name) salt = (Math.imul(salt, 31) + ch.charCodeAt(0)) >>> 0;
  return salt;
}

export function drawParameters(file: Pick<ScenarioFile, 'name' | 'identity' | 'parameters'>, seed: number): Record<string, unknown> {
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
