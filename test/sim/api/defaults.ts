/**
 * Defaulting, as the real apiserver applies it on every write (create,
 * update, patch — dry run included) so that what a client reads back, and
 * what the controllers hash into a pod-template-hash, matches a real cluster.
 * Only defaults that some code reads are reproduced; each is from
 * k8s.io/kubernetes/pkg/apis/<group>/v1/defaults.go of v1.20.
 */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function obj(parent: Json, key: string): Json {
  const current = parent[key];
  if (isObject(current)) return current;
  const fresh: Json = {};
  parent[key] = fresh;
  return fresh;
}

function setIfAbsent(target: Json, key: string, value: unknown): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

function defaultProbe(probe: unknown): void {
  if (!isObject(probe)) return;
  setIfAbsent(probe, 'timeoutSeconds', 1);
  setIfAbsent(probe, 'periodSeconds', 10);
  setIfAbsent(probe, 'successThreshold', 1);
  setIfAbsent(probe, 'failureThreshold', 3);
  const http = probe.httpGet;
  if (isObject(http)) {
    setIfAbsent(http, 'path', '/');
    setIfAbsent(http, 'scheme', 'HTTP');
  }
}

/** `imagePullPolicy` the way the real server picks it: Always for `:latest` or an untagged image. */
export function defaultPullPolicy(image: unknown): 'Always' | 'IfNotPresent' {
  if (typeof image !== 'string') return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: unknown): void {
  if (!isObject(container)) return;
  setIfAbsent(container, 'imagePullPolicy', defaultPullPolicy(container.image));
  setIfAbsent(container, 'terminationMessagePath', '/dev/termination-log');
  setIfAbsent(container, 'terminationMessagePolicy', 'File');
  setIfAbsent(container, 'resources', {});
  if (Array.isArray(container.ports)) {
    for (const port of container.ports) if (isObject(port)) setIfAbsent(port, 'protocol', 'TCP');
  }
  if (Array.isArray(container.env)) {
    for (const env of container.env) {
      if (!isObject(env) || !isObject(env.valueFrom)) continue;
      const fieldRef = env.valueFrom.fieldRef;
      if (isObject(fieldRef)) setIfAbsent(fieldRef, 'apiVersion', 'v1');
    }
  }
  // Limits without requests: the request defaults to the limit (v1 SetDefaults_Pod).
  const resources = container.resources;
  if (isObject(resources) && isObject(resources.limits)) {
    const requests = obj(resources, 'requests');
    for (const [k, v] of Object.entries(resources.limits)) setIfAbsent(requests, k, v);
  }
  defaultProbe(container.livenessProbe);
  defaultProbe(container.readinessProbe);
  defaultProbe(container.startupProbe);
}

export function defaultPodSpec(spec: Json): void {
  setIfAbsent(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'terminationGracePeriodSeconds', 30);
  setIfAbsent(spec, 'dnsPolicy', 'ClusterFirst');
  setIfAbsent(spec, 'securityContext', {});
  setIfAbsent(spec, 'schedulerName', 'default-scheduler');
  if (Array.isArray(spec.containers)) spec.containers.forEach(defaultContainer);
  if (Array.isArray(spec.initContainers)) spec.initContainers.forEach(defaultContainer);
  if (Array.isArray(spec.volumes)) {
    for (const volume of spec.volumes) {
      if (!isObject(volume)) continue;
      for (const key of ['configMap', 'secret'] as const) {
        const source = volume[key];
        if (isObject(source)) setIfAbsent(source, 'defaultMode', 420);
      }
      const sources = ['configMap', 'secret', 'emptyDir', 'hostPath', 'persistentVolumeClaim', 'projected', 'downwardAPI'];
      if (!sources.some((k) => volume[k] !== undefined)) volume.emptyDir = {};
    }
  }
}

/** Admission-time pod defaults (ServiceAccount and DefaultTolerationSeconds plugins), applied to pods only, not templates. */
export function admitPod(pod: Json): void {
  const spec = obj(pod, 'spec');
  setIfAbsent(spec, 'serviceAccountName', 'default');
  setIfAbsent(spec, 'serviceAccount', spec.serviceAccountName);
  setIfAbsent(spec, 'enableServiceLinks', true);
  setIfAbsent(spec, 'priority', 0);
  const tolerations = Array.isArray(spec.tolerations) ? [...spec.tolerations] : [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const present = tolerations.some((t) => isObject(t) && (t.key === key || (t.key === undefined && t.operator === 'Exists')));
    if (!present) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

export function qosClass(spec: Json): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const resources = isObject(c) && isObject(c.resources) ? c.resources : {};
    const requests = isObject(resources.requests) ? resources.requests : {};
    const limits = isObject(resources.limits) ? resources.limits : {};
    if (Object.keys(requests).length || Object.keys(limits).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (limits[r] === undefined || (requests[r] !== undefined && requests[r] !== limits[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultTemplate(template: unknown): void {
  if (!isObject(template)) return;
  defaultPodSpec(obj(template, 'spec'));
  // The real server stores an empty creationTimestamp on templates; clients print it.
  const metadata = obj(template, 'metadata');
  setIfAbsent(metadata, 'creationTimestamp', null);
}

export function defaultDeployment(d: Json): void {
  const spec = obj(d, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  const strategy = obj(spec, 'strategy');
  setIfAbsent(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = obj(strategy, 'rollingUpdate');
    setIfAbsent(ru, 'maxUnavailable', '25%');
    setIfAbsent(ru, 'maxSurge', '25%');
  }
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  setIfAbsent(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec.template);
}

export function defaultReplicaSet(rs: Json): void {
  const spec = obj(rs, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  defaultTemplate(spec.template);
}

export function defaultStatefulSet(sts: Json): void {
  const spec = obj(sts, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  setIfAbsent(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = obj(spec, 'updateStrategy');
  setIfAbsent(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') setIfAbsent(obj(strategy, 'rollingUpdate'), 'partition', 0);
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec.template);
}

export function defaultHpa(hpa: Json): void {
  const spec = obj(hpa, 'spec');
  setIfAbsent(spec, 'minReplicas', 1);
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
}

export function defaultNamespace(ns: Json): void {
  setIfAbsent(obj(ns, 'spec'), 'finalizers', ['kubernetes']);
}

export function defaultSecret(secret: Json): void {
  setIfAbsent(secret, 'type', 'Opaque');
  // stringData is write-only: merged into data (base64) and never stored.
  if (isObject(secret.stringData)) {
    const data = obj(secret, 'data');
    for (const [k, v] of Object.entries(secret.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    delete secret.stringData;
  }
}
