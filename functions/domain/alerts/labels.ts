import { z } from 'zod';
import { K8sNameSchema, K8sNamespaceSchema } from '../incident';
import type { AlertSystem, AlertTarget } from './types';

/** Which label keys name each fact, tried in order; the first present, valid value wins. */
export const LabelMappingSchema = z
  .object({
    cluster: z.array(z.string().min(1).max(200)).max(20),
    namespace: z.array(z.string().min(1).max(200)).max(20),
    deployment: z.array(z.string().min(1).max(200)).max(20),
    statefulset: z.array(z.string().min(1).max(200)).max(20),
    pod: z.array(z.string().min(1).max(200)).max(20),
  })
  .strict();
export type LabelMapping = z.infer<typeof LabelMappingSchema>;

/** Overrides per system (stack context `alertLabelMapping`): a field given replaces that field's default list. */
export const LabelMappingOverridesSchema = z
  .record(z.string(), LabelMappingSchema.partial())
  .refine((o) => Object.keys(o).every((k) => k === '*' || ALERT_SYSTEM_KEYS.has(k)), 'keys must be alert systems or "*"');
export type LabelMappingOverrides = z.infer<typeof LabelMappingOverridesSchema>;
const ALERT_SYSTEM_KEYS = new Set(['alertmanager', 'pagerduty', 'grafana', 'datadog', 'opsgenie', 'victorops', 'newrelic', 'k8sgpt']);

/** The Prometheus / kube-state-metrics forms every system's labels commonly use. */
const COMMON: LabelMapping = {
  cluster: ['cluster', 'cluster_name', 'k8s_cluster'],
  namespace: ['namespace', 'kubernetes_namespace', 'exported_namespace'],
  deployment: ['deployment', 'deployment_name'],
  statefulset: ['statefulset', 'statefulset_name'],
  pod: ['pod', 'pod_name', 'kubernetes_pod_name', 'exported_pod'],
};

/** Each system's usual tag forms, tried after the common ones. */
const EXTRA: Partial<Record<AlertSystem | 'k8sgpt', Partial<LabelMapping>>> = {
  datadog: {
    cluster: ['kube_cluster_name'],
    namespace: ['kube_namespace'],
    deployment: ['kube_deployment'],
    statefulset: ['kube_stateful_set'],
  },
  newrelic: {
    cluster: ['k8s.clusterName', 'clusterName'],
    namespace: ['k8s.namespaceName', 'namespaceName'],
    deployment: ['k8s.deploymentName', 'deploymentName'],
    statefulset: ['k8s.statefulsetName', 'statefulsetName'],
    pod: ['k8s.podName', 'podName'],
  },
  grafana: { namespace: ['k8s_namespace_name'], deployment: ['k8s_deployment_name'], pod: ['k8s_pod_name'], cluster: ['k8s_cluster_name'] },
};

export function defaultLabelMapping(system: AlertSystem | 'k8sgpt'): LabelMapping {
  const extra = EXTRA[system] ?? {};
  return {
    cluster: [...COMMON.cluster, ...(extra.cluster ?? [])],
    namespace: [...COMMON.namespace, ...(extra.namespace ?? [])],
    deployment: [...COMMON.deployment, ...(extra.deployment ?? [])],
    statefulset: [...COMMON.statefulset, ...(extra.statefulset ?? [])],
    pod: [...COMMON.pod, ...(extra.pod ?? [])],
  };
}

/** Defaults, then the `*` override, then the system's own override (each replaces the fields it names). */
export function labelMappingFor(system: AlertSystem | 'k8sgpt', overrides: LabelMappingOverrides = {}): LabelMapping {
  return { ...defaultLabelMapping(system), ...overrides['*'], ...overrides[system] };
}

function first(labels: Record<string, string>, keys: readonly string[], schema: z.ZodType<string>): string | undefined {
  for (const key of keys) {
    const value = labels[key]?.trim();
    if (value && schema.safeParse(value).success) return value;
  }
  return undefined;
}

/** Labels → what the alert names in the cluster. Values that are not valid Kubernetes names are not used. */
export function targetOf(labels: Record<string, string>, mapping: LabelMapping): AlertTarget {
  const cluster = first(labels, mapping.cluster, z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/));
  const namespace = first(labels, mapping.namespace, K8sNamespaceSchema);
  const deployment = first(labels, mapping.deployment, K8sNameSchema);
  const statefulset = deployment ? undefined : first(labels, mapping.statefulset, K8sNameSchema);
  const pod = first(labels, mapping.pod, K8sNameSchema);
  return {
    ...(cluster ? { cluster } : {}),
    ...(namespace ? { namespace } : {}),
    ...(deployment ? { workload: { kind: 'Deployment' as const, name: deployment } } : {}),
    ...(statefulset ? { workload: { kind: 'StatefulSet' as const, name: statefulset } } : {}),
    ...(pod ? { pod } : {}),
  };
}
