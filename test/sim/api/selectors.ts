/**
 * Label and field selectors with the real apiserver's grammar
 * (k8s.io/apimachinery/pkg/labels and pkg/fields): `=`, `==`, `!=`, `in`,
 * `notin`, `key` (exists), `!key` (does not exist), comma meaning AND. A
 * selector the server cannot parse is a 400, never an ignored filter.
 */
import { errors } from './status';
import { isObject, type Json } from './defaults';

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; values: [string] }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists'; values: [] }
  | { key: string; op: 'gt' | 'lt'; values: [string] };

export type LabelSelectorFn = (labels: Record<string, string> | undefined) => boolean;

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, raw: string): void {
  if (!KEY.test(key) || key.length > 316) throw errors.badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${raw}"`);
}
function checkValue(value: string, raw: string): void {
  if (!VALUE.test(value) || value.length > 63) throw errors.badRequest(`unable to parse requirement: invalid label value "${value}" in selector "${raw}"`);
}

/** Splits on commas that are not inside `( )`. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (depth !== 0) throw errors.badRequest(`unable to parse requirement: unbalanced parentheses in selector "${text}"`);
  parts.push(current);
  return parts;
}

export function parseLabelSelector(raw: string): Requirement[] {
  const text = raw.trim();
  if (text === '') return [];
  const out: Requirement[] = [];
  for (const partRaw of splitTopLevel(text)) {
    const part = partRaw.trim();
    if (part === '') throw errors.badRequest(`unable to parse requirement: empty requirement in selector "${raw}"`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const key = m[1]!;
      checkKey(key, raw);
      const values = m[3]!.split(',').map((v) => v.trim());
      if (values.length === 1 && values[0] === '') throw errors.badRequest(`unable to parse requirement: for 'in', 'notin' operators, values set can't be empty in selector "${raw}"`);
      values.forEach((v) => checkValue(v, raw));
      out.push({ key, op: m[2] as 'in' | 'notin', values });
    } else if ((m = part.match(/^([^\s!=<>(),]+)\s*(==|!=|=|>|<)\s*([^\s!=<>(),]*)$/))) {
      const key = m[1]!;
      checkKey(key, raw);
      const value = m[3]!;
      const op = m[2]!;
      if (op === '>' || op === '<') {
        if (!/^-?\d+$/.test(value)) throw errors.badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer in selector "${raw}"`);
        out.push({ key, op: op === '>' ? 'gt' : 'lt', values: [value] });
      } else {
        checkValue(value, raw);
        out.push({ key, op: op === '!=' ? 'neq' : 'eq', values: [value] });
      }
    } else if ((m = part.match(/^!\s*([^\s!=<>(),]+)$/))) {
      checkKey(m[1]!, raw);
      out.push({ key: m[1]!, op: 'notexists', values: [] });
    } else if ((m = part.match(/^([^\s!=<>(),]+)$/))) {
      checkKey(m[1]!, raw);
      out.push({ key: m[1]!, op: 'exists', values: [] });
    } else {
      throw errors.badRequest(`unable to parse requirement: cannot parse "${part}" in selector "${raw}"`);
    }
  }
  return out;
}

export function matchesRequirements(requirements: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of requirements) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'eq':
        if (!has || v !== r.values[0]) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'neq':
        if (has && v === r.values[0]) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.op === 'gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

export function labelSelector(raw: string | undefined): LabelSelectorFn {
  const requirements = parseLabelSelector(raw ?? '');
  return (labels) => matchesRequirements(requirements, labels);
}

/** A metav1.LabelSelector (matchLabels + matchExpressions) as requirements; `null` selects nothing, `{}` everything. */
export function requirementsFromLabelSelector(selector: unknown): Requirement[] | null {
  if (!isObject(selector)) return null;
  const out: Requirement[] = [];
  if (isObject(selector.matchLabels)) {
    for (const [key, value] of Object.entries(selector.matchLabels)) out.push({ key, op: 'eq', values: [String(value)] });
  }
  if (Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions) {
      if (!isObject(e)) continue;
      const key = String(e.key ?? '');
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      switch (e.operator) {
        case 'In':
          out.push({ key, op: 'in', values });
          break;
        case 'NotIn':
          out.push({ key, op: 'notin', values });
          break;
        case 'Exists':
          out.push({ key, op: 'exists', values: [] });
          break;
        case 'DoesNotExist':
          out.push({ key, op: 'notexists', values: [] });
          break;
      }
    }
  }
  return out;
}

export function selectorMatches(selector: unknown, labels: Record<string, string> | undefined): boolean {
  const requirements = requirementsFromLabelSelector(selector);
  return requirements !== null && matchesRequirements(requirements, labels);
}

/** The string form the real server puts in `Scale.status.selector` and that `kubectl` prints. */
export function labelSelectorString(selector: unknown): string {
  const requirements = requirementsFromLabelSelector(selector) ?? [];
  return requirements
    .map((r) => {
      switch (r.op) {
        case 'eq':
          return `${r.key}=${r.values[0]}`;
        case 'neq':
          return `${r.key}!=${r.values[0]}`;
        case 'in':
          return `${r.key} in (${[...r.values].sort().join(',')})`;
        case 'notin':
          return `${r.key} notin (${[...r.values].sort().join(',')})`;
        case 'exists':
          return r.key;
        case 'notexists':
          return `!${r.key}`;
        default:
          return `${r.key}${r.op === 'gt' ? '>' : '<'}${r.values[0]}`;
      }
    })
    .sort()
    .join(',');
}

export interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

function unescapeFieldValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(raw: string | undefined, supported: readonly string[]): FieldRequirement[] {
  const text = (raw ?? '').trim();
  if (text === '') return [];
  const out: FieldRequirement[] = [];
  // Commas escaped with a backslash belong to the value.
  const parts = text.split(/(?<!\\),/);
  for (const part of parts) {
    const m = part.trim().match(/^([^=!\s]+)\s*(==|!=|=)\s*(.*)$/);
    if (!m) throw errors.badRequest(`invalid selector: '${raw}'; can't understand '${part}'`);
    const field = m[1]!;
    if (!supported.includes(field)) throw errors.badRequest(`field label not supported: ${field}`);
    out.push({ field, negate: m[2] === '!=', value: unescapeFieldValue(m[3]!) });
  }
  return out;
}

export function fieldValue(object: Json, path: string): string {
  let current: unknown = object;
  for (const segment of path.split('.')) {
    if (!isObject(current)) return '';
    current = current[segment];
  }
  if (current === undefined || current === null) return '';
  return typeof current === 'object' ? JSON.stringify(current) : String(current);
}

export type FieldGetter = (object: Json, field: string) => string;

export function matchesFields(requirements: FieldRequirement[], object: Json, getter: FieldGetter = fieldValue): boolean {
  for (const r of requirements) {
    if ((getter(object, r.field) === r.value) === r.negate) return false;
  }
  return true;
}
