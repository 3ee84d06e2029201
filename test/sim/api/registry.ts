/**
 * The resource table: every resource the simulated API server serves, with
 * the per-resource behaviour the generic store and router need (scope,
 * versions, subresources, defaulting, validation, field selectors). Adding a
 * resource is one entry here. Anything absent is a 404 from the router.
 */
import { admitPod, defaultDeployment, defaultHpa, defaultNamespace, defaultPodSpec, defaultReplicaSet, defaultSecret, defaultStatefulSet, isObject, qosClass, type Json } from './defaults';
import { hpaFromV1, hpaToV1 } from './hpa-v1';
import { fieldValue, type FieldGetter } from './selectors';
import type { StatusCause } from './status';
import {
  validateConfigMap,
  validateDeployment,
  validateEvent,
  validateHpa,
  validateNode,
  validatePdb,
  validatePod,
  validatePodUpdate,
  validateReplicaSet,
  validateSecret,
  validateSelectorImmutable,
  validateStatefulSet,
  type NameRule,
} from './validation';

export type Subresource = 'status' | 'scale' | 'binding' | 'log' | 'eviction' | 'simlog';

export interface ResourceDef {
  /** Plural name, unique across the table; the store's key. */
  resource: string;
  singular: string;
  kind: string;
  /** '' for the core group. */
  group: string;
  /** Served versions, preferred first. They differ only in `apiVersion` here. */
  versions: readonly string[];
  namespaced: boolean;
  shortNames: readonly string[];
  categories?: readonly string[];
  nameRule: NameRule;
  subresources: readonly Subresource[];
  /** With a status subresource, writes to the main resource keep the stored status (and vice versa). */
  statusSubresource: boolean;
  /** metadata.generation is bumped when anything but metadata/status changes. */
  tracksGeneration: boolean;
  /** Field selector labels on top of metadata.name and metadata.namespace. */
  fieldSelectors: readonly string[];
  fieldGetter?: FieldGetter;
  defaults?(object: Json): void;
  /** Create-only admission (the real server's admission plugins). */
  admit?(object: Json): void;
  /** What the server sets on create regardless of the body (status reset). */
  prepareForCreate?(object: Json): void;
  validate?(object: Json, out: StatusCause[]): void;
  validateUpdate?(next: Json, prev: Json, out: StatusCause[]): void;
  /** Versions whose shape differs from the stored (first) version: how to read and write them. */
  conversions?: Readonly<Record<string, { fromStored(object: Json): Json; toStored(object: Json): Json }>>;
}

const WORKLOAD_FIELDS: readonly string[] = [];

function resetStatus(object: Json): void {
  object.status = {};
}

const eventFields = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

export const RESOURCES: readonly ResourceDef[] = [
  {
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    group: '',
    versions: ['v1'],
    namespaced: false,
    shortNames: ['ns'],
    nameRule: 'label',
    subresources: ['status'],
    statusSubresource: true,
    tracksGeneration: false,
    fieldSelectors: ['status.phase'],
    defaults: defaultNamespace,
    prepareForCreate: (ns) => {
      ns.status = { phase: 'Active' };
    },
  },
  {
    resource: 'nodes',
    singular: 'node',
    kind: 'Node',
    group: '',
    versions: ['v1'],
    namespaced: false,
    shortNames: ['no'],
    nameRule: 'subdomain',
    subresources: ['status'],
    statusSubresource: true,
    tracksGeneration: false,
    fieldSelectors: ['spec.unschedulable'],
    fieldGetter: (o, f) => (f === 'spec.unschedulable' ? String(isObject(o.spec) && o.spec.unschedulable === true) : fieldValue(o, f)),
    validate: validateNode,
  },
  {
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    group: '',
    versions: ['v1'],
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    nameRule: 'subdomain',
    subresources: ['status', 'binding', 'log', 'eviction', 'simlog'],
    statusSubresource: true,
    tracksGeneration: false,
    fieldSelectors: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
    defaults: (pod) => {
      if (!isObject(pod.spec)) pod.spec = {};
      defaultPodSpec(pod.spec as Json);
    },
    admit: admitPod,
    prepareForCreate: (pod) => {
      pod.status = { phase: 'Pending', qosClass: qosClass(isObject(pod.spec) ? pod.spec : {}) };
    },
    validate: validatePod,
    validateUpdate: validatePodUpdate,
  },
  {
    resource: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    group: '',
    versions: ['v1'],
    namespaced: true,
    shortNames: ['cm'],
    nameRule: 'subdomain',
    subresources: [],
    statusSubresource: false,
    tracksGeneration: false,
    fieldSelectors: [],
    validate: validateConfigMap,
  },
  {
    resource: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    group: '',
    versions: ['v1'],
    namespaced: true,
    shortNames: [],
    nameRule: 'subdomain',
    subresources: [],
    statusSubresource: false,
    tracksGeneration: false,
    fieldSelectors: ['type'],
    defaults: defaultSecret,
    validate: validateSecret,
  },
  {
    // Services hold a selector and ports (scenario dependencies: "a Service with no ready endpoints").
    // No ClusterIP allocation or Endpoints controller: the kubelet emulator reads the selector directly.
    resource: 'services',
    singular: 'service',
    kind: 'Service',
    group: '',
    versions: ['v1'],
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    nameRule: 'label',
    subresources: ['status'],
    statusSubresource: true,
    tracksGeneration: false,
    fieldSelectors: [],
    prepareForCreate: (svc) => {
      svc.status = { loadBalancer: {} };
    },
  },
  {
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    group: '',
    versions: ['v1'],
    namespaced: true,
    shortNames: ['ev'],
    nameRule: 'subdomain',
    subresources: [],
    statusSubresource: false,
    tracksGeneration: false,
    fieldSelectors: eventFields,
    fieldGetter: (o, f) => (f === 'source' ? fieldValue(o, 'source.component') : fieldValue(o, f)),
    validate: validateEvent,
  },
  {
    resource: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    group: 'apps',
    versions: ['v1'],
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    nameRule: 'subdomain',
    subresources: ['status', 'scale'],
    statusSubresource: true,
    tracksGeneration: true,
    fieldSelectors: WORKLOAD_FIELDS,
    defaults: defaultDeployment,
    prepareForCreate: resetStatus,
    validate: validateDeployment,
    validateUpdate: validateSelectorImmutable,
  },
  {
    resource: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    group: 'apps',
    versions: ['v1'],
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    nameRule: 'subdomain',
    subresources: ['status', 'scale'],
    statusSubresource: true,
    tracksGeneration: true,
    fieldSelectors: ['status.replicas'],
    defaults: defaultReplicaSet,
    prepareForCreate: resetStatus,
    validate: validateReplicaSet,
    validateUpdate: validateSelectorImmutable,
  },
  {
    resource: 'statefulsets',
    singular: 'statefulset',
    kind: 'StatefulSet',
    group: 'apps',
    versions: ['v1'],
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    nameRule: 'subdomain',
    subresources: ['status', 'scale'],
    statusSubresource: true,
    tracksGeneration: true,
    fieldSelectors: WORKLOAD_FIELDS,
    defaults: defaultStatefulSet,
    prepareForCreate: resetStatus,
    validate: validateStatefulSet,
    validateUpdate: validateSelectorImmutable,
  },
  // Served for their objects only (no DaemonSet, Job or CronJob controller runs here): tests create the
  // owners and their pods themselves, as those controllers would.
  ...(
    [
      ['daemonsets', 'daemonset', 'DaemonSet', 'apps', ['ds']],
      ['jobs', 'job', 'Job', 'batch', []],
      ['cronjobs', 'cronjob', 'CronJob', 'batch', ['cj']],
    ] as const
  ).map(
    ([resource, singular, kind, group, shortNames]): ResourceDef => ({
      resource,
      singular,
      kind,
      group,
      versions: ['v1'],
      namespaced: true,
      shortNames,
      categories: ['all'],
      nameRule: 'subdomain',
      subresources: ['status'],
      statusSubresource: true,
      tracksGeneration: true,
      fieldSelectors: WORKLOAD_FIELDS,
      prepareForCreate: resetStatus,
    }),
  ),
  {
    resource: 'horizontalpodautoscalers',
    singular: 'horizontalpodautoscaler',
    kind: 'HorizontalPodAutoscaler',
    group: 'autoscaling',
    // v2 and v1 as current Kubernetes serves them; v2beta2 (gone since 1.26) is kept because it is
    // the one version the 1.20 contract server shares with current servers.
    versions: ['v2', 'v1', 'v2beta2'],
    conversions: { v1: { fromStored: hpaToV1, toStored: hpaFromV1 } },
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    nameRule: 'subdomain',
    subresources: ['status'],
    statusSubresource: true,
    tracksGeneration: true,
    fieldSelectors: WORKLOAD_FIELDS,
    defaults: defaultHpa,
    prepareForCreate: resetStatus,
    validate: validateHpa,
  },
  {
    resource: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    kind: 'PodDisruptionBudget',
    group: 'policy',
    // v1 as current Kubernetes; v1beta1 (gone since 1.25) kept for the 1.20 contract server. Same shape here.
    versions: ['v1', 'v1beta1'],
    namespaced: true,
    shortNames: ['pdb'],
    nameRule: 'subdomain',
    subresources: ['status'],
    statusSubresource: true,
    tracksGeneration: true,
    fieldSelectors: WORKLOAD_FIELDS,
    prepareForCreate: resetStatus,
    validate: validatePdb,
  },
  {
    // The K8sGPT operator's CRD (results.core.k8sgpt.ai), served as on a cluster where the operator is installed.
    resource: 'results',
    singular: 'result',
    kind: 'Result',
    group: 'core.k8sgpt.ai',
    versions: ['v1alpha1'],
    namespaced: true,
    shortNames: [],
    nameRule: 'subdomain',
    subresources: ['status'],
    statusSubresource: true,
    tracksGeneration: true,
    fieldSelectors: WORKLOAD_FIELDS,
  },
];

const byResource = new Map(RESOURCES.map((r) => [r.resource, r]));

export function resourceDef(resource: string): ResourceDef {
  const def = byResource.get(resource);
  if (!def) throw new Error(`simulated API server: no resource "${resource}" in the registry`);
  return def;
}

/** The def served at group/version/resource, or undefined (→ 404). */
export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  const def = byResource.get(resource);
  return def && def.group === group && def.versions.includes(version) ? def : undefined;
}

export function apiVersionOf(def: ResourceDef, version = def.versions[0]!): string {
  return def.group ? `${def.group}/${version}` : version;
}

/** Every group the server serves with its versions, core excluded, in discovery order. */
export function servedGroups(): { group: string; versions: string[] }[] {
  const groups = new Map<string, Set<string>>();
  for (const def of RESOURCES) {
    if (!def.group) continue;
    const set = groups.get(def.group) ?? new Set<string>();
    def.versions.forEach((v) => set.add(v));
    groups.set(def.group, set);
  }
  return [...groups].map(([group, versions]) => ({ group, versions: [...versions] }));
}
