import { ValidationError } from './errors';

/**
 * Kubernetes resource quantities (`500m`, `1.5Gi`, `2e3`), parsed into an
 * exact rational so that policy bounds ("at most 2x", "under 8Gi") are never
 * decided by floating-point rounding. Value = num / den, den > 0.
 */
export interface Quantity {
  readonly num: bigint;
  readonly den: bigint;
  /** The text it was parsed from. */
  readonly text: string;
}

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// Same grammar as k8s.io/apimachinery resource.Quantity: sign, digits with an optional fraction, then a suffix.
const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

/** Text → the exact rational it denotes; ValidationError when it is not a Kubernetes quantity. */
export function parseExactQuantity(text: string): Quantity {
  const match = QUANTITY.exec(text.trim());
  if (!match) throw new ValidationError(`'${text}' is not a Kubernetes quantity (e.g. 500m, 256Mi, 1Gi, 2)`);
  const [, sign = '', number = '0', suffix = ''] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let num = BigInt((whole || '0') + fraction);
  let den = 10n ** BigInt(fraction.length);
  const binary = BINARY[suffix];
  if (binary !== undefined) {
    num *= binary;
  } else {
    const exponent = DECIMAL_EXPONENT[suffix] ?? Number(suffix.slice(1));
    // Exponents beyond this are not meaningful resource amounts and would blow up the bigint.
    if (Math.abs(exponent) > 30) throw new ValidationError(`'${text}': exponent out of range`);
    if (exponent >= 0) num *= 10n ** BigInt(exponent);
    else den *= 10n ** BigInt(-exponent);
  }
  if (sign === '-') num = -num;
  return reduce({ num, den, text });
}

export function isQuantity(text: string): boolean {
  try {
    parseExactQuantity(text);
    return true;
  } catch {
    return false;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x === 0n ? 1n : x;
}

function reduce(q: Quantity): Quantity {
  const g = gcd(q.num, q.den);
  return { num: q.num / g, den: q.den / g, text: q.text };
}

const asQuantity = (q: Quantity | string): Quantity => (typeof q === 'string' ? parseExactQuantity(q) : q);

/** -1, 0 or 1 as a is less than, equal to or greater than b (exact). */
export function compareQuantities(a: Quantity | string, b: Quantity | string): -1 | 0 | 1 {
  const x = asQuantity(a);
  const y = asQuantity(b);
  const left = x.num * y.den;
  const right = y.num * x.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

export const quantitiesEqual = (a: Quantity | string, b: Quantity | string): boolean => compareQuantities(a, b) === 0;

/** A decimal factor (e.g. 2 or 1.5) as an exact rational. */
function factorRational(factor: number): { num: bigint; den: bigint } {
  if (!Number.isFinite(factor) || factor <= 0) throw new ValidationError(`factor must be a positive number, got ${factor}`);
  // toFixed(6) bounds the digits; policy factors are configured with at most a few decimals.
  const [whole = '0', fraction = ''] = factor.toFixed(6).split('.');
  return { num: BigInt(whole + fraction), den: 10n ** BigInt(fraction.length) };
}

/**
 * Whether changing `from` to `to` stays within `factor` either way:
 * from / factor <= to <= from * factor. A zero `from` only allows zero.
 */
export function withinFactor(from: Quantity | string, to: Quantity | string, factor: number): boolean {
  const a = asQuantity(from);
  const b = asQuantity(to);
  const f = factorRational(factor);
  // to <= from * f  <=>  b.num * a.den * f.den <= a.num * b.den * f.num (all dens positive)
  const upper = b.num * a.den * f.den <= a.num * b.den * f.num;
  // to >= from / f  <=>  b.num * a.den * f.num >= a.num * b.den * f.den
  const lower = b.num * a.den * f.num >= a.num * b.den * f.den;
  return upper && lower;
}

/** Approximate value for display and metrics only; never for decisions. */
export function quantityToNumber(q: Quantity | string): number {
  const x = asQuantity(q);
  return Number(x.num) / Number(x.den);
}

/**
 * Kubernetes quantity → number (cores for cpu, bytes for memory); undefined
 * when it is not a quantity. Parsing is parseExactQuantity's above (exponents, n/u
 * suffixes, `.5` included); this only adapts untrusted values and numbers.
 */
export function quantityAsNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !isQuantity(value.trim())) return undefined;
  return quantityToNumber(value.trim());
}
