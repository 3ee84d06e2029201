import { z } from 'zod';

/** The alerting systems the webhook understands, one adapter each (sources/). */
export const ALERT_SYSTEMS = ['alertmanager', 'pagerduty', 'grafana', 'datadog', 'opsgenie', 'victorops', 'newrelic'] as const;
export const AlertSystemSchema = z.enum(ALERT_SYSTEMS);
export type AlertSystem = z.infer<typeof AlertSystemSchema>;

/** Where an incident's alert came from: recorded on the incident (`incident.alert`). */
export const AlertRefSchema = z.object({
  system: z.string().min(1).max(40),
  id: z.string().min(1).max(300),
  link: z.string().max(2000).optional(),
});
export type AlertRef = z.infer<typeof AlertRefSchema>;

export type AlertStatus = 'firing' | 'resolved' | 'other';

/** What the alert names in the cluster, after the label mapping (labels.ts). */
export interface AlertTarget {
  cluster?: string;
  namespace?: string;
  workload?: { kind: 'Deployment' | 'StatefulSet'; name: string };
  pod?: string;
}

/**
 * One alert in the system-neutral form every adapter produces. `labels` are
 * the flattened key/value facts the mapping reads (untrusted text, bounded).
 */
export interface NormalizedAlert {
  system: AlertSystem | 'k8sgpt';
  /** The vendor's own id for this alert (fingerprint, incident id, alert id...). */
  id: string;
  status: AlertStatus;
  /** The vendor's status word, kept for the answer (e.g. `incident.acknowledged`). */
  vendorStatus: string;
  title: string;
  link?: string;
  labels: Record<string, string>;
  target: AlertTarget;
}

/** An HTTP delivery as the webhook got it; the raw body is what signatures cover. */
export interface Delivery {
  /** Request path, e.g. `/alerts/pagerduty` or `/alerts`. */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  rawBody: string;
  /** Unix seconds, for signature timestamp windows. */
  nowSeconds: number;
}

/** A parsed body: JSON, or form fields (Splunk On-Call escalation webhooks are form-encoded). */
export type ParsedBody = { kind: 'json'; value: unknown } | { kind: 'form'; fields: Record<string, string> };

export interface SourceAdapter {
  system: AlertSystem;
  /** True when the body has this system's documented shape (auto-detection). */
  detect(body: ParsedBody, headers: Delivery['headers']): boolean;
  /** Parses the documented format; throws AlertPayloadInvalid naming the field. */
  normalize(body: ParsedBody): Omit<NormalizedAlert, 'target'>[];
  /** Alerts the sender said it left out (Alertmanager/Grafana `truncatedAlerts`). */
  truncated?(body: ParsedBody): number;
}

/** Bounds that keep one delivery cheap and its answer small. */
export const MAX_BODY_BYTES = 256 * 1024;
export const MAX_ALERTS_PER_DELIVERY = 100;
export const MAX_LABELS = 100;
export const MAX_LABEL_VALUE = 500;
