import { parseQuantity } from '../kubelet/quantity';

/**
 * The small expression language of scenario files: parameters derived from
 * others (`round(perReplica * needed * 0.95)`), oracle conditions
 * (`container.image == good`) and `{{ … }}` templates in strings. Parsed,
 * never `eval`ed: a scenario file written by anyone can compute with numbers,
 * strings, lists and the objects it is handed, and call the functions below —
 * nothing else.
 *
 * Precedence, loosest first: `||`, `&&`, `== !=`, `< <= > >= in`, `+ -`,
 * `* / %`, `??`, unary `! -`, then `.name`, `[index]` and calls. Member access
 * on null gives null (every `.` is JavaScript's `?.`). `??` binds tighter than
 * comparisons, so `p.failureThreshold ?? 3 >= 2` reads `(… ?? 3) >= 2`.
 */

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError' as const;
}

export type Value = unknown;
export type Scope = Readonly<Record<string, Value>>;

type Node =
  | { t: 'lit'; v: Value }
  | { t: 'id'; name: string }
  | { t: 'list'; items: Node[] }
  | { t: 'member'; obj: Node; key: Node }
  | { t: 'call'; fn: string; args: Node[] }
  | { t: 'unary'; op: '!' | '-'; arg: Node }
  | { t: 'bin'; op: string; a: Node; b: Node };

const MI = 2 ** 20;

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  round: (x) => Math.round(num(x)),
  floor: (x) => Math.floor(num(x)),
  ceil: (x) => Math.ceil(num(x)),
  abs: (x) => Math.abs(num(x)),
  min: (...xs) => Math.min(...xs.map(num)),
  max: (...xs) => Math.max(...xs.map(num)),
  /** Lower-case hex, left-padded with zeros to `width`. */
  hex: (x, width) => Math.trunc(num(x)).toString(16).padStart(width === undefined ? 0 : num(width), '0'),
  /** A Kubernetes quantity ('256Mi', '1.5', '100m') in base units; null when absent or unreadable. */
  quantity: (x) => (typeof x === 'string' || typeof x === 'number' ? (parseQuantity(String(x)) ?? null) : null),
  /** Mebibytes as a number of bytes (compare with quantity()). */
  mi: (x) => num(x) * MI,
  len: (x) => (Array.isArray(x) || typeof x === 'string' ? x.length : isRecord(x) ? Object.keys(x).length : 0),
  keys: (x) => (isRecord(x) ? Object.keys(x) : []),
  /** The `name` field of every element (container env, ports, conditions…). */
  names: (x) => (Array.isArray(x) ? x.map((e) => (isRecord(e) ? e.name : undefined)) : []),
  /** The condition of this type in obj.status.conditions, or null. */
  condition: (obj, type) => {
    const status = isRecord(obj) ? obj.status : undefined;
    const conds = isRecord(status) && Array.isArray(status.conditions) ? status.conditions : [];
    return conds.find((c) => isRecord(c) && c.type === type) ?? null;
  },
  str: (x) => (x === null || x === undefined ? '' : String(x)),
  lower: (x) => String(x ?? '').toLowerCase(),
  upper: (x) => String(x ?? '').toUpperCase(),
  /** `if(cond, a, b)`: a when cond holds, else b (both are evaluated). */
  if: (c, a, b) => (c ? a : b),
  base64: (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64'),
  json: (x) => JSON.stringify(x),
};

export const FUNCTION_NAMES = Object.keys(FUNCTIONS);

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function num(x: Value): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (x === null || x === undefined) return 0;
  const n = Number(x);
  if (Number.isNaN(n)) throw new ExpressionError(`expected a number, got ${JSON.stringify(x)}`);
  return n;
}

// ---- tokens ----

type Tok = { k: 'num'; v: number } | { k: 'str'; v: string } | { k: 'id'; v: string } | { k: 'op'; v: string } | { k: 'end' };

const OPS = ['??', '||', '&&', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '!', '(', ')', '[', ']', ',', '.'];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)/.exec(src.slice(i))!;
      out.push({ k: 'num', v: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_$]/.test(ch)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i))!;
      out.push({ k: 'id', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== ch) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new ExpressionError(`unterminated string starting at column ${i + 1}`);
      out.push({ k: 'str', v: s });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected character ${JSON.stringify(ch)} at column ${i + 1}`);
    out.push({ k: 'op', v: op });
    i += op.length;
  }
  out.push({ k: 'end' });
  return out;
}

// ---- parser (precedence climbing) ----

const LEVELS: string[][] = [['||'], ['&&'], ['==', '!='], ['<', '<=', '>', '>=', 'in'], ['+', '-'], ['*', '/', '%'], ['??']];

export function parseExpression(src: string): Node {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p]!;
  const isOp = (v: string) => {
    const t = peek();
    return (t.k === 'op' && t.v === v) || (v === 'in' && t.k === 'id' && t.v === 'in');
  };
  const expect = (v: string) => {
    if (!isOp(v)) throw new ExpressionError(`expected '${v}' in ${JSON.stringify(src)}`);
    p++;
  };
  const level = (n: number): Node => {
    if (n >= LEVELS.length) return unary();
    let a = level(n + 1);
    for (;;) {
      const op = LEVELS[n]!.find(isOp);
      if (!op) return a;
      p++;
      a = { t: 'bin', op, a, b: level(n + 1) };
    }
  };
  const unary = (): Node => {
    if (isOp('!')) {
      p++;
      return { t: 'unary', op: '!', arg: unary() };
    }
    if (isOp('-')) {
      p++;
      return { t: 'unary', op: '-', arg: unary() };
    }
    return postfix(primary());
  };
  const postfix = (node: Node): Node => {
    for (;;) {
      if (isOp('.')) {
        p++;
        const t = peek();
        if (t.k !== 'id') throw new ExpressionError(`expected a field name after '.' in ${JSON.stringify(src)}`);
        p++;
        node = { t: 'member', obj: node, key: { t: 'lit', v: t.v } };
      } else if (isOp('[')) {
        p++;
        const key = level(0);
        expect(']');
        node = { t: 'member', obj: node, key };
      } else return node;
    }
  };
  const primary = (): Node => {
    const t = peek();
    p++;
    if (t.k === 'num' || t.k === 'str') return { t: 'lit', v: t.v };
    if (t.k === 'id') {
      if (t.v === 'true') return { t: 'lit', v: true };
      if (t.v === 'false') return { t: 'lit', v: false };
      if (t.v === 'null') return { t: 'lit', v: null };
      if (isOp('(')) {
        p++;
        if (!(t.v in FUNCTIONS)) throw new ExpressionError(`unknown function ${t.v}(); known: ${FUNCTION_NAMES.join(', ')}`);
        const args: Node[] = [];
        if (!isOp(')')) {
          args.push(level(0));
          while (isOp(',')) {
            p++;
            args.push(level(0));
          }
        }
        expect(')');
        return { t: 'call', fn: t.v, args };
      }
      return { t: 'id', name: t.v };
    }
    if (t.k === 'op' && t.v === '(') {
      const e = level(0);
      expect(')');
      return e;
    }
    if (t.k === 'op' && t.v === '[') {
      const items: Node[] = [];
      if (!isOp(']')) {
        items.push(level(0));
        while (isOp(',')) {
          p++;
          items.push(level(0));
        }
      }
      expect(']');
      return { t: 'list', items };
    }
    throw new ExpressionError(`unexpected ${t.k === 'end' ? 'end of expression' : JSON.stringify('v' in t ? t.v : '')} in ${JSON.stringify(src)}`);
  };
  const node = level(0);
  if (peek().k !== 'end') throw new ExpressionError(`unexpected ${JSON.stringify((peek() as { v?: unknown }).v)} after a complete expression in ${JSON.stringify(src)}`);
  return node;
}

/** Identifiers the expression reads (for checking a file's references before anything runs). */
export function identifiersOf(node: Node): string[] {
  switch (node.t) {
    case 'id':
      return [node.name];
    case 'lit':
      return [];
    case 'list':
      return node.items.flatMap(identifiersOf);
    case 'member':
      return [...identifiersOf(node.obj), ...identifiersOf(node.key)];
    case 'call':
      return node.args.flatMap(identifiersOf);
    case 'unary':
      return identifiersOf(node.arg);
    case 'bin':
      return [...identifiersOf(node.a), ...identifiersOf(node.b)];
  }
}

function equal(a: Value, b: Value): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

export function evaluate(node: Node, scope: Scope): Value {
  switch (node.t) {
    case 'lit':
      return node.v;
    case 'id':
      if (!(node.name in scope)) throw new ExpressionError(`unknown name '${node.name}'`);
      return scope[node.name];
    case 'list':
      return node.items.map((n) => evaluate(n, scope));
    case 'member': {
      const obj = evaluate(node.obj, scope);
      const key = evaluate(node.key, scope);
      if (obj === null || obj === undefined) return null;
      if (Array.isArray(obj)) return typeof key === 'number' ? (obj[key] ?? null) : key === 'length' ? obj.length : null;
      if (isRecord(obj)) return Object.hasOwn(obj, String(key)) ? obj[String(key)] : null;
      return null;
    }
    case 'call':
      return FUNCTIONS[node.fn]!(...node.args.map((a) => evaluate(a, scope)));
    case 'unary': {
      const v = evaluate(node.arg, scope);
      return node.op === '!' ? !v : -num(v);
    }
    case 'bin': {
      const { op } = node;
      if (op === '&&') return evaluate(node.a, scope) ? evaluate(node.b, scope) : false;
      if (op === '||') return evaluate(node.a, scope) || evaluate(node.b, scope);
      const a = evaluate(node.a, scope);
      if (op === '??') return a ?? evaluate(node.b, scope);
      const b = evaluate(node.b, scope);
      switch (op) {
        case '==':
          return equal(a, b);
        case '!=':
          return !equal(a, b);
        case '<':
          return num(a) < num(b);
        case '<=':
          return num(a) <= num(b);
        case '>':
          return num(a) > num(b);
        case '>=':
          return num(a) >= num(b);
        case 'in':
          return Array.isArray(b) ? b.some((x) => equal(x, a)) : isRecord(b) ? Object.hasOwn(b, String(a)) : typeof b === 'string' ? b.includes(String(a)) : false;
        case '+':
          return typeof a === 'string' || typeof b === 'string' ? `${a ?? ''}${b ?? ''}` : num(a) + num(b);
        case '-':
          return num(a) - num(b);
        case '*':
          return num(a) * num(b);
        case '/':
          return num(a) / num(b);
        case '%':
          return num(a) % num(b);
      }
      throw new ExpressionError(`unknown operator ${op}`);
    }
  }
}

const cache = new Map<string, Node>();

/** Parses (cached) and evaluates. */
export function evalExpression(src: string, scope: Scope): Value {
  let node = cache.get(src);
  if (!node) cache.set(src, (node = parseExpression(src)));
  return evaluate(node, scope);
}

const TEMPLATE = /\{\{(.*?)\}\}/gs;

/** Whether a string holds a `{{ … }}` template. */
export function isTemplate(s: string): boolean {
  return /\{\{.*?\}\}/s.test(s);
}

/**
 * Expands `{{ expr }}` in a string. A string that is exactly one template
 * keeps the value's type (`"{{ replicas }}"` → 3, not "3"); otherwise each
 * template is spliced in as text. Single braces are left alone (the kubelet
 * fills `{pod}`-style runtime fields in log lines later).
 */
export function expandString(s: string, scope: Scope): Value {
  const whole = /^\{\{(.*?)\}\}$/s.exec(s);
  if (whole && !whole[1]!.includes('}}')) return evalExpression(whole[1]!.trim(), scope);
  return s.replace(TEMPLATE, (_m, expr: string) => {
    const v = evalExpression(expr.trim(), scope);
    return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** Expands templates everywhere in a JSON-like value (keys included). */
export function expandDeep(v: Value, scope: Scope): Value {
  if (typeof v === 'string') return expandString(v, scope);
  if (Array.isArray(v)) return v.map((x) => expandDeep(x, scope));
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [String(expandString(k, scope)), expandDeep(x, scope)]));
  return v;
}

/** Every `{{ … }}` expression in a JSON-like value, for checking them all before anything runs. */
export function templatesIn(v: Value, at: (string | number)[] = []): { path: (string | number)[]; expr: string }[] {
  if (typeof v === 'string') return [...v.matchAll(TEMPLATE)].map((m) => ({ path: at, expr: m[1]!.trim() }));
  if (Array.isArray(v)) return v.flatMap((x, i) => templatesIn(x, [...at, i]));
  if (isRecord(v)) return Object.entries(v).flatMap(([k, x]) => [...templatesIn(k, at), ...templatesIn(x, [...at, k])]);
  return [];
}
