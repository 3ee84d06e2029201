import { createHmac } from 'node:crypto';
import type { AlertSystem, Delivery } from '../../functions/domain/alerts/types';

/**
 * Payloads in each vendor's documented format (field names and shapes from
 * their webhook documentation; see the README's Alerts section), built for a
 * named workload so the same builders serve unit and end-to-end tests.
 */
export interface Named {
  namespace: string;
  deployment: string;
  pod?: string;
  cluster?: string;
}

export type Status = 'firing' | 'resolved';

function amAlert(t: Named, status: Status, i = 0) {
  return {
    status,
    labels: {
      alertname: 'KubeDeploymentRolloutStuck',
      severity: 'warning',
      namespace: t.namespace,
      deployment: t.deployment,
      ...(t.pod ? { pod: t.pod } : {}),
      ...(t.cluster ? { cluster: t.cluster } : {}),
      ...(i > 0 ? { replica: String(i) } : {}),
    },
    annotations: { summary: `Deployment ${t.namespace}/${t.deployment} rollout is stuck`, runbook_url: 'https://runbooks.example/KubeDeploymentRolloutStuck' },
    startsAt: '2026-12-06T03:00:00.000Z',
    endsAt: status === 'resolved' ? '2026-12-06T03:20:00.000Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example:9090/graph?g0.expr=kube_deployment_status_replicas_unavailable',
    fingerprint: `c0ffee${String(i).padStart(2, '0')}${Buffer.from(t.deployment).toString('hex').slice(0, 8)}`,
  };
}

/** Alertmanager webhook v4: one group; `count` alerts in it; `truncated` more left out by max_alerts. */
export function alertmanager(t: Named, status: Status = 'firing', count = 1, truncated = 0) {
  const alerts = Array.from({ length: count }, (_, i) => amAlert(t, status, i));
  return {
    version: '4',
    groupKey: `{}/{severity="warning"}:{alertname="KubeDeploymentRolloutStuck", namespace="${t.namespace}"}`,
    truncatedAlerts: truncated,
    status,
    receiver: 'eks-reflexion',
    groupLabels: { alertname: 'KubeDeploymentRolloutStuck', namespace: t.namespace },
    commonLabels: { alertname: 'KubeDeploymentRolloutStuck', namespace: t.namespace, severity: 'warning' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts,
  };
}

/** Grafana unified alerting webhook contact point (payload version 1). */
export function grafana(t: Named, status: Status = 'firing', count = 1, truncated = 0) {
  const am = alertmanager(t, status, count, truncated);
  return {
    receiver: 'eks-reflexion',
    status,
    orgId: 1,
    alerts: am.alerts.map((a) => ({
      ...a,
      silenceURL: 'https://grafana.example/alerting/silence/new',
      dashboardURL: 'https://grafana.example/d/k8s',
      panelURL: 'https://grafana.example/d/k8s?viewPanel=3',
      values: { B: 3, C: 1 },
      valueString: "[ var='B' labels={} value=3 ]",
    })),
    groupLabels: am.groupLabels,
    commonLabels: am.commonLabels,
    commonAnnotations: {},
    externalURL: 'https://grafana.example/',
    version: '1',
    groupKey: am.groupKey,
    truncatedAlerts: truncated,
    title: `[${status.toUpperCase()}:${count}] KubeDeploymentRolloutStuck`,
    state: status === 'firing' ? 'alerting' : 'ok',
    message: 'rollout stuck',
  };
}

/** PagerDuty v3 webhook; the incident title carries the labels the way Alertmanager-forwarded incidents do. */
export function pagerduty(t: Named, status: Status = 'firing') {
  const id = `Q${Buffer.from(t.deployment).toString('hex').slice(0, 10).toUpperCase()}`;
  return {
    event: {
      id: `01DEN${status === 'firing' ? 'TRG' : 'RES'}${id}`,
      event_type: status === 'firing' ? 'incident.triggered' : 'incident.resolved',
      resource_type: 'incident',
      occurred_at: '2026-12-06T03:01:02.000Z',
      agent: { html_url: 'https://acme.pagerduty.com/users/PLH1HKV', id: 'PLH1HKV', self: 'https://api.pagerduty.com/users/PLH1HKV', summary: 'Tenex Engineer', type: 'user_reference' },
      client: null,
      data: {
        id,
        type: 'incident',
        self: `https://api.pagerduty.com/incidents/${id}`,
        html_url: `https://acme.pagerduty.com/incidents/${id}`,
        number: 2,
        status: status === 'firing' ? 'triggered' : 'resolved',
        incident_key: `namespace=${t.namespace} deployment=${t.deployment}`,
        created_at: '2026-12-06T03:01:00Z',
        title: `[FIRING:1] KubeDeploymentRolloutStuck (namespace=${t.namespace} deployment=${t.deployment}${t.cluster ? ` cluster=${t.cluster}` : ''})`,
        service: { html_url: 'https://acme.pagerduty.com/services/PF9KMXH', id: 'PF9KMXH', self: 'https://api.pagerduty.com/services/PF9KMXH', summary: 'shop-k8s', type: 'service_reference' },
        assignees: [],
        escalation_policy: { id: 'PGLI9FO', summary: 'default', type: 'escalation_policy_reference' },
        teams: [],
        priority: null,
        urgency: 'high',
        conference_bridge: null,
        resolve_reason: null,
      },
    },
  };
}

/** Datadog webhook with the README's payload template filled in. */
export function datadog(t: Named, status: Status = 'firing') {
  return {
    id: status === 'firing' ? '7218925498317845632' : '7218925498317845999',
    alert_id: '12345678',
    aggreg_key: `9bd4ac313a4d1e8fae2482df7b7${Buffer.from(t.deployment).toString('hex').slice(0, 5)}`,
    title: `[${status === 'firing' ? 'Triggered' : 'Recovered'}] Deployment replicas unavailable on ${t.deployment}`,
    body: 'kubernetes_state.deployment.replicas_unavailable > 0',
    event_type: status === 'firing' ? 'query_alert_monitor' : 'query_alert_monitor',
    alert_transition: status === 'firing' ? 'Triggered' : 'Recovered',
    alert_status: 'kubernetes_state.deployment.replicas_unavailable over kube_deployment was > 0',
    tags: `env:prod,kube_namespace:${t.namespace},kube_deployment:${t.deployment}${t.cluster ? `,kube_cluster_name:${t.cluster}` : ''},monitor`,
    link: 'https://app.datadoghq.com/event/event?id=7218925498317845632',
    date: '1765000000000',
    last_updated: '1765000000000',
    org: { id: '11287', name: 'Acme' },
  };
}

/** Opsgenie Webhook integration alert action data (Create / Close). */
export function opsgenie(t: Named, status: Status = 'firing') {
  return {
    action: status === 'firing' ? 'Create' : 'Close',
    alert: {
      alertId: `052652ac-5d1c-464a-812a-${Buffer.from(t.deployment).toString('hex').slice(0, 12).padEnd(12, '0')}`,
      message: `Deployment ${t.deployment} has unavailable replicas`,
      tags: [`namespace:${t.namespace}`, `deployment:${t.deployment}`, 'k8s', ...(t.cluster ? [`cluster:${t.cluster}`] : [])],
      tinyId: '23',
      entity: `${t.namespace}/${t.deployment}`,
      alias: `${t.namespace}-${t.deployment}-unavailable`,
      createdAt: 1765000000000,
      updatedAt: 1765000000000000000,
      username: 'System',
      userId: '',
      description: 'replicas unavailable',
      details: { source: 'prometheus' },
      priority: 'P3',
      source: 'api',
      teams: [],
    },
    source: { name: '', type: 'API' },
    integrationName: 'eks-reflexion',
    integrationId: '37c8f316-17c6-49d7-899b-9c7e540c048d',
    integrationType: 'Webhook',
  };
}

/** Splunk On-Call escalation webhook fields (form-encoded on the wire), with the monitoring tool's fields. */
export function victorops(t: Named, status: Status = 'firing'): Record<string, string> {
  return {
    'ALERT.entity_id': `${t.namespace}/${t.deployment}/unavailable`,
    'ALERT.message_type': status === 'firing' ? 'CRITICAL' : 'RECOVERY',
    'ALERT.state_message': `Deployment ${t.deployment} has unavailable replicas`,
    'ALERT.entity_display_name': `${t.deployment} unavailable`,
    'ALERT.namespace': t.namespace,
    'ALERT.deployment': t.deployment,
    ...(t.cluster ? { 'ALERT.cluster': t.cluster } : {}),
    'INCIDENT.INCIDENT_NAME': '10',
  };
}

/** New Relic workflow webhook: the default template's fields plus `tags` (accumulations.tag). */
export function newrelic(t: Named, status: Status = 'firing') {
  return {
    id: `d1b1f3fd-995a-4066-88ab-${Buffer.from(t.deployment).toString('hex').slice(0, 12).padEnd(12, '0')}`,
    issueUrl: 'https://radar-api.service.newrelic.com/accounts/1/issues/0ea2df1c-adab-45d2-aae0-042b609d2322',
    title: `Unavailable replicas > 0 on '${t.deployment}'`,
    priority: 'CRITICAL',
    impactedEntities: [t.deployment],
    totalIncidents: 1,
    state: status === 'firing' ? 'ACTIVATED' : 'CLOSED',
    trigger: status === 'firing' ? 'STATE_CHANGE' : 'STATE_CHANGE',
    isCorrelated: false,
    createdAt: 1765000000000,
    updatedAt: 1765000000000,
    sources: ['newrelic'],
    alertPolicyNames: ['k8s'],
    alertConditionNames: ['Deployment unavailable'],
    workflowName: 'eks-reflexion',
    tags: { 'k8s.namespaceName': [t.namespace], 'k8s.deploymentName': [t.deployment], ...(t.cluster ? { 'k8s.clusterName': [t.cluster] } : {}) },
  };
}

export const SECRETS: Record<AlertSystem, string> = {
  alertmanager: 'am-secret-0123456789',
  pagerduty: 'pd-signing-secret-abcdef',
  grafana: 'grafana-hmac-secret',
  datadog: 'dd-shared-secret',
  opsgenie: 'og-shared-secret',
  victorops: 'vo-auth-key',
  newrelic: 'nr-shared-secret',
};
export const PUBLIC_BASE_URL = 'https://hooks.example.com';

/** A delivery exactly as each vendor would send it, signed or carrying the shared secret as the README sets it up. */
export function signedDelivery(system: AlertSystem, t: Named, status: Status = 'firing', options: { path?: string; nowSeconds?: number } = {}): Delivery {
  const path = options.path ?? `/alerts/${system}`;
  const nowSeconds = options.nowSeconds ?? 1_765_000_000;
  const json = (value: unknown, headers: Record<string, string>): Delivery => ({
    path,
    headers: { 'content-type': 'application/json', ...headers },
    rawBody: JSON.stringify(value),
    nowSeconds,
  });
  switch (system) {
    case 'alertmanager':
      return json(alertmanager(t, status), { authorization: `Bearer ${SECRETS.alertmanager}` });
    case 'grafana': {
      const raw = JSON.stringify(grafana(t, status));
      const ts = String(nowSeconds);
      const sig = createHmac('sha256', SECRETS.grafana).update(`${ts}:${raw}`).digest('hex');
      return { path, headers: { 'content-type': 'application/json', 'x-grafana-alerting-signature': sig, 'x-grafana-alerting-timestamp': ts }, rawBody: raw, nowSeconds };
    }
    case 'pagerduty': {
      const raw = JSON.stringify(pagerduty(t, status));
      const sig = createHmac('sha256', SECRETS.pagerduty).update(raw).digest('hex');
      return { path, headers: { 'content-type': 'application/json', 'x-pagerduty-signature': `v1=${sig}` }, rawBody: raw, nowSeconds };
    }
    case 'datadog':
      return json(datadog(t, status), { 'x-eks-reflexion-token': SECRETS.datadog });
    case 'opsgenie':
      return json(opsgenie(t, status), { 'x-eks-reflexion-token': SECRETS.opsgenie });
    case 'newrelic':
      return json(newrelic(t, status), { 'x-eks-reflexion-token': SECRETS.newrelic });
    case 'victorops': {
      const fields = victorops(t, status);
      // Splunk On-Call's documented recipe, written out here (not the code under test): URL + sorted key+value, HMAC-SHA1, base64.
      const text = PUBLIC_BASE_URL + path + Object.keys(fields).sort().map((k) => k + fields[k]).join('');
      const sig = createHmac('sha1', SECRETS.victorops).update(text).digest('base64');
      return { path, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-victorops-signature': sig }, rawBody: new URLSearchParams(fields).toString(), nowSeconds };
    }
  }
}
