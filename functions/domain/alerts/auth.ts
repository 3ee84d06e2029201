import { createHmac, timingSafeEqual } from 'node:crypto';
import { AlertAuthFailed } from './errors';
import type { AlertSystem, Delivery, ParsedBody } from './types';

/** Header for the shared secret when a source has no signature scheme of its own (custom headers). */
export const TOKEN_HEADER = 'x-eks-reflexion-token';
/** Grafana's default signature header; the timestamp header is the one the README tells you to configure. */
export const GRAFANA_SIGNATURE_HEADER = 'x-grafana-alerting-signature';
export const GRAFANA_TIMESTAMP_HEADER = 'x-grafana-alerting-timestamp';
/** A signed Grafana timestamp older (or newer) than this is a replay. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export interface AuthContext {
  /** The public URL of this webhook up to (not including) the path: Splunk On-Call signs URL + fields. */
  publicBaseUrl?: string;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function hmacHex(algorithm: 'sha256', secret: string, text: string): string {
  return createHmac(algorithm, secret).update(text, 'utf8').digest('hex');
}

/** `Authorization: Bearer <s>`, `Authorization: Basic <user:s>` or `x-eks-reflexion-token: <s>`. */
function sharedSecretOk(headers: Delivery['headers'], secret: string): boolean {
  const token = headers[TOKEN_HEADER];
  if (token !== undefined && equal(token.trim(), secret)) return true;
  const authorization = headers['authorization']?.trim() ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization);
  if (bearer?.[1] && equal(bearer[1].trim(), secret)) return true;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization);
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    if (decoded.includes(':') && equal(password, secret)) return true;
  }
  return false;
}

function requireSharedSecret(system: AlertSystem, headers: Delivery['headers'], secret: string): void {
  const offered = headers[TOKEN_HEADER] !== undefined || headers['authorization'] !== undefined;
  if (!offered) throw new AlertAuthFailed(`${system}: no credentials: send the shared secret in '${TOKEN_HEADER}' or 'Authorization: Bearer'`);
  if (!sharedSecretOk(headers, secret)) throw new AlertAuthFailed(`${system}: shared secret does not match`);
}

/** PagerDuty v3: `v1=<hex HMAC-SHA256 of the raw body>`, several comma-separated during secret rotation. */
function verifyPagerDuty(delivery: Delivery, secret: string): void {
  const header = delivery.headers['x-pagerduty-signature'];
  if (!header) throw new AlertAuthFailed('pagerduty: missing X-PagerDuty-Signature header');
  const expected = `v1=${hmacHex('sha256', secret, delivery.rawBody)}`;
  const offered = header.split(',').map((s) => s.trim());
  if (!offered.some((s) => equal(s, expected))) throw new AlertAuthFailed('pagerduty: X-PagerDuty-Signature does not match the body');
}

/** Grafana HMAC: hex HMAC-SHA256 of `timestamp:body` (or the body alone without a timestamp header). */
function verifyGrafana(delivery: Delivery, secret: string): void {
  const signature = delivery.headers[GRAFANA_SIGNATURE_HEADER];
  if (signature === undefined) return requireSharedSecret('grafana', delivery.headers, secret);
  const timestamp = delivery.headers[GRAFANA_TIMESTAMP_HEADER];
  if (timestamp !== undefined) {
    const ts = Number(timestamp);
    if (!Number.isInteger(ts)) throw new AlertAuthFailed(`grafana: ${GRAFANA_TIMESTAMP_HEADER} is not a Unix timestamp`);
    if (Math.abs(delivery.nowSeconds - ts) > MAX_CLOCK_SKEW_SECONDS) {
      throw new AlertAuthFailed(`grafana: signed timestamp is ${delivery.nowSeconds - ts} s away from now (more than ${MAX_CLOCK_SKEW_SECONDS} s): replayed or clock skew`);
    }
  }
  const material = timestamp !== undefined ? `${timestamp}:${delivery.rawBody}` : delivery.rawBody;
  if (!equal(signature.trim().toLowerCase(), hmacHex('sha256', secret, material))) throw new AlertAuthFailed('grafana: signature does not match the body');
}

/** Splunk On-Call escalation webhook: base64 HMAC-SHA1 of the webhook URL followed by each form key and value, sorted by key. */
export function victorOpsSignature(secret: string, url: string, fields: Record<string, string>): string {
  const text = url + Object.keys(fields).sort().map((k) => `${k}${fields[k] ?? ''}`).join('');
  return createHmac('sha1', secret).update(text, 'utf8').digest('base64');
}

function verifyVictorOps(delivery: Delivery, body: ParsedBody, secret: string, context: AuthContext): void {
  const signature = delivery.headers['x-victorops-signature'];
  if (signature === undefined) return requireSharedSecret('victorops', delivery.headers, secret);
  if (body.kind !== 'form') throw new AlertAuthFailed('victorops: X-VictorOps-Signature signs form fields, but the body is not form-encoded');
  if (!context.publicBaseUrl) throw new AlertAuthFailed('victorops: signature checks need the webhook public URL (WEBHOOK_PUBLIC_URL) and none is configured');
  const url = context.publicBaseUrl.replace(/\/+$/, '') + delivery.path;
  if (!equal(signature.trim(), victorOpsSignature(secret, url, body.fields))) throw new AlertAuthFailed('victorops: X-VictorOps-Signature does not match the URL and fields');
}

/**
 * Authenticates one delivery with the source's own scheme (PagerDuty,
 * Grafana HMAC, Splunk On-Call) or the shared secret. A source without a
 * configured secret is refused: it fails closed.
 */
export function authenticate(system: AlertSystem, delivery: Delivery, body: ParsedBody, secret: string | undefined, context: AuthContext = {}): void {
  if (!secret) throw new AlertAuthFailed(`${system}: no secret is configured for this source, so nothing from it is accepted`);
  switch (system) {
    case 'pagerduty':
      return verifyPagerDuty(delivery, secret);
    case 'grafana':
      return verifyGrafana(delivery, secret);
    case 'victorops':
      return verifyVictorOps(delivery, body, secret, context);
    default:
      return requireSharedSecret(system, delivery.headers, secret);
  }
}
