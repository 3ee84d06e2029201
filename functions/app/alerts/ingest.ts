import { z } from 'zod';
import { authenticate, type AuthContext } from '../../domain/alerts/auth';
import { AlertPayloadTooLarge, AlertSourceUnknown } from '../../domain/alerts/errors';
import { labelMappingFor, targetOf, type LabelMappingOverrides } from '../../domain/alerts/labels';
import { adapterFor, detectSystem, parseBody, routeOf } from '../../domain/alerts/registry';
import { ALERT_SYSTEMS, AlertSystemSchema, MAX_ALERTS_PER_DELIVERY, MAX_BODY_BYTES, type AlertSystem, type Delivery, type NormalizedAlert } from '../../domain/alerts/types';
import type { SecretReader } from '../../ports/secrets';
import type { AppDeps } from '../deps';
import { confirmAlerts, type IgnoredAlert, type ResolvedAlert, type StartedIncident } from './confirm';

/** The webhook's own settings (stack context → environment). */
export interface AlertIngestConfig {
  /** Sources accepted; a delivery from any other is refused as unknown. */
  enabled: readonly AlertSystem[];
  labelMapping?: LabelMappingOverrides;
  /** Secrets Manager secret holding `{"<system>": "<secret>", ...}`. */
  secretId?: string;
  /** Check signatures / shared secrets. Only the CLI's explicit `--no-verify` turns this off. */
  verify: boolean;
  auth?: AuthContext;
}

/**
 * The secret's JSON: one secret per source system, and `shared` for every
 * system without its own (the stack generates it).
 */
export const AlertSecretsSchema = z.partialRecord(z.union([AlertSystemSchema, z.literal('shared')]), z.string().min(1).max(4096));
export type AlertSecrets = z.infer<typeof AlertSecretsSchema>;

export interface AlertAnswer {
  ok: true;
  source: AlertSystem;
  alerts: NormalizedAlert[];
  incidents: StartedIncident[];
  ignored: IgnoredAlert[];
  resolved: ResolvedAlert[];
  /** Resolved episodes whose failure this delivery's alerts confirmed again within the recurrence window (app/recurrence). */
  recurred: string[];
  /** Alerts the sender left out of this delivery (`truncatedAlerts`): never seen, so never confirmed. */
  truncatedAlerts: number;
}

export async function loadAlertSecrets(reader: SecretReader, secretId: string): Promise<AlertSecrets> {
  const text = await reader.readSecretString(secretId);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`alert secret ${secretId} is not JSON (expected {"<system>": "<secret>"})`);
  }
  const parsed = AlertSecretsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`alert secret ${secretId}: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

/** A delivery that passed every check: who sent it and what it says, nothing read from a cluster yet. */
export interface ReadDelivery {
  source: AlertSystem;
  alerts: NormalizedAlert[];
  truncatedAlerts: number;
}

/**
 * Bound, route, parse, authenticate (before anything in the body is
 * trusted) and normalize one delivery. Needs no cluster: the CLI answers a
 * bad payload without a kubeconfig. Throws the named Alert* errors.
 */
export async function readDelivery(config: AlertIngestConfig, secrets: () => Promise<AlertSecrets>, delivery: Delivery): Promise<ReadDelivery> {
  const bytes = Buffer.byteLength(delivery.rawBody, 'utf8');
  if (bytes > MAX_BODY_BYTES) throw new AlertPayloadTooLarge(`body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES}`);
  const route = routeOf(delivery.path);
  const body = parseBody(delivery.rawBody, delivery.headers['content-type']);
  const system = route === 'auto' ? detectSystem(body, delivery.headers) : route;
  if (!config.enabled.includes(system)) {
    throw new AlertSourceUnknown(`source '${system}' is not enabled here (enabled: ${config.enabled.join(', ') || 'none'}; stack context alertSources)`);
  }
  if (config.verify) {
    const all = await secrets();
    authenticate(system, delivery, body, all[system] ?? all.shared, config.auth);
  }
  const adapter = adapterFor(system);
  const mapping = labelMappingFor(system, config.labelMapping);
  const alerts = adapter
    .normalize(body)
    .slice(0, MAX_ALERTS_PER_DELIVERY)
    .map((a) => ({ ...a, target: targetOf(a.labels, mapping) }));
  return { source: system, alerts, truncatedAlerts: adapter.truncated?.(body) ?? 0 };
}

/**
 * One webhook delivery: read it (above), then confirm its alerts through the
 * detectors. Nothing is started when reading fails.
 */
export async function ingestDelivery(
  deps: AppDeps,
  config: AlertIngestConfig,
  secrets: () => Promise<AlertSecrets>,
  delivery: Delivery,
): Promise<AlertAnswer> {
  const read = await readDelivery(config, secrets, delivery);
  deps.logger.info('alert delivery', { source: read.source, alerts: read.alerts.length, firing: read.alerts.filter((a) => a.status === 'firing').length });
  const confirmation = await confirmAlerts(deps, read.alerts);
  return { ok: true, source: read.source, alerts: read.alerts, ...confirmation, truncatedAlerts: read.truncatedAlerts };
}

export const ALL_ALERT_SYSTEMS: readonly AlertSystem[] = ALERT_SYSTEMS;
