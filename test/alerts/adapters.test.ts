import { describe, expect, it } from 'vitest';
import { authenticate } from '../../functions/domain/alerts/auth';
import { AlertAuthFailed, AlertPayloadInvalid, AlertSourceUnknown } from '../../functions/domain/alerts/errors';
import { labelMappingFor, targetOf } from '../../functions/domain/alerts/labels';
import { adapterFor, detectSystem, parseBody } from '../../functions/domain/alerts/registry';
import { ALERT_SYSTEMS, type AlertSystem } from '../../functions/domain/alerts/types';
import { PUBLIC_BASE_URL, SECRETS, signedDelivery, type Named } from './payloads';
import * as P from './payloads';

const T: Named = { namespace: 'shop', deployment: 'web' };

function normalized(system: AlertSystem, status: 'firing' | 'resolved') {
  const d = signedDelivery(system, T, status);
  const body = parseBody(d.rawBody, d.headers['content-type']);
  return { detected: detectSystem(body, d.headers), alerts: adapterFor(system).normalize(body).map((a) => ({ ...a, target: targetOf(a.labels, labelMappingFor(system)) })) };
}

describe('each system: documented payload → normalized alert', () => {
  // Every system, both directions: the status word each vendor uses must map to firing/resolved,
  // its usual label/tag forms must name the same namespace and deployment, and auto-detection must pick it.
  for (const system of ALERT_SYSTEMS) {
    for (const status of ['firing', 'resolved'] as const) {
      it(`${system} ${status}`, () => {
        const { detected, alerts } = normalized(system, status);
        expect(detected).toBe(system);
        expect(alerts).toHaveLength(1);
        expect(alerts[0]).toMatchObject({ system, status, target: { namespace: 'shop', workload: { kind: 'Deployment', name: 'web' } } });
        expect(alerts[0]!.id.length).toBeGreaterThan(0);
      });
    }
  }
});

describe('grouped and truncated deliveries', () => {
  it.each([
    // A group of three alerts (one per replica) stays three alerts with distinct fingerprints.
    { system: 'alertmanager' as const, payload: P.alertmanager(T, 'firing', 3, 0), alerts: 3, truncated: 0 },
    // max_alerts cut the group: the count of what was left out is reported, not invented.
    { system: 'alertmanager' as const, payload: P.alertmanager(T, 'firing', 2, 5), alerts: 2, truncated: 5 },
    { system: 'grafana' as const, payload: P.grafana(T, 'firing', 2, 4), alerts: 2, truncated: 4 },
  ])('$system: $alerts alerts, $truncated truncated', ({ system, payload, alerts, truncated }) => {
    const body = parseBody(JSON.stringify(payload), 'application/json');
    const adapter = adapterFor(system);
    const out = adapter.normalize(body);
    expect(out).toHaveLength(alerts);
    expect(new Set(out.map((a) => a.id)).size).toBe(alerts);
    expect(adapter.truncated?.(body)).toBe(truncated);
  });
});

describe('malformed payloads name the problem', () => {
  it.each([
    // Not JSON at all.
    { system: 'alertmanager' as const, raw: '{"version": "4",', message: /body is not JSON/ },
    // An Alertmanager alert without its fingerprint: the field path is named.
    { system: 'alertmanager' as const, raw: JSON.stringify({ ...P.alertmanager(T), alerts: [{ status: 'firing', labels: {} }] }), message: /alerts\.0\.fingerprint/ },
    // An unknown payload version is not silently read as v4.
    { system: 'alertmanager' as const, raw: JSON.stringify({ ...P.alertmanager(T), version: '3' }), message: /version/ },
    // PagerDuty event without its type.
    { system: 'pagerduty' as const, raw: JSON.stringify({ event: { id: 'x', resource_type: 'incident', occurred_at: 'now', data: { id: 'P1', type: 'incident' } } }), message: /event\.event_type/ },
    // Datadog without the transition the README's template sends.
    { system: 'datadog' as const, raw: JSON.stringify({ id: '1', title: 't' }), message: /alert_transition/ },
    // Opsgenie without alert.alertId.
    { system: 'opsgenie' as const, raw: JSON.stringify({ action: 'Create', alert: { message: 'm' } }), message: /alert\.alertId/ },
    // New Relic without state.
    { system: 'newrelic' as const, raw: JSON.stringify({ id: 'x', issueUrl: 'u' }), message: /state/ },
    // Splunk On-Call without message_type.
    { system: 'victorops' as const, raw: JSON.stringify({ entity_id: 'x' }), message: /message_type/ },
  ])('$system: $message', ({ system, raw, message }) => {
    expect(() => adapterFor(system).normalize(parseBody(raw, 'application/json'))).toThrow(AlertPayloadInvalid);
    expect(() => adapterFor(system).normalize(parseBody(raw, 'application/json'))).toThrow(message);
  });

  it('a body no adapter recognises is an unknown source', () => {
    expect(() => detectSystem(parseBody('{"hello":"world"}', 'application/json'), {})).toThrow(AlertSourceUnknown);
  });
});

describe('authentication', () => {
  const ctx = { publicBaseUrl: PUBLIC_BASE_URL };
  const check = (d: ReturnType<typeof signedDelivery>, system: AlertSystem, secret: string | null = SECRETS[system]) =>
    authenticate(system, d, parseBody(d.rawBody, d.headers['content-type']), secret ?? undefined, ctx);

  it.each(ALERT_SYSTEMS)('%s: the documented credentials pass', (system) => {
    expect(() => check(signedDelivery(system, T), system)).not.toThrow();
  });

  it.each(ALERT_SYSTEMS)('%s: the same delivery with another secret is refused', (system) => {
    expect(() => check(signedDelivery(system, T), system, 'not-the-secret')).toThrow(AlertAuthFailed);
  });

  it.each(ALERT_SYSTEMS)('%s: no secret configured fails closed', (system) => {
    expect(() => check(signedDelivery(system, T), system, null)).toThrow(/no secret is configured/);
  });

  it.each([
    // One byte of the body changed after signing: PagerDuty's HMAC covers the raw body.
    { system: 'pagerduty' as const, tamper: (d: ReturnType<typeof signedDelivery>) => ({ ...d, rawBody: d.rawBody.replace('web', 'wex') }), message: /does not match/ },
    // Signature header missing altogether.
    { system: 'pagerduty' as const, tamper: (d: ReturnType<typeof signedDelivery>) => ({ ...d, headers: { 'content-type': 'application/json' } }), message: /missing X-PagerDuty-Signature/ },
    // Grafana: a replayed delivery whose signed timestamp is an hour old.
    { system: 'grafana' as const, tamper: (d: ReturnType<typeof signedDelivery>) => ({ ...d, nowSeconds: d.nowSeconds + 3600 }), message: /replayed/ },
    // Grafana: the timestamp changed, so the signature no longer matches.
    { system: 'grafana' as const, tamper: (d: ReturnType<typeof signedDelivery>) => ({ ...d, headers: { ...d.headers, 'x-grafana-alerting-timestamp': String(d.nowSeconds - 1) } }), message: /does not match/ },
    // Splunk On-Call: the same fields posted to another URL (signature covers the URL).
    { system: 'victorops' as const, tamper: (d: ReturnType<typeof signedDelivery>) => ({ ...d, path: '/alerts' }), message: /does not match/ },
    // Shared-secret systems: no credentials at all.
    { system: 'datadog' as const, tamper: (d: ReturnType<typeof signedDelivery>) => ({ ...d, headers: { 'content-type': 'application/json' } }), message: /no credentials/ },
  ])('$system refused: $message', ({ system, tamper, message }) => {
    expect(() => check(tamper(signedDelivery(system, T)), system)).toThrow(message);
  });

  it('PagerDuty accepts either signature during a secret rotation', () => {
    const d = signedDelivery('pagerduty', T);
    const rotated = { ...d, headers: { ...d.headers, 'x-pagerduty-signature': `v1=${'0'.repeat(64)},${d.headers['x-pagerduty-signature']}` } };
    expect(() => check(rotated, 'pagerduty')).not.toThrow();
  });

  it.each([
    // Alertmanager's http_config basic_auth: the password is the secret.
    { authorization: `Basic ${Buffer.from(`am:${SECRETS.alertmanager}`).toString('base64')}`, ok: true },
    { authorization: `Basic ${Buffer.from('am:wrong').toString('base64')}`, ok: false },
    { authorization: `Bearer ${SECRETS.alertmanager}x`, ok: false },
  ])('shared secret via Authorization ($authorization) → $ok', ({ authorization, ok }) => {
    const d = { ...signedDelivery('alertmanager', T), headers: { 'content-type': 'application/json', authorization } };
    if (ok) expect(() => check(d, 'alertmanager')).not.toThrow();
    else expect(() => check(d, 'alertmanager')).toThrow(AlertAuthFailed);
  });
});

describe('label mapping', () => {
  it.each<{ system: AlertSystem; labels: Record<string, string>; want: object }>([
    // kube-state-metrics style labels.
    { system: 'alertmanager' as const, labels: { namespace: 'shop', pod: 'web-7d9-x1' }, want: { namespace: 'shop', pod: 'web-7d9-x1' } },
    // Datadog's Kubernetes tags.
    { system: 'datadog' as const, labels: { kube_namespace: 'shop', kube_stateful_set: 'db', kube_cluster_name: 'prod' }, want: { cluster: 'prod', namespace: 'shop', workload: { kind: 'StatefulSet', name: 'db' } } },
    // New Relic's entity tags.
    { system: 'newrelic' as const, labels: { 'k8s.namespaceName': 'shop', 'k8s.podName': 'web-1' }, want: { namespace: 'shop', pod: 'web-1' } },
    // A value that is not a Kubernetes name is not used (untrusted text never becomes a target).
    { system: 'alertmanager' as const, labels: { namespace: 'Shop Prod', deployment: 'web/../x' }, want: {} },
  ])('$system $labels', ({ system, labels, want }) => {
    expect(targetOf(labels, labelMappingFor(system))).toEqual(want);
  });

  it('an override replaces the default keys of the field it names, for its system only', () => {
    const overrides = { alertmanager: { deployment: ['app_kubernetes_io_name'] } };
    expect(targetOf({ namespace: 'shop', deployment: 'old', app_kubernetes_io_name: 'web' }, labelMappingFor('alertmanager', overrides))).toEqual({
      namespace: 'shop',
      workload: { kind: 'Deployment', name: 'web' },
    });
    expect(targetOf({ namespace: 'shop', deployment: 'old' }, labelMappingFor('grafana', overrides)).workload?.name).toBe('old');
  });
});
