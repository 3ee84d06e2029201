/**
 * Redaction and bounding of untrusted cluster text (logs, events, messages)
 * before it can reach a prompt or a log line. Pure functions, no I/O.
 *
 * The patterns favour over-redaction of things that look like credentials
 * and keep what an operator needs to diagnose: image references, digests,
 * object names, exit codes and error messages.
 */

export type SecretKind =
  | 'private-key'
  | 'jwt'
  | 'bearer-token'
  | 'aws-access-key'
  | 'aws-secret-key'
  | 'url-password'
  | 'password'
  | 'slack-token'
  | 'stripe-key'
  | 'email';

interface Rule {
  kind: SecretKind;
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
  /** Extra check on a match; when false the text is kept. */
  applies?: (match: string) => boolean;
}

const mark = (kind: SecretKind) => `[REDACTED:${kind}]`;

/**
 * Order matters: multi-line keys and JWTs first (a JWT after "Bearer" must be
 * removed whole), URL credentials before e-mails (`user:pw@host.tld` looks
 * like an address), generic 40-char secrets after the named forms.
 */
const RULES: Rule[] = [
  {
    kind: 'private-key',
    // An unterminated key (a truncated log) is removed up to the end of the text.
    pattern: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
    replace: () => mark('private-key'),
  },
  {
    kind: 'jwt',
    pattern: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
    replace: () => mark('jwt'),
  },
  {
    kind: 'bearer-token',
    pattern: /\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
    replace: (_m, scheme = '', space = ' ') => `${scheme}${space}${mark('bearer-token')}`,
  },
  {
    kind: 'bearer-token',
    // EKS IAM tokens (presigned STS URL, base64url).
    pattern: /\bk8s-aws-v1\.[A-Za-z0-9_-]{16,}/g,
    replace: () => mark('bearer-token'),
  },
  {
    kind: 'slack-token',
    // Bot, user, app, refresh and config tokens: xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-, xoxo-.
    pattern: /\bxox[abeoprs](?:\.[A-Za-z0-9]+)?-[A-Za-z0-9-]{8,}/g,
    replace: () => mark('slack-token'),
  },
  {
    kind: 'stripe-key',
    // Secret and restricted keys, live or test (publishable pk_ keys are public by design).
    pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}/g,
    replace: () => mark('stripe-key'),
  },
  {
    kind: 'aws-access-key',
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
    replace: () => mark('aws-access-key'),
  },
  {
    kind: 'url-password',
    pattern: /\b([a-z][a-z0-9+.-]{1,20}:\/\/)([^\s:@/]{1,200}):([^\s@/]{1,200})@/gi,
    replace: (_m, scheme = '', user = '') => `${scheme}${user}:${mark('url-password')}@`,
  },
  {
    kind: 'password',
    pattern:
      /\b((?:[a-z0-9]+[_-])*(?:password|passwd|pwd|secret|secret[_-]?key|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?token|access[_-]?token|token)["']?)(\s*[:=]\s*)(["']?)([^\s"'&,;]{1,500})/gi,
    replace: (_m, key = '', sep = '', quote = '') => `${key}${sep}${quote}${mark('password')}`,
  },
  {
    kind: 'password',
    // Prose: "the password is hunter2", "db passphrase was: x". Words that say a password is absent or wrong are kept.
    pattern:
      /\b((?:password|passwd|passphrase|pwd|secret)\s+(?:is|was|=)\s*:?\s*)(["']?)(?!(?:required|missing|not|invalid|incorrect|wrong|empty|expired|too|being|null|none|undefined|unset|set|blank|needed|the|a|an|of|for|in|incorrectly|changed|reset|correct|valid)\b)([^\s"']{3,200})/gi,
    replace: (_m, lead = '', quote = '') => `${lead}${quote}${mark('password')}`,
  },
  {
    kind: 'private-key',
    // The body and END line of a key whose BEGIN line was cut off by a log tail.
    pattern: /(?:[A-Za-z0-9+/=]{16,}\r?\n)+-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/g,
    replace: () => mark('private-key'),
  },
  {
    kind: 'aws-secret-key',
    // 40+ base64 characters with both cases and a digit: AWS secret keys and other
    // opaque credentials. Lower-case hex (git SHAs, digests) and identifiers survive.
    pattern: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40,}={0,2}(?![A-Za-z0-9/+=])/g,
    applies: (m) => /[a-z]/.test(m) && /[A-Z]/.test(m) && /[0-9]/.test(m),
    replace: () => mark('aws-secret-key'),
  },
  {
    kind: 'email',
    pattern: /\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b/g,
    replace: () => mark('email'),
  },
];

export interface RedactionResult {
  text: string;
  /** How many secrets of each kind were removed (for logs and tests; never the values). */
  counts: Partial<Record<SecretKind, number>>;
}

/** Removes credentials and personal data from untrusted text. */
export function redactDetailed(input: string): RedactionResult {
  const counts: Partial<Record<SecretKind, number>> = {};
  // Patterns look at one spelling: an invisible character or a fullwidth letter must not split a key name.
  let text = normaliseUntrusted(input);
  for (const rule of RULES) {
    text = text.replace(rule.pattern, (...args: unknown[]) => {
      if (rule.applies && !rule.applies(String(args[0]))) return String(args[0]);
      counts[rule.kind] = (counts[rule.kind] ?? 0) + 1;
      const groups = args.slice(1).filter((g): g is string => typeof g === 'string');
      return rule.replace(String(args[0]), ...groups);
    });
  }
  return { text, counts };
}

export const redact = (input: string): string => redactDetailed(input).text;

// Terminal escapes and control characters (except tab and newline) can hide text from a reader.
// eslint-disable-next-line no-control-regex
const CONTROL = /\u001b\[[0-9;?]*[ -/]*[@-~]|[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g;

/** Strips terminal escapes and invisible/bidi control characters. */
export const stripControl = (input: string): string => input.replace(CONTROL, '');

// Characters that render as nothing (soft hyphen, joiners, variation selectors, BOM...): they split a word a regex looks for.
// The class lists combining marks (variation selectors) on purpose: each is removed on its own.
// eslint-disable-next-line no-misleading-character-class
const INVISIBLE = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u2060-\u2064\u3164\ufe00-\ufe0f\ufeff\uffa0]/g;
// Angle brackets that NFKC leaves alone but a reader (or model) takes for < and >.
const LESS_THAN_LIKE = /[\u2039\u2329\u27e8\u3008\u276c\u276e\u29fc]/g;
const GREATER_THAN_LIKE = /[\u203a\u232a\u27e9\u3009\u276d\u276f\u29fd]/g;

/**
 * One spelling for untrusted text before anything looks for patterns in it:
 * NFKC (fullwidth ＜／＞ and other compatibility forms become ASCII), invisible
 * characters and terminal/bidi controls removed, look-alike angle brackets
 * made plain. Redaction and delimiting both run on this form.
 */
export function normaliseUntrusted(input: string): string {
  return stripControl(input.normalize('NFKC').replace(INVISIBLE, '')).replace(LESS_THAN_LIKE, '<').replace(GREATER_THAN_LIKE, '>');
}

/**
 * Bounds text to `max` characters. Logs keep their tail (the error is at the
 * end), messages their head. The marker says how much was cut, so a reader
 * (or model) knows the text is partial.
 */
export function bound(input: string, max: number, keep: 'head' | 'tail' = 'head'): string {
  if (input.length <= max) return input;
  const cut = input.length - max;
  const marker = keep === 'tail' ? `[…${cut} earlier chars cut] ` : ` [${cut} more chars cut…]`;
  const room = Math.max(0, max - marker.length);
  return keep === 'tail' ? marker + input.slice(input.length - room) : input.slice(0, room) + marker;
}

/** Normalised, redacted, bounded: the only form in which cluster text is kept (state, history, episodes) or leaves the domain. */
export function sanitise(input: string, max: number, keep: 'head' | 'tail' = 'head'): string {
  return bound(redact(normaliseUntrusted(preCut(input, max, keep))), max, keep);
}

/**
 * Redaction runs on at most ~2×max characters (regex cost stays linear in the
 * bound, not the input). The pre-cut drops the partial word at its edge so a
 * secret split by the cut cannot survive as an unrecognisable fragment.
 */
function preCut(input: string, max: number, keep: 'head' | 'tail'): string {
  const limit = max * 2 + 256;
  if (input.length <= limit) return input;
  if (keep === 'tail') {
    const part = input.slice(input.length - limit);
    return part.replace(/^\S*\s?/, '');
  }
  return input.slice(0, limit).replace(/\s?\S*$/, '');
}
