import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { ALWAYS_PROTECTED_NAMESPACES } from '../../domain/policy-config';

/**
 * The Kubernetes RBAC this system needs, and nothing more: exactly the API
 * calls KubeCluster makes (kube-cluster.ts, kube-snapshot.ts), split into what the readers
 * (detect, analyse, select-strategy, verify) and the writers (remediate,
 * reflect's undo, the action API) do. The EKS access entries of the stack map
 * each function's role to these groups (`kubernetesGroups`); `eks-reflexion
 * rbac` prints the objects that give the groups their rights.
 *
 * Changing what the adapter calls means changing these rules: the test on the
 * real kube-apiserver (test/rbac/) runs every action as an identity bound only
 * to them.
 */

/** Group of every function that reads the cluster (writers are in it too). */
export const READER_GROUP = 'eks-reflexion-readers';
/** Group of the functions that may write, only in the opt-in namespaces. */
export const WRITER_GROUP = 'eks-reflexion-writers';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Namespaced reads: the detectors' snapshot, analysis (events, logs), executors' reads (ReplicaSets for rollback, HPAs). */
export const NAMESPACED_READ_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets'], verbs: ['get', 'list'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'list'] },
  // The top controller of a pod (restart_pod's facts, lock and cooldown live on it): read one by name.
  { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get'] },
];

/** Cluster-scoped reads: namespaces (opt-out annotation, protected labels) and nodes (node fit of Pending pods). */
export const CLUSTER_READ_RULES: readonly PolicyRule[] = [{ apiGroups: [''], resources: ['namespaces', 'nodes'], verbs: ['get', 'list'] }];

/**
 * Writes, granted per opt-in namespace: the catalogue's patches (template,
 * replicas through the scale subresource, HPA max), pod deletes for
 * restart_pod, and the audit Event. No create/update of workloads, no
 * secrets, no exec, no impersonation.
 */
export const WRITE_RULES: readonly PolicyRule[] = [
  { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: ['patch'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

const NAME = 'eks-reflexion';
const LABELS = { 'app.kubernetes.io/name': 'eks-reflexion', 'app.kubernetes.io/component': 'rbac' };

const NamespaceSchema = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name (lowercase DNS label; no wildcards)');
// EKS refuses kubernetesGroups starting with system:, eks:, aws:, amazon: or iam:.
const GroupSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]*$/, 'must be a group name')
  .refine((g) => !/^(system|eks|aws|amazon|iam):/.test(g), 'must not start with system:, eks:, aws:, amazon: or iam:');
const ServiceAccountSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be NAMESPACE/NAME of a service account');

export const RbacOptionsSchema = z.object({
  /** Opt-in namespaces: writes (and, when given, namespaced reads) only there. Empty: read-only, cluster-wide reads. */
  namespaces: z.array(NamespaceSchema).max(100).default([]),
  readerGroup: GroupSchema.default(READER_GROUP),
  writerGroup: GroupSchema.default(WRITER_GROUP),
  /** Service accounts bound as readers and writers too (clusters without EKS access entries, tests). */
  serviceAccounts: z.array(ServiceAccountSchema).max(20).default([]),
});
export type RbacOptionsInput = z.input<typeof RbacOptionsSchema>;

type Subject = { kind: 'Group'; apiGroup: 'rbac.authorization.k8s.io'; name: string } | { kind: 'ServiceAccount'; name: string; namespace: string };
export type RbacObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/**
 * The RBAC objects for `kubectl apply -f -`. With opt-in namespaces, the
 * namespaced reads are bound per namespace too (a RoleBinding to the reader
 * ClusterRole), so nothing outside them is readable beyond namespaces and
 * nodes; without any, reads are cluster-wide and nothing is writable.
 */
export function rbacManifests(input: RbacOptionsInput = {}): RbacObject[] {
  const parsed = RbacOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(root)';
    throw new ValidationError(`rbac: ${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  const o = parsed.data;
  const protectedOnes = o.namespaces.filter((ns) => (ALWAYS_PROTECTED_NAMESPACES as readonly string[]).includes(ns));
  if (protectedOnes.length > 0) {
    throw new ValidationError(`rbac: namespaces: ${protectedOnes.join(', ')} is always protected and never gets write access`, 'namespaces');
  }
  const namespaces = [...new Set(o.namespaces)];
  const accounts: Subject[] = o.serviceAccounts.map((sa) => {
    const [namespace, name] = sa.split('/') as [string, string];
    return { kind: 'ServiceAccount', namespace, name };
  });
  const group = (name: string): Subject => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });
  const readers = [group(o.readerGroup), ...accounts];
  const writers = [group(o.writerGroup), ...accounts];
  const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), labels: { ...LABELS } });
  const rbac = 'rbac.authorization.k8s.io/v1';
  const clusterRoleRef = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });

  const objects: RbacObject[] = [
    { apiVersion: rbac, kind: 'ClusterRole', metadata: meta(`${NAME}-reader`), rules: clone(NAMESPACED_READ_RULES) },
    { apiVersion: rbac, kind: 'ClusterRole', metadata: meta(`${NAME}-cluster-reader`), rules: clone(CLUSTER_READ_RULES) },
    { apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: meta(`${NAME}-cluster-reader`), roleRef: clusterRoleRef(`${NAME}-cluster-reader`), subjects: readers },
  ];
  if (namespaces.length === 0) {
    objects.push({ apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: meta(`${NAME}-reader`), roleRef: clusterRoleRef(`${NAME}-reader`), subjects: readers });
    return objects;
  }
  for (const namespace of namespaces) {
    objects.push(
      { apiVersion: rbac, kind: 'RoleBinding', metadata: meta(`${NAME}-reader`, namespace), roleRef: clusterRoleRef(`${NAME}-reader`), subjects: readers },
      { apiVersion: rbac, kind: 'Role', metadata: meta(`${NAME}-writer`, namespace), rules: clone(WRITE_RULES) },
      {
        apiVersion: rbac,
        kind: 'RoleBinding',
        metadata: meta(`${NAME}-writer`, namespace),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${NAME}-writer` },
        subjects: writers,
      },
    );
  }
  return objects;
}

function clone(rules: readonly PolicyRule[]): PolicyRule[] {
  return rules.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] }));
}
